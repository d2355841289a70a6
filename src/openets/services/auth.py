"""Users' credentials and tokens: argon2id password hashes, JWTs that are also recorded server-side
(so that they can be revoked before they expire), and a login rate limit."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import insert, select, update

from openets.core.actor import Actor, Role
from openets.core.clock import to_us
from openets.core.errors import DomainError
from openets.core.settings import setting
from openets.services.registry import RegistryService
from openets.storage import tables as t
from openets.storage.db import autocommit, run_in_transaction

_hasher = PasswordHasher()


class AuthError(DomainError):
    """401: who you are could not be established."""


@dataclass(frozen=True, slots=True)
class Token:
    access_token: str
    expires_in: int
    token_type: str = "bearer"


class AuthService:
    def __init__(self, registry: RegistryService, *, secret: str | None = None, lifetime: timedelta = timedelta(hours=1),
                 max_failures: int = 5, window_s: float = 300.0) -> None:
        self.registry = registry
        self.engine = registry.engine
        self.secret = secret or setting("secret") or secrets.token_hex(32)
        self.lifetime = lifetime
        self.max_failures = max_failures
        self.window_s = window_s
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def set_password(self, user: str, password: str) -> None:
        if len(password) < 10:
            raise DomainError("password_weak", "a password has at least 10 characters")
        digest = _hasher.hash(password)

        def work(c) -> None:
            if c.execute(select(t.users.c.name).where(t.users.c.name == user)).first() is None:
                raise DomainError("not_found", f"user {user!r} not found (make them a representative first)")
            now = to_us(self.registry.clock.now())
            if c.execute(select(t.credentials.c.user_name).where(t.credentials.c.user_name == user)).first():
                c.execute(update(t.credentials).where(t.credentials.c.user_name == user).values(
                    password_hash=digest, changed_us=now))
            else:
                c.execute(insert(t.credentials).values(user_name=user, password_hash=digest, changed_us=now))

        run_in_transaction(self.engine, work)

    def _limited(self, key: str) -> bool:
        now = time.monotonic()
        with self._lock:
            recent = [x for x in self._failures.get(key, []) if now - x < self.window_s]
            self._failures[key] = recent
            return len(recent) >= self.max_failures

    def _failed(self, key: str) -> None:
        with self._lock:
            self._failures.setdefault(key, []).append(time.monotonic())

    def login(self, user: str, password: str, *, party_id: int | None = None, client: str = "") -> Token:
        key = f"{user}|{client}"
        if self._limited(key):
            raise DomainError("too_many_attempts", "too many failed logins: wait a few minutes")
        with self.engine.connect() as c:
            digest = c.execute(select(t.credentials.c.password_hash).where(t.credentials.c.user_name == user)).scalar()
        try:
            if digest is None:
                raise VerificationError()
            _hasher.verify(digest, password)
        except (VerificationError, InvalidHashError):
            self._failed(key)
            raise AuthError("login_failed", "wrong user name or password") from None
        actor = self.registry.actor(user, party_id)
        now = datetime.now(UTC)  # tokens live in wall-clock time, whatever the market's clock says
        jti = secrets.token_hex(16)
        exp = now + self.lifetime
        token = jwt.encode({"sub": user, "party": actor.party_id, "jti": jti, "exp": exp, "iat": now},
                           self.secret, algorithm="HS256")
        run_in_transaction(self.engine, lambda c: c.execute(insert(t.api_tokens).values(
            jti=jti, user_name=user, party_id=actor.party_id, expires_us=to_us(exp), revoked=0)))
        return Token(token, int(self.lifetime.total_seconds()))

    def actor_for(self, token: str) -> Actor:
        try:
            claims = jwt.decode(token, self.secret, algorithms=["HS256"],
                                options={"require": ["exp", "sub", "jti"]})
        except jwt.ExpiredSignatureError:
            raise AuthError("token_expired", "the token has expired: log in again") from None
        except jwt.PyJWTError:
            raise AuthError("token_invalid", "not a valid token") from None
        tk, rep = t.api_tokens, t.representatives
        with autocommit(self.engine) as c:  # the token's standing and its user's role, in one round trip
            row = c.execute(select(tk.c.revoked, tk.c.user_name, tk.c.party_id, rep.c.role, rep.c.market).outerjoin(
                rep, (rep.c.user_name == tk.c.user_name) & (rep.c.party_id == tk.c.party_id)).where(
                tk.c.jti == claims["jti"])).first()
        if row is None or row.revoked:
            raise AuthError("token_revoked", "the token was revoked: log in again")
        if row.role is None:  # no longer a representative of that party
            raise AuthError("token_revoked", "the user no longer represents this party: log in again")
        return Actor(row.user_name, row.party_id, Role(row.role), row.market)

    def revoke(self, user: str) -> int:
        """Revoke every token of the user (a lost laptop, a person leaving)."""
        return run_in_transaction(self.engine, lambda c: c.execute(update(t.api_tokens).where(
            t.api_tokens.c.user_name == user, t.api_tokens.c.revoked == 0).values(revoked=1)).rowcount)
