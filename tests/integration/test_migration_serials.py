"""Migration 0016 moves the movements table's ranges onto their transactions, and back (SQLite file)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import text

from openets.storage.db import make_engine, unit_of_work
from openets.storage.migrate import alembic_config, upgrade


def _to(engine, revision: str, down: bool = False) -> None:  # type: ignore[no-untyped-def]
    cfg = alembic_config()
    with unit_of_work(engine) as conn:
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, revision)


def test_movements_become_transaction_serials_and_back(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    upgrade(engine, "0015")
    with engine.begin() as c:
        for txn in (1, 2, 3):
            c.execute(text("INSERT INTO transactions (id, type, status, market, restriction_id, quantity, actor_user, "
                           "actor_party, actor_role, at_us, note, receiver_id, unit_class_id) VALUES "
                           "(:i, 'transfer', 'completed', 'BJ', 0, 1, 'u', 1, 'r', 0, '', 7, 1)"), {"i": txn})
        c.execute(text('INSERT INTO movements (txn_id, start, unit_class_id, "end", account_id) VALUES '
                       "(1, 50, 1, 60, 7), (1, 5, 1, 9, 7), (2, 100, 1, 100, 7)"))
    _to(engine, "0016")
    with engine.connect() as c:
        rows = c.execute(text("SELECT id, serials, serial_lo, serial_hi FROM transactions ORDER BY id")).all()
        assert [tuple(r) for r in rows] == [(1, "5-9 50-60", 5, 60), (2, "100-100", 100, 100), (3, "", None, None)]
        assert "movements" not in {r[0] for r in c.execute(text("SELECT name FROM sqlite_master"))}
    _to(engine, "0015", down=True)
    with engine.connect() as c:
        assert [tuple(r) for r in c.execute(text(
            'SELECT txn_id, start, "end", account_id FROM movements ORDER BY txn_id, start'))] == [
            (1, 5, 9, 7), (1, 50, 60, 7), (2, 100, 100, 7)]
    _to(engine, "head")
    engine.dispose()


def test_0021_backfills_last_in_and_narrows_the_reversal_index(tmp_path: Path) -> None:
    """Down to 0020 and up again: positions.last_in_us comes back from the journal (each position's latest
    line adding to it); a rejected reversal no longer holds the one-reversal index, a second live one does."""
    from datetime import UTC, datetime, timedelta

    import pytest
    from sqlalchemy.exc import IntegrityError

    from openets.core.clock import FixedClock
    from openets.registry.commands import Transfer
    from openets.testing.builders import build_world

    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    upgrade(engine, "head")
    clock = FixedClock(datetime(2017, 6, 1, 2, tzinfo=UTC))
    w = build_world(engine, clock)
    clock.at += timedelta(hours=1)
    w.svc.one(w.companies[0], Transfer(from_account=w.accounts[0].id, to_account=w.accounts[1].id,
                                       unit_class=w.unit_class.id, quantity=5))
    q = text("SELECT account_id, unit_class_id, restriction_id, last_in_us FROM positions ORDER BY 1, 2, 3")
    with engine.connect() as c:
        kept = [tuple(r) for r in c.execute(q)]
    assert len({r[3] for r in kept}) == 2  # two moments: the allocation's and the transfer's
    _to(engine, "0020", down=True)
    _to(engine, "0021")
    with engine.connect() as c:
        assert [tuple(r) for r in c.execute(q)] == kept
    insert = text("INSERT INTO transactions (id, type, status, market, restriction_id, quantity, actor_user, "
                  "actor_party, actor_role, at_us, note, reverses_id) VALUES "
                  "(:i, 'reversal', :s, 'BJ', 0, 1, 'u', 1, 'r', 0, '', 1)")
    with engine.begin() as c:
        c.execute(insert, {"i": 9001, "s": "rejected"})
        c.execute(insert, {"i": 9002, "s": "cancelled"})
        c.execute(insert, {"i": 9003, "s": "awaiting_approval"})
    with pytest.raises(IntegrityError), engine.begin() as c:
        c.execute(insert, {"i": 9004, "s": "completed"})
    engine.dispose()
