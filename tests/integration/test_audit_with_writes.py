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
