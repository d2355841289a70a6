"""The fuzz harness's world: one small registry per test module (``testing.builders``: BJ with two
regulators, two companies with accounts and allowances), plus an administrator and an auditor; on
SQLite a copy of the session's migrated template, on PostgreSQL the test database emptied first."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from tests.conftest import ON_PG, PG_URL
from tests.fuzz.hostile import write_tally

from openets.core.actor import SYSTEM_SETUP, Role
from openets.core.clock import FixedClock
from openets.registry.model import PartyKind
from openets.storage.db import make_engine
from openets.storage.tables import metadata
from openets.testing.builders import World, build_world

USERS = ("BJ-reg-1", "BJ-reg-2", "BJ-co-0", "BJ-co-1", "fuzz-admin", "fuzz-auditor")
NOW = datetime(2017, 6, 14, 2, 0, tzinfo=UTC)  # 10:00 in Beijing, a trading day


@pytest.fixture(scope="module")
def fuzz_world(_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, World]]:
    if ON_PG:
        url = PG_URL
        eng = make_engine(url)
        with eng.begin() as conn:
            conn.execute(text(f"TRUNCATE {', '.join(t.name for t in metadata.sorted_tables)} RESTART IDENTITY CASCADE"))
            conn.execute(text("ALTER SEQUENCE txn_ids RESTART WITH 1"))
    else:
        path = tmp_path_factory.mktemp("fuzz") / "world.db"
        shutil.copy(_template, path)
        url = f"sqlite:///{path}"
        eng = make_engine(url)
    w = build_world(eng, FixedClock(NOW))
    admin = w.svc.registry_party("BJ")
    w.svc.add_user(SYSTEM_SETUP, name="fuzz-admin", party_id=admin, role=Role.ADMINISTRATOR, market="BJ",
                   person="P-admin")
    aud = w.svc.create_party(kind=PartyKind.REGULATOR, name="审计署", registration_id="FUZZ-AUD")
    w.svc.add_user(SYSTEM_SETUP, name="fuzz-auditor", party_id=aud, role=Role.AUDITOR)
    yield url, w
    eng.dispose()
    write_tally()
