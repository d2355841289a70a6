"""Decree 775's data-quality sanction on a real database (mechanisms.md §8.1): a regulator records a
finding against a company's report, a second regulator decides the fine and — not corrected — the
50–100 % cut of next year's allocation, which the next year's allocation run applies once."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
from typer.testing import CliRunner

from openets.allocation.plan import CompanyAllocation, PlanResult
from openets.core.clock import FixedClock
from openets.core.errors import DomainError
from openets.services.allocation import AllocationService
from openets.services.falsification import FalsificationService, data_rule
from openets.services.queries import RegistryQueries
from openets.services.reports import ReportService
from openets.testing.builders import build_world


def _code(fn) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError) as e:
        fn()
    return e.value.code


def test_a_finding_decided_cuts_next_years_allocation_once(engine) -> None:  # type: ignore[no-untyped-def]
    """A's 2023 report falsified, no gains found: fine 600,000 yuan (in 500,000–2,000,000), individuals
    100,000 yuan (in 50,000–200,000); not corrected, cut 50 % of 2024: A's 2024 allocation 100,001 t ×
    0.5 = 50,000.5 → 50,001 t cut (half up), 50,000 t allocated; B, without a finding, gets its 100,001 t."""
    clock = FixedClock(datetime(2025, 3, 3, 2, tzinfo=UTC))  # Decree 775 in force (1 May 2024)
    w = build_world(engine, clock, market="CEA", vintage=2024, companies=2, issue=1_000_000, allocate=0)
    ReportService(w.svc).determine_missing(w.reg, market="CEA", year=2023, company="CEA-REG-00000",
                                           emissions=D(90_000))
    svc = FalsificationService(w.svc)
    record = dict(market="CEA", company="CEA-REG-00000", year=2023, kind="falsified",
                  basis="coal purchase invoices altered, Mar–May 2023")
    assert _code(lambda: svc.record(w.companies[0], **record)) == "not_authorised"
    assert _code(lambda: svc.record(w.reg, **{**record, "kind": "typo"})) == "falsification_kind_invalid"
    assert _code(lambda: svc.record(w.reg, **{**record, "basis": " "})) == "basis_missing"
    assert _code(lambda: svc.record(w.reg, **{**record, "company": "CEA-REG-00001"})) == "not_found"  # no report
    f = svc.record(w.reg, **record)
    assert (f.status, f.found_by) == ("found", w.reg.user)
    assert _code(lambda: svc.record(w.reg2, **record)) == "finding_exists"
    from openets.services.tasks import pending_for

    (task,) = [x for x in pending_for(engine, w.reg2) if x.kind == "falsification"]  # the second regulator's list
    assert (task.id, task.mine) == (str(f.id), False)
    from openets.messages import Phrases

    assert task.what(Phrases.of("en")) == "decide the falsified data finding against CEA-REG-00000's 2023 report"
    assert task.what(Phrases.of("zh")) == "处理CEA-REG-00000 2023 年度报告的虚假数据认定"
    assert [x.mine for x in pending_for(engine, w.reg) if x.kind == "falsification"] == [True]
    decide = dict(gains_fen=0, amount_fen=60_000_000, individual_fen=10_000_000, corrected=False, cut_share=D("0.5"))
    assert _code(lambda: svc.decide(w.reg, f.id, **decide)) == "four_eyes"  # the finder does not decide
    assert _code(lambda: svc.decide(w.reg2, f.id, **{**decide, "cut_share": D("0.4")})) == "share_outside_range"
    assert _code(lambda: svc.decide(w.reg2, f.id, **{**decide, "amount_fen": 40_000_000})) == "fine_outside_range"
    got = svc.decide(w.reg2, f.id, **decide)
    assert (got.status, got.fine_fen, got.individual_fen, got.cut_share, got.cut_year) == (
        "decided", 60_000_000, 10_000_000, D("0.5"), 2024)
    assert got.decision == ("illegal gains 0.00 yuan, below 500,000.00: fine 600,000.00 yuan decided in the fixed "
                            "range; responsible individuals 100,000.00 yuan; not corrected: next year's allocation "
                            "cut by 50% (2024)")
    assert _code(lambda: svc.decide(w.reg2, f.id, **decide)) == "finding_decided"
    assert [x for x in pending_for(engine, w.reg2) if x.kind == "falsification"] == []

    alloc = AllocationService(w.svc)
    plan = PlanResult("final", tuple(CompanyAllocation(f"CEA-REG-{i:05d}", ("power",), D(100_001), 100_001, ())
                                     for i in range(2)), ())
    alloc.issue(w.reg2, alloc.propose(w.reg, plan, market="CEA", year=2024).run, unit_class=w.unit_class.code,
                from_account="CEA-ISSUANCE")
    held = {a.number: sum(x.total for x in RegistryQueries(engine).balances(a.number)) for a in w.accounts}
    assert held == {"CEA-C00000": 50_000, "CEA-C00001": 100_001}
    (after,) = svc.findings("CEA", "CEA-REG-00000")
    assert after.cut_quantity == 50_001 and after.cut_run_id is not None
    # a second run for 2024 does not cut again
    plan2 = PlanResult("final", (CompanyAllocation("CEA-REG-00000", ("power",), D(10), 10, ()),), ())
    alloc.issue(w.reg2, alloc.propose(w.reg, plan2, market="CEA", year=2024).run, unit_class=w.unit_class.code,
                from_account="CEA-ISSUANCE")
    assert sum(x.total for x in RegistryQueries(engine).balances("CEA-C00000")) == 50_010
    # another finding: 2024 is issued, so its cut must name a later year; a corrected one has no cut
    g = svc.record(w.reg, **{**record, "kind": "no_samples", "basis": "no coal samples kept in 2023"})
    assert _code(lambda: svc.decide(w.reg2, g.id, **decide)) == "allocation_already_issued"
    assert _code(lambda: svc.decide(w.reg2, g.id, **{**decide, "cut_year": 2023})) == "cut_year_invalid"
    assert svc.decide(w.reg2, g.id, **{**decide, "cut_year": 2025}).cut_year == 2025
    h = svc.record(w.reg2, **{**record, "kind": "major_defect", "basis": "heat rate misreported"})
    done = svc.decide(w.reg, h.id, gains_fen=100_000_000, multiple=D(5), corrected=True)  # 5 × 1,000,000 yuan
    assert (done.fine_fen, done.cut_share, done.cut_year) == (500_000_000, None, None)


def test_a_market_without_the_rule_is_named() -> None:
    from openets.services.rulebook import default_rulebook

    with pytest.raises(DomainError) as e:
        data_rule(default_rulebook(), "BJ", 2016, datetime(2017, 6, 1, tzinfo=UTC))
    assert e.value.code == "data_sanction_missing"
    with pytest.raises(DomainError) as e:  # the national market before Decree 775: the Measures state none
        data_rule(default_rulebook(), "CEA", 2021, datetime(2023, 6, 1, tzinfo=UTC))
    assert e.value.code == "data_sanction_missing"


def test_falsification_on_the_command_line(db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from openets.cli.app import app
    from openets.services.database import make_engine

    monkeypatch.setenv("OPENETS_LOCAL_ADMIN", "1")
    monkeypatch.setenv("OPENETS_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("OPENETS_NOW", "2025-03-03T10:00:00+08:00")
    runner = CliRunner()
    eng = make_engine(db_url)
    w = build_world(eng, FixedClock(datetime(2025, 3, 3, 2, tzinfo=UTC)), market="CEA", vintage=2024, companies=1,
                    issue=0, allocate=0)
    ReportService(w.svc).determine_missing(w.reg, market="CEA", year=2023, company="CEA-REG-00000", emissions=D(1))
    eng.dispose()

    def cli(*args: str, ok: bool = True) -> dict:  # type: ignore[type-arg]
        r = runner.invoke(app, ["mrv", args[0], "--db", db_url, "--json", *args[1:]])
        if ok:
            assert r.exit_code == 0, r.stderr
            return json.loads(r.stdout)
        assert r.exit_code == 1 and len(r.stderr.strip().splitlines()) == 1, r.stderr
        return {"stderr": r.stderr}

    record = ["--market", "CEA", "--company", "CEA-REG-00000", "--year", "2023", "--kind", "falsified",
              "--as", "CEA-reg-1", "--key", "finding-1"]
    f = cli("falsification", *record, "--basis", "invoices altered")
    assert f["status"] == "found"
    # the same request with its key again: the same finding, none recorded twice; another with that key refused
    assert cli("falsification", *record, "--basis", "invoices altered")["finding"] == f["finding"]
    assert "finding-1" in cli("falsification", *record, "--basis", "other", ok=False)["stderr"]
    bad = cli("falsification-decide", str(f["finding"]), "--fine-yuan", "600000", "--cut", "0.5", "--as", "CEA-reg-1",
              ok=False)
    assert "[four_eyes]" in bad["stderr"]
    bad = cli("falsification-decide", str(f["finding"]), "--fine-yuan", "1e999999999", "--as", "CEA-reg-2", ok=False)
    assert "Traceback" not in bad["stderr"]
    decide = ["falsification-decide", str(f["finding"]), "--fine-yuan", "600000", "--individuals-yuan", "50000",
              "--cut", "1", "--as", "CEA-reg-2", "--key", "decision-1"]
    got = cli(*decide)
    assert (got["status"], got["fine_yuan"], got["individuals_yuan"], got["cut_share"], got["cut_year"]) == (
        "decided", "600000.00", "50000.00", "1", 2024)
    assert cli(*decide) == got  # replayed with its key: the same decision, not "already decided"
    assert [x["finding"] for x in cli("falsifications", "--market", "CEA")] == [f["finding"]]


def test_individuals_fines_at_the_range_edges_on_the_command_line(db_url: str, monkeypatch: pytest.MonkeyPatch,
                                                                  tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The individuals' fine of Decree 775 is 50,000–200,000 yuan, both ends included: 49,999.99 yuan
    (4,999,999 fen) and 200,000.01 yuan (20,000,001 fen) are refused, 50,000 (5,000,000 fen) and 200,000
    (20,000,000 fen) decided. Each decision's audit row carries the fines and the deciding user; a
    refusal's row, its code."""
    from sqlalchemy import select

    from openets.cli.app import app
    from openets.services.database import make_engine
    from openets.storage import tables as t

    monkeypatch.setenv("OPENETS_LOCAL_ADMIN", "1")
    monkeypatch.setenv("OPENETS_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("OPENETS_NOW", "2025-03-03T10:00:00+08:00")
    runner = CliRunner()
    eng = make_engine(db_url)
    w = build_world(eng, FixedClock(datetime(2025, 3, 3, 2, tzinfo=UTC)), market="CEA", vintage=2024, companies=1,
                    issue=0, allocate=0)
    ReportService(w.svc).determine_missing(w.reg, market="CEA", year=2023, company="CEA-REG-00000", emissions=D(1))
    svc = FalsificationService(w.svc)
    low, high = (svc.record(w.reg, market="CEA", company="CEA-REG-00000", year=2023, kind=kind, basis="invoices")
                 for kind in ("falsified", "no_samples"))

    def decide(finding: int, individuals: str) -> tuple[int, str]:
        r = runner.invoke(app, ["mrv", "falsification-decide", str(finding), "--db", db_url, "--json", "--fine-yuan",
                                "600000", "--individuals-yuan", individuals, "--corrected", "--as", "CEA-reg-2"])
        return r.exit_code, r.stdout + r.stderr

    for finding, refused in ((low.id, "49999.99"), (high.id, "200000.01")):
        code, said = decide(finding, refused)
        assert code == 1 and "[fine_outside_range]" in said and "between 50,000.00 and 200,000.00 yuan" in said
    for finding, yuan, fen in ((low.id, "50000", 5_000_000), (high.id, "200000", 20_000_000)):
        code, said = decide(finding, yuan)
        assert code == 0, said
        got = json.loads(said)
        assert (got["status"], got["fine_yuan"], got["individuals_yuan"], got["decided_by"]) == (
            "decided", "600000.00", f"{fen / 100:.2f}", "CEA-reg-2")
    assert [(f.individual_fen, f.fine_fen, f.decided_by) for f in svc.findings("CEA")] == [
        (5_000_000, 60_000_000, "CEA-reg-2"), (20_000_000, 60_000_000, "CEA-reg-2")]
    with eng.connect() as c:
        rows = c.execute(select(t.audit_log.c.user_name, t.audit_log.c.action, t.audit_log.c.path,
                                t.audit_log.c.answer).where(t.audit_log.c.action == "openets.mrv.falsification-decide")
                         .order_by(t.audit_log.c.id)).all()
    eng.dispose()
    assert [(r.user_name, r.answer) for r in rows] == [("CEA-reg-2", "fine_outside_range")] * 2 + [("CEA-reg-2", "ok")] * 2
    for r, individuals in zip(rows, ("49999.99", "200000.01", "50000", "200000"), strict=True):
        assert '"fine_yuan": "600000"' in r.path and f'"individuals_yuan": "{individuals}"' in r.path


def test_the_annual_reports_sanctions_of_the_year(engine) -> None:  # type: ignore[no-untyped-def]
    """The annual report's 数据质量处罚 section: the findings against the year's reports and those whose
    cut falls on the year. A's 2023 report falsified, decided (fine 600,000 yuan = 60,000,000 fen; not
    corrected: half of 2024 cut); applied by the 2024 run: 100,001 t × 0.5 = 50,000.5 → 50,001 t."""
    from openets.simulation.outcome import sanction_rows

    w = build_world(engine, FixedClock(datetime(2025, 3, 3, 2, tzinfo=UTC)), market="CEA", vintage=2024, companies=1,
                    issue=1_000_000, allocate=0)
    ReportService(w.svc).determine_missing(w.reg, market="CEA", year=2023, company="CEA-REG-00000", emissions=D(1))
    svc = FalsificationService(w.svc)
    f = svc.record(w.reg, market="CEA", company="CEA-REG-00000", year=2023, kind="falsified", basis="invoices")
    assert [(r["status"], r["fine_fen"], r["name"]) for r in sanction_rows(w.svc, "CEA", 2023)] == [("found", None, "企业0")]
    svc.decide(w.reg2, f.id, gains_fen=0, amount_fen=60_000_000, corrected=False, cut_share=D("0.5"))
    alloc = AllocationService(w.svc)
    plan = PlanResult("final", (CompanyAllocation("CEA-REG-00000", ("power",), D(100_001), 100_001, ()),), ())
    alloc.issue(w.reg2, alloc.propose(w.reg, plan, market="CEA", year=2024).run, unit_class=w.unit_class.code,
                from_account="CEA-ISSUANCE")
    (row,) = sanction_rows(w.svc, "CEA", 2023)
    assert (row["kind"], row["status"], row["fine_fen"], row["cut_share"], row["cut_year"], row["cut_t"]) == (
        "falsified", "decided", 60_000_000, "0.5", 2024, 50_001)
    assert sanction_rows(w.svc, "CEA", 2024) == [row]  # the year its allocation was cut
    assert sanction_rows(w.svc, "CEA", 2022) == [] and sanction_rows(w.svc, "BJ", 2023) == []



@pytest.mark.parametrize("keyed", [True, False])
def test_a_twin_request_committed_meanwhile(engine, keyed: bool) -> None:  # type: ignore[no-untyped-def]
    """The same finding sent twice at once (a client retrying; two tabs), the twin's transaction still
    open when this one looks (PostgreSQL lets both start; SQLite queues writers, so there it is the
    plain second request): one finding. With the same client key, this answer is the twin's finding,
    replayed; without a key, finding_exists — never a database error."""
    import threading

    from tests.conftest import ON_PG

    from openets.core.clock import to_us
    from openets.storage import tables as t

    w = build_world(engine, FixedClock(datetime(2025, 3, 3, 2, tzinfo=UTC)), market="CEA", vintage=2024, companies=1,
                    issue=0, allocate=0)
    ReportService(w.svc).determine_missing(w.reg, market="CEA", year=2023, company="CEA-REG-00000", emissions=D(1))
    svc = FalsificationService(w.svc)
    ask = dict(market="CEA", company="CEA-REG-00000", year=2023, kind="falsified", basis="invoices",
               key="retry-1" if keyed else None)
    if not ON_PG:
        first = svc.record(w.reg, **ask)  # type: ignore[arg-type]
        if keyed:
            assert svc.record(w.reg, **ask).replayed  # type: ignore[arg-type]
        else:
            assert _code(lambda: svc.record(w.reg, **ask)) == "finding_exists"  # type: ignore[arg-type]
        assert [f.id for f in svc.findings("CEA")] == [first.id]
        return
    got: list[object] = []
    twin = engine.connect()
    tx = twin.begin()
    # the twin, as the service writes it: the key claimed first, then the finding (not yet committed)
    if keyed:
        from openets.services.falsification import RECORD_OP, _digest

        twin.execute(t.idempotency.insert().values(party_id=w.reg.party_id, operation=RECORD_OP, key="retry-1",
                                                   payload_hash=_digest(w.reg, **{k: v for k, v in ask.items() if k != "key"}),
                                                   txn_id=0, created_us=to_us(datetime(2025, 3, 3, 2, tzinfo=UTC))))
    fid = twin.execute(t.falsification_findings.insert().values(
        market="CEA", company="CEA-REG-00000", report_year=2023, kind="falsified", basis="invoices", status="found",
        found_by=w.reg.user, found_us=0).returning(t.falsification_findings.c.id)).scalar_one()
    if keyed:
        twin.execute(t.idempotency.update().where(t.idempotency.c.key == "retry-1").values(txn_id=fid))

    def send() -> None:
        try:
            got.append(svc.record(w.reg, **ask))  # type: ignore[arg-type]
        except DomainError as exc:
            got.append(exc.code)

    th = threading.Thread(target=send)
    th.start()
    th.join(1.0)
    assert th.is_alive()  # waiting on the twin's uncommitted row
    tx.commit()
    twin.close()
    th.join(10)
    (only,) = svc.findings("CEA")
    if keyed:
        (answer,) = got
        assert (answer.id, answer.replayed) == (only.id, True)  # type: ignore[attr-defined]
    else:
        assert got == ["finding_exists"]
