"""Read-side queries about users for the command line."""

from __future__ import annotations

from sqlalchemy import Engine, select

from openets.storage import tables as t


def user_exists(engine: Engine, name: str) -> bool:
    with engine.connect() as c:
        return c.execute(select(t.users.c.name).where(t.users.c.name == name)).first() is not None
