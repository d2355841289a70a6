"""The hot path's batched writes (PostgreSQL: one message per transaction's writes): a read inside the
block sees the writes before it, values are quoted by the driver (no injection), and a failing
statement takes the whole transaction with it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from openets.storage import tables as t
from openets.storage.db import run_in_transaction
from openets.storage.fastsql import pipeline, run, run_many
from openets.storage.migrate import upgrade

_ins = t.idempotency.insert()
_count = select(func.count()).select_from(t.idempotency)
_keys = select(t.idempotency.c.key).order_by(t.idempotency.c.key)
_only_y = _keys.where(t.idempotency.c.key == "y")  # module-level: fastsql caches statements by identity


def _row(key: str) -> dict[str, object]:
    return {"party_id": 1, "operation": "transfer", "key": key, "payload_hash": "h", "txn_id": 1, "created_us": 0}


def test_batched_writes_are_seen_quoted_and_atomic(engine) -> None:  # type: ignore[no-untyped-def]
    upgrade(engine)
    hostile = "k'); DELETE FROM idempotency_keys; --"

    def work(c) -> list[str]:  # type: ignore[no-untyped-def]
        with pipeline(c):
            run_many(c, _ins, [_row("a"), _row(hostile), _row("100% sure")])
            return [r[0] for r in run(c, _keys, raw=True)]  # sends the batch first

    assert run_in_transaction(engine, work) == sorted(["a", hostile, "100% sure"])

    def failing(c) -> None:  # type: ignore[no-untyped-def]
        with pipeline(c):
            run_many(c, _ins, [_row("b"), _row("a")])  # "a" exists: the primary key refuses it

    with pytest.raises(IntegrityError):
        run_in_transaction(engine, failing)
    with engine.connect() as c:
        assert c.execute(_count).scalar() == 3  # "b" went with the failed transaction


def test_reads_sent_together_answer_in_order(engine) -> None:  # type: ignore[no-untyped-def]
    from openets.storage.fastsql import run_together

    upgrade(engine)
    run_in_transaction(engine, lambda c: run_many(c, _ins, [_row("x"), _row("y")]))

    def work(c):  # type: ignore[no-untyped-def]
        return run_together(c, [(_keys, {}), (_count, {}), (_only_y, {})])

    keys, count, only_y = run_in_transaction(engine, work)
    assert [r.key for r in keys] == ["x", "y"] and count[0][0] == 2 and [r.key for r in only_y] == ["y"]
