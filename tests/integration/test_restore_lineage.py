"""`registry restore` (storage/backup.py, SQLite): the backup must be of this registry, the database must
not be open in another process, and the restore says which transactions it discards (issue 19, item 8:
another registry's backup answered `journal_ok: true` with no lineage check and no word about what it
discarded)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from tests.conftest import ON_PG

from openets.core.clock import FixedClock
from openets.core.errors import DomainError
from openets.registry.commands import Transfer
from openets.services.journal import verify
from openets.storage.backup import backup, restore
from openets.storage.db import make_engine
from openets.testing.builders import World, build_world

pytestmark = pytest.mark.skipif(ON_PG, reason="SQLite's restore (PostgreSQL's: test_restore_lineage_pg.py)")


def _world(template: str, path: Path, day: int) -> tuple[str, World]:
    shutil.copy(template, path)
    url = f"sqlite:///{path}"
    return url, build_world(make_engine(url), FixedClock(datetime(2017, 6, day, 2, 0, tzinfo=UTC)))


def _transfers(w: World, n: int) -> list[int]:
    a, b = w.accounts
    return [w.svc.one(w.companies[0], Transfer(from_account=a.id, to_account=b.id, unit_class=w.unit_class.id,
                                               quantity=10 + i)).id for i in range(n)]


def _ids(url: str) -> list[int]:
    eng = make_engine(url)
    try:
        with eng.connect() as c:
            return list(c.execute(text("SELECT id FROM transactions ORDER BY id")).scalars())
    finally:
        eng.dispose()  # a connection of this process left open would hold the restore off


def test_restore_names_the_transactions_it_discards(_template: str, tmp_path: Path) -> None:
    url, w = _world(_template, tmp_path / "r.db", 14)
    kept = _ids(url)
    out = backup(w.svc.engine, tmp_path / "b.db")
    later = _transfers(w, 3)  # committed after the backup: the restore takes them away
    assert later == [kept[-1] + 1, kept[-1] + 2, kept[-1] + 3]
    done = restore(w.svc.engine, out)
    assert (done.discarded, done.discarded_first, done.discarded_last) == (3, later[0], later[-1])
    assert done.discarded_ids == tuple(later) and done.backup_last == kept[-1] and done.lineage == "checked"
    assert done.summary() == f"3 transactions discarded ({later[0]}, {later[1]}, {later[2]})"
    eng = make_engine(url)
    assert _ids(url) == kept and verify(eng).ok
    again = restore(eng, out)  # nothing left to discard (restore disposes the engine it is given)
    assert again.discarded == 0 and again.summary() == "no transaction discarded"


def test_another_registrys_backup_is_refused(_template: str, tmp_path: Path) -> None:
    url, w = _world(_template, tmp_path / "mine.db", 14)
    _, other = _world(_template, tmp_path / "other.db", 15)  # the same set-up a day later: other hashes
    theirs = backup(other.svc.engine, tmp_path / "theirs.db")
    before = _ids(url)
    with pytest.raises(DomainError) as e:
        restore(w.svc.engine, theirs)
    assert e.value.code == "backup_other_registry" and "journal line 1 differs" in e.value.message
    assert _ids(url) == before  # nothing restored
    forced = restore(make_engine(url), theirs, force=True)  # deliberately: e.g. a clean backup over an altered one
    assert forced.lineage == "differs (forced)"


def test_an_altered_transaction_breaks_the_lineage(_template: str, tmp_path: Path) -> None:
    url, w = _world(_template, tmp_path / "r.db", 14)
    out = backup(w.svc.engine, tmp_path / "b.db")
    with w.svc.engine.begin() as c:  # the database's transaction 2 edited after the backup
        c.execute(text("UPDATE transactions SET quantity = quantity + 1 WHERE id = (SELECT min(id) FROM transactions)"))
    with pytest.raises(DomainError, match="its transaction 1 differs"):
        restore(w.svc.engine, out)


def test_a_new_database_takes_any_backup(_template: str, tmp_path: Path) -> None:
    _, w = _world(_template, tmp_path / "r.db", 14)
    out = backup(w.svc.engine, tmp_path / "b.db")
    done = restore(make_engine(f"sqlite:///{tmp_path / 'new.db'}"), out)
    assert done.lineage == "empty" and done.discarded == 0


def test_refused_while_another_process_has_the_database_open(_template: str, tmp_path: Path) -> None:
    url, w = _world(_template, tmp_path / "r.db", 14)
    out = backup(w.svc.engine, tmp_path / "b.db")
    _transfers(w, 1)
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sqlite3, sys, time\n"
        f"c = sqlite3.connect({str(tmp_path / 'r.db')!r})\n"
        "c.execute('SELECT count(*) FROM transactions').fetchone()\n"
        "print('open', flush=True)\n"
        "sys.stdin.readline()\n")], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        before = _ids(url)
        with pytest.raises(DomainError) as e:
            restore(make_engine(url), out)
        assert e.value.code == "database_in_use" and "open in another process" in e.value.message
        assert _ids(url) == before
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.close()
        holder.wait(timeout=30)
    time.sleep(0.1)
    assert restore(w.svc.engine, out).discarded == 1  # once it has closed
