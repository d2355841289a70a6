"""Test databases: SQLite by default; PostgreSQL when OPENETS_DATABASE_URL points at one.

The schema is created once per session by the Alembic migrations; each test then starts from an
empty copy (SQLite: a copied file; PostgreSQL: all tables truncated)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import Engine, text

from openets.core.clock import FixedClock
from openets.storage.db import make_engine
from openets.storage.migrate import upgrade
from openets.storage.tables import metadata

settings.register_profile("ci", max_examples=60, derandomize=True, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=200, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

PG_URL = os.environ.get("OPENETS_DATABASE_URL", "")
ON_PG = PG_URL.startswith("postgresql")


@pytest.fixture(scope="session")
def _template(tmp_path_factory: pytest.TempPathFactory) -> str:
    if ON_PG:
        eng = make_engine(PG_URL)
        with eng.begin() as conn:  # start from nothing: drop what an earlier run left
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        upgrade(eng)
        eng.dispose()
        return PG_URL
    path = tmp_path_factory.mktemp("template") / "template.db"
    eng = make_engine(f"sqlite:///{path}")
    upgrade(eng)
    eng.dispose()
    return str(path)


@pytest.fixture
def db_url(_template: str, tmp_path: Path) -> Iterator[str]:
    if ON_PG:
        eng = make_engine(PG_URL)
        names = ", ".join(t.name for t in metadata.sorted_tables)
        with eng.begin() as conn:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            conn.execute(text("ALTER SEQUENCE txn_ids RESTART WITH 1"))
        eng.dispose()
        yield PG_URL
    else:
        path = tmp_path / "test.db"
        shutil.copy(_template, path)
        yield f"sqlite:///{path}"


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2017, 6, 1, 2, 0, tzinfo=UTC))
