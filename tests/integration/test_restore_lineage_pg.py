"""`registry restore` on PostgreSQL (storage/backup.py `_pg_lineage`): the backup is restored into a scratch
database beside the registry's, compared with it as on SQLite — another history refused unless forced, the
transactions the restore discards named — and the scratch database dropped (issue 19, item 8)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from tests.conftest import ON_PG

from openets.core.errors import DomainError
from openets.registry.commands import Transfer
from openets.services.journal import verify
from openets.storage.backup import backup, restore
from openets.testing.builders import build_world

pytestmark = pytest.mark.skipif(not ON_PG or shutil.which("pg_restore") is None,
                                reason="PostgreSQL's restore (the SQLite one: test_restore_lineage.py)")


def _ids(engine: Engine) -> list[int]:
    with engine.connect() as c:
        return list(c.execute(text("SELECT id FROM transactions ORDER BY id")).scalars())


def _scratch(engine: Engine) -> list[str]:
    with engine.connect() as c:
        return list(c.execute(text("SELECT datname FROM pg_database WHERE datname LIKE '%restore_check%'")).scalars())


def test_pg_restore_checks_the_lineage_and_names_what_it_discards(engine: Engine, clock, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    w = build_world(engine, clock)
    a, b = w.accounts[:2]
    kept = _ids(engine)
    out = backup(engine, tmp_path / "b.dump")
    later = [w.svc.one(w.companies[0], Transfer(from_account=a.id, to_account=b.id, unit_class=w.unit_class.id,
                                                quantity=10 + i)).id for i in range(3)]
    done = restore(engine, out)
    assert (done.discarded, done.discarded_ids, done.lineage) == (3, tuple(later), "checked")
    assert _ids(engine) == kept and verify(engine).ok and _scratch(engine) == []

    # the database's first transaction edited after the backup: another history, refused, nothing restored
    w.svc.one(w.companies[0], Transfer(from_account=a.id, to_account=b.id, unit_class=w.unit_class.id, quantity=7))
    with engine.begin() as c:
        c.execute(text("UPDATE transactions SET quantity = quantity + 1 WHERE id = (SELECT min(id) FROM transactions)"))
    before = _ids(engine)
    with pytest.raises(DomainError) as e:
        restore(engine, out)
    assert e.value.code == "backup_other_registry" and f"its transaction {kept[0]} differs" in e.value.message
    assert _ids(engine) == before and _scratch(engine) == []
    forced = restore(engine, out, force=True)  # deliberately: the clean backup over the altered database
    assert forced.lineage == "differs (forced)" and forced.discarded == 1 and _ids(engine) == kept
