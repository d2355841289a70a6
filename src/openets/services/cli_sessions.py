"""Sessions of the command line: ``openets login`` checks the password through the service's own login
(its hash check and its failed-login limit) and turns the token it recorded into a session whose key
only the user's file holds — the database keeps the key's SHA-256 in place of the token's id, so a
reader of the database cannot act as anyone. A session expires (wall clock) and is revoked like any
token (``openets logout``, ``openets users revoke``)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from sqlalchemy import Connection, select, update

from openets.core.actor import Actor, Role
from openets.core.clock import from_us, to_us
from openets.services.auth import AuthError, AuthService
from openets.storage import tables as t
from openets.storage.db import autocommit, run_in_transaction

LIFETIME = timedelta(hours=8)  # a working day


@dataclass(frozen=True, slots=True)
class CliSession:
    user: str
    party_id: int
    key: str  # the secret the user's session file keeps
    expires: datetime


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()  # 64 hex characters: api_tokens.jti's width


def open_session(auth: AuthService, user: str, password: str, *, party_id: int | None = None,
                 lifetime: timedelta = LIFETIME) -> CliSession:
    token = auth.login(user, password, party_id=party_id, client="cli")
    jti = jwt.decode(token.access_token, auth.secret, algorithms=["HS256"])["jti"]
    key = secrets.token_urlsafe(32)
    expires = datetime.now(UTC) + lifetime
    # the login's token becomes the session: its id replaced by the key's digest (the token itself
    # then names no row, and is dead), its expiry the session's
    def work(c: Connection) -> int:
        tk = t.api_tokens
        c.execute(update(tk).where(tk.c.jti == jti).values(jti=_digest(key), expires_us=to_us(expires)))
        return int(c.execute(select(tk.c.party_id).where(tk.c.jti == _digest(key))).scalar_one())

    return CliSession(user, run_in_transaction(auth.engine, work), key, expires)


def session_actor(auth: AuthService, key: str) -> Actor:
    """The user a session key stands for, refused when unknown, expired or revoked."""
    tk, rep = t.api_tokens, t.representatives
    with autocommit(auth.engine) as c:
        row = c.execute(select(tk.c.revoked, tk.c.expires_us, tk.c.user_name, tk.c.party_id, rep.c.role,
                               rep.c.market).outerjoin(
            rep, (rep.c.user_name == tk.c.user_name) & (rep.c.party_id == tk.c.party_id)).where(
            tk.c.jti == _digest(key))).first()
    if row is None or row.revoked:
        raise AuthError("session_revoked", "the session has ended: log in again (openets login USER)")
    if from_us(row.expires_us) <= datetime.now(UTC):
        raise AuthError("session_expired", "the session has expired: log in again (openets login USER)")
    if row.role is None:
        raise AuthError("session_revoked", "the user no longer represents this party: log in again")
    return Actor(row.user_name, row.party_id, Role(row.role), row.market)


def close_session(auth: AuthService, key: str) -> bool:
    return bool(run_in_transaction(auth.engine, lambda c: c.execute(update(t.api_tokens).where(
        t.api_tokens.c.jti == _digest(key), t.api_tokens.c.revoked == 0).values(revoked=1)).rowcount))
