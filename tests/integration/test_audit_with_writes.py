"""An API request's audit row is written inside the first write transaction that commits, once; a
transaction that fails takes its copy of the row with it (and a retry writes it again)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from openets.storage import tables as t
from openets.storage.db import PendingAudit, audit_with_writes, run_in_transaction
from openets.storage.migrate import upgrade


def _rows(engine) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    with engine.connect() as c:
        return [tuple(r) for r in c.execute(select(t.audit_log.c.user_name, t.audit_log.c.status))]


def test_the_row_goes_with_the_first_committed_write(engine) -> None:  # type: ignore[no-untyped-def]
    upgrade(engine)
    count = select(func.count()).select_from(t.parties)
    pending = PendingAudit(lambda: {"user_name": "li", "method": "POST", "path": "/x", "status": 201, "at_us": 1})

    def boom(c) -> None:  # type: ignore[no-untyped-def]
        c.execute(count)
        raise ValueError("refused")

    with audit_with_writes(pending):
        with pytest.raises(ValueError):
            run_in_transaction(engine, boom)
        assert not pending.written and _rows(engine) == []  # rolled back with the failed work
        run_in_transaction(engine, lambda c: c.execute(count))
        run_in_transaction(engine, lambda c: c.execute(count))  # a second transaction adds nothing
    run_in_transaction(engine, lambda c: c.execute(count))  # outside the block: no row
    assert pending.written and _rows(engine) == [("li", 201)]


def test_a_row_not_known_yet_is_left_to_the_caller(engine) -> None:  # type: ignore[no-untyped-def]
    upgrade(engine)
    pending = PendingAudit(lambda: None)
    with audit_with_writes(pending):
        run_in_transaction(engine, lambda c: c.execute(select(func.count()).select_from(t.parties)))
    assert not pending.written and _rows(engine) == []


def test_an_order_refused_at_matching_amends_the_commands_one_row(engine, clock) -> None:  # type: ignore[no-untyped-def]
    """The CLI's way (status 1 for refused): the order log's commit writes the command's row (ok), the
    matching's commit finds the refusal (no cash) and amends that row — no second row, no row of the
    exchange's own."""
    from openets.services.exchange import open_exchange
    from openets.testing.builders import build_world

    w = build_world(engine, clock)
    ex = open_exchange(w.svc, "BEA-2016")
    before = len(_rows(engine))
    pending = PendingAudit(lambda: {"user_name": "BJ-co-1", "method": "CLI", "path": "openets market submit",
                                    "status": 0, "at_us": 1, "answer": "ok"}, refused_status=1)
    with audit_with_writes(pending):
        placed = ex.submit(w.companies[1], account=w.accounts[1].number, side="buy", quantity=10, price_fen=5000)
    assert placed.status == "rejected" and placed.reason == "cash_insufficient"
    with engine.connect() as c:
        rows = [tuple(r) for r in c.execute(select(t.audit_log.c.user_name, t.audit_log.c.status, t.audit_log.c.answer,
                                                   t.audit_log.c.path).order_by(t.audit_log.c.id))][before:]
    assert rows == [("BJ-co-1", 1, "cash_insufficient", "openets market submit")]


def test_a_refusal_rolled_back_with_its_transaction_is_not_on_the_row(engine) -> None:  # type: ignore[no-untyped-def]
    """A write finds a refusal (refused_in_request) and then fails retryably (a lock): the transaction
    is rolled back and run again, and this time the act goes through. The request's one row says
    accepted (201, no answer of a refusal), not refused (422) with a refusal that never committed."""
    from sqlalchemy.exc import OperationalError

    from openets.storage.db import refused_in_request

    upgrade(engine)
    count = select(func.count()).select_from(t.parties)
    pending = PendingAudit(lambda: {"user_name": "li", "method": "POST", "path": "/x", "status": 201, "at_us": 1})
    attempts: list[int] = []

    def work(c) -> None:  # type: ignore[no-untyped-def]
        c.execute(count)
        attempts.append(1)
        if len(attempts) == 1:
            assert refused_in_request(c, "price_outside_band")
            raise OperationalError("COMMIT", {}, Exception("database is locked"))

    with audit_with_writes(pending):
        run_in_transaction(engine, work)
    assert len(attempts) == 2 and pending.written and pending.refusal is None
    with engine.connect() as c:
        assert [tuple(r) for r in c.execute(select(t.audit_log.c.status, t.audit_log.c.answer))] == [(201, None)]


def test_an_amend_rolled_back_leaves_the_rows_accepted_answer(engine) -> None:  # type: ignore[no-untyped-def]
    """The row was written (201) by a committed write; a later write of the request amends it to refused
    and then fails (not retryable): its amend is rolled back, and what the request holds of its row
    says so too (201, no refusal) — so the caller's last word (amend_audit with the real answer) is not
    skipped on a refusal that never committed."""
    from openets.storage.db import refused_in_request

    upgrade(engine)
    count = select(func.count()).select_from(t.parties)
    pending = PendingAudit(lambda: {"user_name": "li", "method": "POST", "path": "/x", "status": 201, "at_us": 1})

    def amend_then_fail(c) -> None:  # type: ignore[no-untyped-def]
        assert refused_in_request(c, "price_outside_band")
        raise ValueError("later failure")

    with audit_with_writes(pending):
        run_in_transaction(engine, lambda c: c.execute(count))
        with pytest.raises(ValueError):
            run_in_transaction(engine, amend_then_fail)
    assert pending.refusal is None and pending.row is not None and pending.row["status"] == 201
    assert _rows(engine) == [("li", 201)]
