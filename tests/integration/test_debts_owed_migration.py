"""Migration 0023 (allocation_debts.run_id nullable), on the test database (SQLite file or PostgreSQL):
down to 0022 and up again with debts recorded — the rows keep their run; after it a debt with no run can
be recorded; the downgrade refuses while one is owed with no run (nothing dropped)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from alembic import command
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import DBAPIError
from tests.integration.test_sanction_followups import _ningxia, _runless_2022

from openets.services.compliance import Consequences
from openets.storage import tables as t
from openets.storage.db import unit_of_work
from openets.storage.migrate import alembic_config


def _to(engine, revision: str, down: bool = False) -> None:  # type: ignore[no-untyped-def]
    cfg = alembic_config()
    with unit_of_work(engine) as conn:
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, revision)


def _nullable(engine) -> bool:  # type: ignore[no-untyped-def]
    return {c["name"]: c["nullable"] for c in inspect(engine).get_columns("allocation_debts")}["run_id"]


def _rows(engine) -> list[tuple[str, int | None, int]]:  # type: ignore[no-untyped-def]
    d = t.allocation_debts
    with engine.connect() as c:
        return [tuple(r) for r in c.execute(select(d.c.kind, d.c.run_id, d.c.quantity).order_by(d.c.id))]  # type: ignore[misc]


def test_0023_keeps_the_debts_runs(engine) -> None:  # type: ignore[no-untyped-def]
    """The Ningxia case decided (865,300 t owed, recorded against the 2023 run): down to 0022 (run_id
    required again: the row has one) and up to 0023: the same row, the same run; run_id nullable."""
    w, _ = _ningxia(engine)
    Consequences(w.svc).decide(w.reg, "CEA", 2023, certified_price_fen=D(9800))
    kept = _rows(engine)
    assert len(kept) == 1 and kept[0][0] == "nextyear" and kept[0][1] is not None and kept[0][2] == 865_300
    assert _nullable(engine)
    try:
        _to(engine, "0022", down=True)
        assert not _nullable(engine) and _rows(engine) == kept
    finally:
        _to(engine, "head")
    assert _nullable(engine) and _rows(engine) == kept


def test_0023_downgrade_refuses_a_debt_owed_without_a_run(engine) -> None:  # type: ignore[no-untyped-def]
    """A 5,000 t debt decided for a year with no run (run_id NULL): the downgrade to 0022 fails whole and
    the schema and the row stay as they were."""
    w, _ = _runless_2022(engine)
    Consequences(w.svc).decide(w.reg, "CEA", 2022, fixed_fen=2_500_000)
    assert _rows(engine) == [("nextyear", None, 5_000)]
    try:
        with pytest.raises(DBAPIError):
            _to(engine, "0022", down=True)
    finally:
        _to(engine, "head")
    assert _nullable(engine) and _rows(engine) == [("nextyear", None, 5_000)]
    with engine.connect() as c:
        assert c.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0023"
