"""Who administers the database itself: ``registry init`` (upgrading the schema), ``registry restore``
(overwriting every row) and ``registry purge-keys`` are an administrator's acts
(``Actor.require_administrator``). A database with no users yet has nobody to act as: there the first
``init`` (and a restore onto it: nothing is overwritten that anyone wrote as a user) runs as the
bootstrap, like the first administrator's creation (``add_user`` with no actor)."""

from __future__ import annotations

from sqlalchemy import Engine, and_, inspect, or_, select

from openets.core.actor import Actor, Role
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


def live_registry(engine: Engine) -> str | None:
    """Why the database is a live registry (None if it is not): it has users and someone could act, or
    has acted, as one — a password or an API token given, or an audit row of a user's act (through the
    API, the dashboard or the CLI: rows with a source) or of the first administrator's bootstrap. The
    demo, ``run``, the walk-through and the lab write as the system set-up (nobody): they run only on a
    database that is none, such as their own from before (whose users they made themselves, with no
    password, acting through no edge)."""
    if not has_users(engine):
        return None
    with engine.connect() as c:
        if c.execute(select(t.credentials.c.user_name).limit(1)).first() is not None:
            return "users with passwords"
        if c.execute(select(t.api_tokens.c.user_name).limit(1)).first() is not None:
            return "users with API tokens"
        # a person's act comes in through an edge (API, dashboard, CLI), which writes its row with its
        # source; the exchange's own row for a refused order has none: the simulations' agents write
        # those by the thousand (the demo's database from before is still its own, to run again over)
        a = t.audit_log
        acted = c.execute(select(a.c.user_name, a.c.source).where(or_(
            and_(a.c.user_name.is_not(None), a.c.source.is_not(None)), a.c.source == "cli-bootstrap")).limit(1)).first()
        if acted is not None:
            return f"users who have acted ({acted.user_name or 'the bootstrap administrator'})"
    return None


def older_schema_actor(engine: Engine, user: str, party: int | None = None) -> Actor:
    """``user`` as an actor on a database whose schema predates this version (``registry init`` upgrades
    it): its representative row, read from the columns every version has (migration 0001)."""
    r = t.representatives
    q = select(r.c.party_id, r.c.role, r.c.market).where(r.c.user_name == user)
    with engine.connect() as c:
        rows = c.execute(q if party is None else q.where(r.c.party_id == party)).all()
    if len(rows) != 1:
        raise DomainError("not_a_representative", f"user {user!r} does not represent "
                          + ("exactly one party: name it with --party" if rows else "any party"))
    return Actor(user, rows[0].party_id, Role(rows[0].role), rows[0].market)
