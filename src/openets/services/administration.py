"""Who administers the database itself: ``registry init`` (upgrading the schema), ``registry restore``
(overwriting every row) and ``registry purge-keys`` are an administrator's acts
(``Actor.require_administrator``). A database with no users yet has nobody to act as: there the first
``init`` (and a restore onto it: nothing is overwritten that anyone wrote as a user) runs as the
bootstrap, like the first administrator's creation (``add_user`` with no actor)."""

from __future__ import annotations

from sqlalchemy import Engine, inspect, select

from openets.core.actor import Actor
from openets.core.errors import DomainError
from openets.storage import tables as t


def has_users(engine: Engine) -> bool:
    """Whether the database has any user (False for a new database, whose schema is not there yet)."""
    if not inspect(engine).has_table(t.users.name):
        return False
    with engine.connect() as c:
        return c.execute(select(t.users.c.name).limit(1)).first() is not None


def authorise_administration(engine: Engine, actor: Actor | None, what: str) -> None:
    """Refuse ``what`` unless ``actor`` is an administrator; ``actor=None`` (the bootstrap) only while
    the database has no users. Refusals: read_only, not_authorised."""
    if actor is not None:
        actor.require_administrator(what)
    elif has_users(engine):
        raise DomainError("not_authorised", f"to {what} needs an acting administrator once the database has "
                          "users (only a new database is set up without one)")
