"""Tamper evidence and backup/restore."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from tests.conftest import ON_PG

from openets.ledger.journal import line_digest
from openets.registry.commands import Transfer
from openets.services.journal import export_checkpoint, verify
from openets.storage.backup import backup, restore
from openets.testing.builders import build_world


def _setup(engine: Engine, clock) -> None:  # type: ignore[no-untyped-def]
    w = build_world(engine, clock, companies=3)
    a, b, c = w.accounts
    for i in range(5):
        w.svc.one(w.companies[0], Transfer(from_account=a.id, to_account=b.id, unit_class=w.unit_class.id,
                                     quantity=100 + i))
        w.svc.one(w.companies[1], Transfer(from_account=b.id, to_account=c.id, unit_class=w.unit_class.id,
                                     quantity=50 + i))


def _unlock(engine: Engine) -> None:
    """The attacker's first step: drop the append-only triggers."""
    with engine.begin() as conn:
        if ON_PG:
            conn.execute(text("DROP TRIGGER journal_append_only ON journal"))
        else:
            conn.execute(text("DROP TRIGGER journal_no_update"))
            conn.execute(text("DROP TRIGGER journal_no_delete"))


@pytest.fixture
def relock(engine: Engine):  # type: ignore[no-untyped-def]
    """Put the triggers back after an attack (on PostgreSQL the test database outlives the test)."""
    yield
    if ON_PG:
        with engine.begin() as conn:
            conn.execute(text("DROP TRIGGER IF EXISTS journal_append_only ON journal"))
            conn.execute(text("CREATE TRIGGER journal_append_only BEFORE UPDATE OR DELETE ON journal "
                              "FOR EACH ROW EXECUTE FUNCTION journal_append_only()"))


def _recompute_chain(engine: Engine) -> None:
    """A thorough attacker: rewrite every hash and account head so the chains are internally valid."""
    with engine.begin() as conn:
        rows = conn.execute(text("SELECT seq, txn_id, account_id, account_seq, unit_class_id, restriction_id, "
                                 "d_total, d_reserved, serials, kind, at_us FROM journal "
                                 "ORDER BY account_id, account_seq")).all()
        prev: dict[int, tuple[int, str]] = {}
        for r in rows:
            n, p = prev.get(r.account_id, (0, "0" * 64))
            h = line_digest(txn_id=r.txn_id, account_id=r.account_id, account_seq=n + 1,
                            unit_class_id=r.unit_class_id, restriction_id=r.restriction_id, d_total=r.d_total,
                            d_reserved=r.d_reserved, serials=r.serials,
                            kind=r.kind, at_us=r.at_us, prev_hash=p)
            conn.execute(text("UPDATE journal SET account_seq = -:s WHERE seq = :q"), {"s": n + 1, "q": r.seq})
            conn.execute(text("UPDATE journal SET prev_hash = :p, hash = :h WHERE seq = :q"),
                         {"p": p, "h": h, "q": r.seq})
            prev[r.account_id] = (n + 1, h)
        conn.execute(text("UPDATE journal SET account_seq = -account_seq WHERE account_seq < 0"))
        for acc, (n, h) in prev.items():
            conn.execute(text("UPDATE accounts SET journal_count = :n, head_hash = :h WHERE id = :a"),
                         {"n": n, "h": h, "a": acc})


def _target(engine: Engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        r = conn.execute(text("SELECT seq, account_id, account_seq FROM journal WHERE kind = 'transfer' "
                              "AND d_total > 0 ORDER BY seq LIMIT 1 OFFSET 2")).one()
    return r.seq, r.account_id, r.account_seq


def test_journal_rows_cannot_be_updated_or_deleted(engine, clock) -> None:  # type: ignore[no-untyped-def]
    _setup(engine, clock)
    for stmt in ("UPDATE journal SET d_total = d_total + 1", "DELETE FROM journal"):
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(text(stmt))
    assert verify(engine).ok


@pytest.mark.parametrize("attack", ["edit", "delete", "reorder"])
def test_tampering_found_and_named_even_with_recomputed_chain(engine, clock, tmp_path: Path, attack: str, relock) -> None:  # type: ignore[no-untyped-def]
    _setup(engine, clock)
    cp = tmp_path / "cp.json.gz"
    export_checkpoint(engine, cp)
    seq, acc, aseq = _target(engine)
    _unlock(engine)
    with engine.begin() as conn:
        if attack == "edit":
            conn.execute(text("UPDATE journal SET d_total = d_total + 1000 WHERE seq = :s"), {"s": seq})
        elif attack == "delete":
            conn.execute(text("DELETE FROM journal WHERE seq = :s"), {"s": seq})
        else:  # swap this line with the next one of the same account
            conn.execute(text("UPDATE journal SET account_seq = -1 WHERE account_id = :a AND account_seq = :n"),
                         {"a": acc, "n": aseq})
            conn.execute(text("UPDATE journal SET account_seq = :n WHERE account_id = :a AND account_seq = :m"),
                         {"a": acc, "n": aseq, "m": aseq + 1})
            conn.execute(text("UPDATE journal SET account_seq = :m WHERE account_id = :a AND account_seq = -1"),
                         {"a": acc, "m": aseq + 1})
    naive = verify(engine)
    assert not naive.ok
    assert any(p.account_id == acc and (p.account_seq in (aseq, aseq + 1) or p.account_seq is None)
               for p in naive.problems), naive.problems
    _recompute_chain(engine)
    assert verify(engine).ok  # the chain alone can no longer tell…
    report = verify(engine, cp)  # …the checkpoint kept outside the database can
    assert [(p.account_id, p.account_seq) for p in report.problems] == [(acc, aseq)], report.problems


def test_backup_restore_round_trip(engine, clock, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _setup(engine, clock)
    with engine.connect() as conn:
        before = conn.execute(text("SELECT count(*), sum(d_total) FROM journal")).one()
        pos_before = conn.execute(text("SELECT * FROM positions ORDER BY 1, 2, 3")).all()
    out = backup(engine, tmp_path / "backup.bin")
    with engine.begin() as conn:  # damage after the backup
        conn.execute(text("UPDATE positions SET total = 0"))
    restore(engine, out)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*), sum(d_total) FROM journal")).one() == before
        assert conn.execute(text("SELECT * FROM positions ORDER BY 1, 2, 3")).all() == pos_before
    assert verify(engine).ok
    if not ON_PG:  # a backup with another page size (a database made before 2 KiB pages) restores too
        import sqlite3

        con = sqlite3.connect(out, isolation_level=None)
        con.execute("PRAGMA journal_mode=DELETE")
        con.execute("PRAGMA page_size=4096")
        con.execute("VACUUM")
        assert con.execute("PRAGMA page_size").fetchone()[0] == 4096
        con.close()
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA page_size").scalar() == 2048  # as new databases are made
        restore(engine, out)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT * FROM positions ORDER BY 1, 2, 3")).all() == pos_before
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert verify(engine).ok
    with pytest.raises(ValueError):
        backup(engine, out)  # never overwrites
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(b"not a backup")
    with pytest.raises(ValueError):
        restore(engine, garbage)
