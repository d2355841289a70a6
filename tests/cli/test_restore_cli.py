"""`openets registry restore`: what it discards said in its answer; another registry's backup refused in
one line; --force restores it deliberately (SQLite)."""

from __future__ import annotations

import gc
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.conftest import ON_PG
from typer.testing import CliRunner

from openets.cli.app import app
from openets.core.actor import SYSTEM_SETUP, Role
from openets.core.clock import FixedClock
from openets.registry.commands import Transfer
from openets.storage.backup import backup
from openets.storage.db import make_engine
from openets.testing.builders import build_world

pytestmark = pytest.mark.skipif(ON_PG, reason="SQLite files (PostgreSQL's restore: test_restore_lineage_pg.py)")
runner = CliRunner()


def restore(*args: str):  # type: ignore[no-untyped-def]
    # the commands before ran in this process, and each thread keeps its write connections to their engines
    # (storage/db.py: a refusal's audit row is written through one); one command a process, as from a shell,
    # keeps none across commands
    from openets.storage import db as storage_db

    storage_db.release_kept_writers()
    gc.collect()  # and the connections of the set-up's services left for the collector: SQLite's lock goes with them
    return runner.invoke(app, ["registry", "restore", *args, "--as", "root"])


def test_restore_says_what_it_discards(_template: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENETS_LOCAL_ADMIN", "1")
    worlds = []
    for name, day in (("mine.db", 14), ("other.db", 15)):
        shutil.copy(_template, tmp_path / name)
        eng = make_engine(f"sqlite:///{tmp_path / name}")
        worlds.append(build_world(eng, FixedClock(datetime(2017, 6, day, 2, 0, tzinfo=UTC))))
    mine, other = worlds
    admin = mine.svc.registry_party("BJ")  # a restore is an administrator's act
    mine.svc.add_user(SYSTEM_SETUP, name="root", party_id=admin, role=Role.ADMINISTRATOR, market="BJ", person="P-root")
    ours, theirs = backup(mine.svc.engine, tmp_path / "ours.db"), backup(other.svc.engine, tmp_path / "theirs.db")
    a, b = mine.accounts
    ids = [mine.svc.one(mine.companies[0], Transfer(from_account=a.id, to_account=b.id, unit_class=mine.unit_class.id,
                                                    quantity=5)).id for _ in range(2)]
    for w in worlds:
        w.svc.engine.dispose()
    db = f"sqlite:///{tmp_path / 'mine.db'}"

    refused = restore(str(theirs), "--db", db)
    assert refused.exit_code == 1 and len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert "theirs.db is not a backup of this registry: its journal line 1 differs" in refused.stderr
    assert "[backup_other_registry]" in refused.stderr

    done = restore(str(ours), "--db", db, "--json")
    assert done.exit_code == 0, done.stderr
    out = json.loads(done.stdout)
    assert (out["discarded_transactions"], out["discarded_first"], out["discarded_last"]) == (2, ids[0], ids[1])
    assert out["discarded"] == f"2 transactions discarded ({ids[0]}, {ids[1]})"
    assert out["lineage"] == "checked" and out["journal_ok"] is True and out["backup_last_transaction"] == ids[0] - 1

    forced = restore(str(theirs), "--db", db, "--force", "--json")
    assert forced.exit_code == 0 and json.loads(forced.stdout)["lineage"] == "differs (forced)", forced.stderr
