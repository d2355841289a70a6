"""After a lab run its registry verifies clean: every named check of ``openets registry verify`` (the
journal chains, balances against the journal, approvals, reservations, surrenders) and the journal's
own walk find nothing — the lab's speed-ups (one preload per exchange batch, no limit reads for ops
that have none) write the same registry the unhurried path writes."""

from __future__ import annotations

from pathlib import Path

from openets.services.database import make_engine
from openets.services.journal import verify
from openets.services.rulebook import default_rulebook
from openets.services.verification import verify_registry
from openets.simulation.lab import LabRunner
from openets.simulation.labfile import load_lab
from openets.testing.lab import write_lab_file


def test_lab_registry_verifies_clean_after_a_run(tmp_path: Path) -> None:
    # two years with banking: orders reserve and release units, fills deliver them, the true-up and
    # the surrenders (oldest vintage first) go through the registry, the bank is carried over
    path = write_lab_file(tmp_path, 20, 6, 60, years="[2021, 2022]")
    path.write_text(path.read_text(encoding="utf-8") + 'pre_allocation = "0.7"\n', encoding="utf-8")
    db = tmp_path / "lab.db"
    result = LabRunner(load_lab(path), url=f"sqlite:///{db}").run()
    assert sum(y.trades for y in result.years) > 0 and all(y.compliance_rate == 1 for y in result.years)
    engine = make_engine(f"sqlite:///{db}")
    try:
        report = verify_registry(engine, default_rulebook())
        assert report.ok, report.problems
        assert report.transactions > 0 and report.accounts >= 20
        walk = verify(engine)
        assert walk.ok, walk.problems
        assert walk.rows > 0
        # and the checks are live on this database: one tonne written into a position without a
        # journal line is found
        with engine.begin() as c:
            c.exec_driver_sql("UPDATE positions SET total = total + 1 WHERE rowid = (SELECT MIN(rowid) FROM positions WHERE total > 0)")
        assert not verify_registry(engine, default_rulebook()).ok
    finally:
        engine.dispose()


def test_load_limits_reads_nothing_for_an_exchange_batchs_ops() -> None:
    """Reservations, releases and transfers out of a reservation (an exchange batch's ops) count
    against no account limit: load_limits touches neither the database nor the working set for them
    (submit.LIMITED_OPS). (When units arrived comes with the positions, ``positions.last_in_us``: no
    read of its own for any op.)"""
    from datetime import UTC, datetime

    from openets.core.ids import AccountId, UnitClassId
    from openets.registry.commands import Release, Reserve, Transfer
    from openets.registry.engine import WorkingSet
    from openets.services.registry.submit import load_limits

    class NoReads:
        def __getattr__(self, name: str) -> object:
            raise AssertionError(f"load_limits read {name}")

    ws = WorkingSet(default_rulebook())
    now = datetime(2023, 12, 1, 2, tzinfo=UTC)
    ops = [Reserve(account=AccountId(1), unit_class=UnitClassId(2), quantity=5, kind="order"),
           Release(reservation=3, quantity=5),
           Transfer(from_account=AccountId(1), to_account=AccountId(4), unit_class=UnitClassId(2), quantity=5)]
    load_limits(NoReads(), ws, ops, now)  # type: ignore[arg-type]
    assert not ws.flex
