"""Users' credentials and tokens: argon2id password hashes, JWTs that are also recorded server-side
(so that they can be revoked before they expire), and a login throttle.

The throttle counts failed logins in the database (``login_failures``), so it holds across worker
processes and restarts: per user name (whoever tries it, from wherever) and per client address
(spraying many user names from one place). The client address is the connection's peer; a proxy's
``X-Forwarded-For`` is believed only when $OPENETS_TRUST_FORWARDED says so (off by default). An
unknown user's password is checked against a dummy hash, so that the answer takes as long as for a
real user and does not tell who exists."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, insert, select, update

from openets.core.actor import Actor, Role
from openets.core.clock import to_us
from openets.core.errors import DomainError
from openets.core.settings import flag, setting
from openets.core.text import check_text
from openets.services.registry import RegistryService
from openets.services.registry.setup import authorise_credentials
from openets.storage import tables as t
from openets.storage.db import autocommit, run_in_transaction

_hasher = PasswordHasher()
_dummy: list[str] = []  # a hash of no one's password, made once: unknown users are checked against it
FAILURES_PER_USER = 5  # within the window: then the user name is locked, from every address
FAILURES_PER_CLIENT = 20  # within the window: then the address is locked, for every user name
WINDOW_S = 300


def _dummy_hash() -> str:
    if not _dummy:
        _dummy.append(_hasher.hash(secrets.token_hex(16)))
    return _dummy[0]


def trust_forwarded() -> bool:
    """$OPENETS_TRUST_FORWARDED (1/true/yes): the service runs behind a proxy that sets
    X-Forwarded-For; without it the header is anyone's to forge and is ignored."""
    return flag("trust_forwarded")


def _key(text: str) -> str:
    return text.replace("\x00", "\ufffd")[:64]  # a column of 64 characters; NUL bytes never reach it


MIN_PASSWORD = 10  # characters


def check_password(password: str) -> None:
    """Refuse a password that would not be accepted (control characters, too long, fewer than
    ``MIN_PASSWORD`` characters): checked before anything is written — before a user is created with it
    (``users create --password-stdin``), and when it is changed (``set_password``)."""
    check_text(password, "the password", max_length=1024)
    if len(password) < MIN_PASSWORD:
        raise DomainError("password_weak", f"a password has at least {MIN_PASSWORD} characters")


class AuthError(DomainError):
    """401: who you are could not be established."""


@dataclass(frozen=True, slots=True)
class Token:
    access_token: str
    expires_in: int
    token_type: str = "bearer"


class AuthService:
    def __init__(self, registry: RegistryService, *, secret: str | None = None, lifetime: timedelta = timedelta(hours=1),
                 max_failures: int = FAILURES_PER_USER, max_client_failures: int = FAILURES_PER_CLIENT,
                 window_s: int = WINDOW_S, forwarded: bool | None = None) -> None:
        self.registry = registry
        self.engine = registry.engine
        self.secret = secret or setting("secret") or secrets.token_hex(32)
        self.lifetime = lifetime
        self.max_failures = max_failures
        self.max_client_failures = max_client_failures
        self.window_s = window_s
        self.forwarded = trust_forwarded() if forwarded is None else forwarded

    def set_password(self, user: str, password: str, *, actor: Actor | None = None) -> None:
        """Set ``user``'s password (refused by :func:`check_password` first). With ``actor``, as that
        acting user (``authorise_credentials``: oneself or an administrator); without one only where the
        caller has authorised it itself (creating the user in the same command, test set-ups)."""
        check_password(password)
        digest = _hasher.hash(password)

        def work(c) -> None:
            if actor is not None:
                authorise_credentials(c, actor, user, "password")
            if c.execute(select(t.users.c.name).where(t.users.c.name == user)).first() is None:
                raise DomainError("not_found", f"user {user!r} not found (make them a representative first)")
            now = to_us(self.registry.clock.now())
            if c.execute(select(t.credentials.c.user_name).where(t.credentials.c.user_name == user)).first():
                c.execute(update(t.credentials).where(t.credentials.c.user_name == user).values(
                    password_hash=digest, changed_us=now))
            else:
                c.execute(insert(t.credentials).values(user_name=user, password_hash=digest, changed_us=now))

        run_in_transaction(self.engine, work)

    def client_of(self, peer: str | None, forwarded_for: str | None = None) -> str:
        """The address a login counts against: the connection's peer, or — only when the service is
        configured to trust its proxy — the last address the proxy appended to X-Forwarded-For."""
        if self.forwarded and forwarded_for:
            last = forwarded_for.split(",")[-1].strip()
            if last:
                return _key(last)
        return _key(peer or "")

    def _limited(self, user: str, client: str, now_us: int) -> bool:
        lf, since = t.login_failures, now_us - self.window_s * 1_000_000
        by_user = select(func.count()).where(lf.c.user_name == user, lf.c.at_us > since).scalar_subquery()
        by_client = select(func.count()).where(lf.c.client == client, lf.c.at_us > since).scalar_subquery()
        with autocommit(self.engine) as c:
            n_user, n_client = c.execute(select(by_user, by_client)).one()
        return n_user >= self.max_failures or (client != "" and n_client >= self.max_client_failures)

    def _failed(self, user: str, client: str, now_us: int) -> None:
        def work(c) -> None:
            c.execute(insert(t.login_failures).values(user_name=user, client=client, at_us=now_us))
            c.execute(delete(t.login_failures).where(t.login_failures.c.at_us <= now_us - self.window_s * 1_000_000))

        run_in_transaction(self.engine, work)

    def login(self, user: str, password: str, *, party_id: int | None = None, client: str = "") -> Token:
        """A bearer token for a user name and password. Refused while the user name or the client
        address has too many recent failures (too_many_attempts), whether the user exists or not."""
        name, client = _key(user), _key(client)
        now_us = to_us(datetime.now(UTC))  # the throttle's window is wall-clock time, like the tokens'
        if self._limited(name, client, now_us):
            raise DomainError("too_many_attempts", "too many failed logins: wait a few minutes")
        with self.engine.connect() as c:
            digest = c.execute(select(t.credentials.c.password_hash).where(t.credentials.c.user_name == user)).scalar()
        try:
            # an unknown user costs the same hash as a known one: the timing tells nobody who exists
            _hasher.verify(digest if digest is not None else _dummy_hash(), password)
            if digest is None:
                raise VerificationError()
        except (VerificationError, InvalidHashError):
            self._failed(name, client, now_us)
            raise AuthError("login_failed", "wrong user name or password") from None
        run_in_transaction(self.engine, lambda c: c.execute(delete(t.login_failures).where(
            t.login_failures.c.user_name == name)))  # the user's own count starts again; an address's does not
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
        tk, rep, us = t.api_tokens, t.representatives, t.users
        with autocommit(self.engine) as c:  # the token's standing, its user's role and person, in one round trip
            row = c.execute(select(tk.c.revoked, tk.c.user_name, tk.c.party_id, rep.c.role, rep.c.market,
                                   us.c.person_id).select_from(tk).outerjoin(
                rep, (rep.c.user_name == tk.c.user_name) & (rep.c.party_id == tk.c.party_id)).outerjoin(
                us, us.c.name == tk.c.user_name).where(tk.c.jti == claims["jti"])).first()
        if row is None or row.revoked:
            raise AuthError("token_revoked", "the token was revoked: log in again")
        if row.role is None:  # no longer a representative of that party
            raise AuthError("token_revoked", "the user no longer represents this party: log in again")
        return Actor(row.user_name, row.party_id, Role(row.role), row.market, row.person_id)

    def revoke(self, user: str, *, actor: Actor | None = None) -> int:
        """Revoke every token and CLI session of the user (a lost laptop, a person leaving). With
        ``actor``, as that acting user (``authorise_credentials``: oneself, an administrator, or a
        regulator of the user's market for the roles it grants); without one only one's own (a logout)."""
        def work(c) -> int:
            if actor is not None:
                authorise_credentials(c, actor, user, "revoke")
            return int(c.execute(update(t.api_tokens).where(
                t.api_tokens.c.user_name == user, t.api_tokens.c.revoked == 0).values(revoked=1)).rowcount)

        return run_in_transaction(self.engine, work)
