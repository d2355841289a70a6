"""Test databases: SQLite by default; PostgreSQL when OPENETS_DATABASE_URL points at one.

The schema is created once per session by the Alembic migrations; each test then starts from an
empty copy (SQLite: a copied file; PostgreSQL: all tables truncated). Under pytest-xdist (``-n 2``) each
worker has its own: SQLite files under the worker's own temporary folder, and on PostgreSQL its own
database beside the one named, ``<name>_gw0``, ``<name>_gw1``… (created when missing); the worker's
$OPENETS_DATABASE_URL is set to it, so a process a test starts finds that one too."""

from __future__ import annotations

import os
import shutil
import weakref
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

import pytest
import typer.testing
from hypothesis import HealthCheck, settings
from sqlalchemy import Connection, Engine, create_engine, event, make_url, text

from openets.core.clock import FixedClock
from openets.storage.db import make_engine
from openets.storage.migrate import upgrade
from openets.storage.tables import metadata

settings.register_profile("ci", max_examples=60, derandomize=True, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=200, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

# the URL as given, kept aside: this module is imported twice (as the conftest and as tests.conftest)
PG_URL = os.environ.setdefault("OPENETS_TEST_DATABASE_URL", os.environ.get("OPENETS_DATABASE_URL", ""))
ON_PG = PG_URL.startswith("postgresql")
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1"… under pytest-xdist; "" without it


def _worker_database(url: str, worker: str) -> str:
    """The URL of this worker's own database beside ``url``'s, created (from template0) when missing."""
    base = make_url(url)
    name = f"{base.database}_{worker}"
    eng = create_engine(base, isolation_level="AUTOCOMMIT")
    with eng.connect() as conn:
        if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first() is None:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0'))
    eng.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


if ON_PG and WORKER:
    PG_URL = _worker_database(PG_URL, WORKER)
    os.environ["OPENETS_DATABASE_URL"] = PG_URL


_BUILT: dict[object, object] = {}
_BUILD = typer.testing._get_command


def _command_once(app: typer.Typer) -> object:
    """typer's ``CliRunner.invoke`` builds the click command from the Typer app on every call (~0.3 s
    for ~90 commands, most of a short command's time in the CLI tests); build it once per app and
    process, as ``tests/fuzz/hostile.py`` does. The command is the same each time: built from the
    same, unchanged app."""
    if app not in _BUILT:
        _BUILT[app] = _BUILD(app)
    return _BUILT[app]


@pytest.fixture(scope="session", autouse=True)
def _cli_built_once() -> Iterator[None]:
    with mock.patch("typer.testing._get_command", _command_once):  # fails loudly if typer renames it
        yield


_CONNECTED: weakref.WeakSet[Engine] = weakref.WeakSet()


def _note_engine(conn: Connection) -> None:
    _CONNECTED.add(conn.engine)


@pytest.fixture(autouse=True)
def _engines_disposed() -> Iterator[None]:
    """Every engine a test connected with is disposed when the test ends, as the end of a process
    would: a pool the garbage collector has not reached yet keeps its server connections open, and
    PostgreSQL refuses clients beyond max_connections (the CI run's 100 were reached this way)."""
    event.listen(Engine, "engine_connect", _note_engine)
    try:
        yield
    finally:
        event.remove(Engine, "engine_connect", _note_engine)
        for eng in list(_CONNECTED):
            eng.dispose()
        _CONNECTED.clear()


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
