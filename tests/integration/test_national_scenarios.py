"""The bundled national scenarios (compliance years 2023 and 2024 for power, 2024 for steel, cement and
aluminium) run end to end on a small version: power allocated on generation under 国环规气候〔2024〕1号
with the scenario's benchmark assumptions, industry by verified emissions; the surrender deadline of
the year's own compliance rule set; every unit class conserved."""

from __future__ import annotations

import json
import math
import re
import shutil
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from openets.cli.app import app
from openets.core.clock import MARKET_TZ, from_us
from openets.services import rulebook
from openets.services.queries import RegistryQueries
from openets.simulation.schema import BUNDLED
from openets.storage import tables as t
from openets.storage.db import make_engine

SMALL = {"companies = 200": "companies = 5", "trading_days = 30": "trading_days = 2",
         "orders_per_day = 600": "orders_per_day = 30"}


@pytest.mark.parametrize(("year", "deadline"), [(2023, "2024-12-31"), (2024, "2025-12-31")])
def test_national_year_runs_under_its_own_rules(tmp_path: Path, year: int, deadline: str) -> None:
    text = (BUNDLED / f"national-{year}.toml").read_text(encoding="utf-8")
    for a, b in SMALL.items():
        assert a in text
        text = text.replace(a, b)
    shutil.copy(BUNDLED / "national-2023-2024-rules.toml", tmp_path / "national-2023-2024-rules.toml")
    path = tmp_path / "small.toml"
    path.write_text(text, encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'year.db'}"
    r = CliRunner().invoke(app, ["run", str(path), "--db", db, "--report", str(tmp_path / "report"), "--json"])
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    (cea,) = out["markets"]
    assert out["conserved"] and cea["market"] == "CEA" and cea["companies"] == 5
    assert all(x.conserved for x in RegistryQueries(make_engine(db)).totals())
    # the scenario's fleet, drawn around its benchmarks (2022's × 0.98) with the gas units above theirs:
    # a little less allocated than verified (test_national_calibration.py at full size), and the
    # surrenders cover no more than what was allocated and bought
    assert 0 < cea["allocated_t"] < cea["verified_t"] and cea["surrendered_t"] <= cea["verified_t"]
    # the year's own compliance rule set, and its deadline, govern: 国环规气候〔2024〕1号
    book = rulebook.default_rulebook()
    rs = book.lookup_at("CEA", year, datetime(2025, 1, 1, tzinfo=UTC), "compliance")
    assert rs.document == "国环规气候〔2024〕1号"
    assert str(rulebook.compliance_rules(book, "CEA", year, datetime(2025, 1, 1, tzinfo=UTC)).deadline) == deadline
    with make_engine(db).connect() as c:
        surrenders = c.execute(select(t.transactions.c.at_us).where(
            t.transactions.c.type == "surrender", t.transactions.c.compliance_year == year)).scalars().all()
    assert surrenders
    # on-time surrenders fall on or before the deadline in market time; none before the plan (15 Oct 2024)
    days = sorted(from_us(u).astimezone(MARKET_TZ).date().isoformat() for u in surrenders)
    assert days[0] >= "2024-10-15" and sum(d <= deadline for d in days) >= 1


def test_national_2024_industry_allocates_verified_emissions(tmp_path: Path) -> None:
    """Steel, cement, aluminium 2024: allowances = verified 2024 emissions, issued after verification
    under the industrial plan; each company's whole tonnes rounded up as its obligation is, so every
    company can surrender exactly what it was given (allocated − verified < 1 t a company)."""
    text = (BUNDLED / "national-2024-industry.toml").read_text(encoding="utf-8")
    for a, b in {"companies = 150": "companies = 5", "trading_days = 20": "trading_days = 2",
                 "orders_per_day = 300": "orders_per_day = 30"}.items():
        assert a in text
        text = text.replace(a, b)
    path = tmp_path / "small.toml"
    path.write_text(text, encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'year.db'}"
    r = CliRunner().invoke(app, ["run", str(path), "--db", db, "--report", str(tmp_path / "report"), "--json"])
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    (cea,) = out["markets"]
    assert out["conserved"] and 0 <= cea["allocated_t"] - cea["verified_t"] < cea["companies"]
    with make_engine(db).connect() as c:
        runs = c.execute(select(t.allocation_runs.c.kind, t.allocation_runs.c.rule_document,
                                t.allocation_runs.c.total)).all()
        rows = c.execute(select(t.allocations.c.exact, t.allocations.c.quantity)).all()
    assert [(k, d) for k, d, _ in runs] == [("final", "2024、2025年度全国碳排放权交易钢铁、水泥、铝冶炼行业配额总量和分配方案 "
                                                     "(number unverified)")]
    assert runs[0][2] == cea["allocated_t"]
    for exact, quantity in rows:  # each company: its verified emissions, up to whole tonnes
        assert quantity == math.ceil(Decimal(exact))


def test_national_2025_power_runs_to_a_compliance_outcome_under_2025s_rules(tmp_path: Path) -> None:
    """Power 2025 beside the 2025 industry run: the references give no 2025 power plan, so the scenario's
    benchmark set (national-2025-power-rules.toml: 2023–2024's carried forward, an assumption) allocates,
    and the year is surrendered under the 2025 compliance rule set (31 Dec 2026, unverified) with the
    carried-forward 20 % gap cap and gas rule; the outcome is named for every company."""
    text = (BUNDLED / "national-2025.toml").read_text(encoding="utf-8")
    for a, b in SMALL.items():
        assert a in text
        text = text.replace(a, b)
    shutil.copy(BUNDLED / "national-2025-power-rules.toml", tmp_path / "national-2025-power-rules.toml")
    path = tmp_path / "small.toml"
    path.write_text(text, encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'year.db'}"
    r = CliRunner().invoke(app, ["run", str(path), "--db", db, "--report", str(tmp_path / "report"), "--json"])
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    (cea,) = out["markets"]
    assert out["conserved"] and cea["market"] == "CEA" and cea["companies"] == 5
    assert cea["compliance"].endswith("%") and cea["compliance_final"].endswith("%")
    assert 0 < cea["allocated_t"] and 0 < cea["surrendered_t"] <= cea["verified_t"]
    with make_engine(db).connect() as c:
        runs = c.execute(select(t.allocation_runs.c.rule_document)).scalars().all()
        surrenders = c.execute(select(t.transactions.c.at_us).where(
            t.transactions.c.type == "surrender", t.transactions.c.compliance_year == 2025)).scalars().all()
    # the scenario's carried-forward benchmarks won over the shipped user-supplied set
    assert runs and all(d.startswith("scenario assumption: 国环规气候〔2024〕1号's power benchmarks carried forward")
                        for d in runs)
    book = rulebook.default_rulebook()
    comp = rulebook.compliance_rules(book, "CEA", 2025, datetime(2026, 12, 1, tzinfo=UTC))
    assert str(comp.deadline) == "2026-12-31" and comp.company_gap_cap == Decimal("0.20")
    days = sorted(from_us(u).astimezone(MARKET_TZ).date().isoformat() for u in surrenders)
    assert days and days[0] >= "2026-06-30" and sum(d <= "2026-12-31" for d in days) >= 1


def _invoke_bundled(tmp_path: Path, db: str, days_2024: int = 2, more: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    """`openets run --json` of national-2023-2025.toml shrunk (4 power and 3 industry companies, 2 trading
    days of 20 orders; 2024's ``days_2024``) on the empty database ``db`` (PostgreSQL where
    OPENETS_DATABASE_URL names one); ``more``: further replacements. The shrunk run keeps the economy the
    hand figures below were derived from: no abatement curves (the full file's mac_yuan/mac_share, its
    calibration, are taken out: they would move every draw and trade of the small run)."""
    text = (BUNDLED / "national-2023-2025.toml").read_text(encoding="utf-8")
    text, curves = re.subn(r"^mac_(yuan|share) = .*\n", "", text, flags=re.MULTILINE)
    assert curves == 6  # a curve and its share in each of the three years
    for a, b in {"companies = 60": "companies = 4", "companies = 30": "companies = 3",
                 "trading_days = 20": "trading_days = 2", "trading_days = 15": f"trading_days = {days_2024}",
                 "orders_per_day = 300": "orders_per_day = 20", **(more or {})}.items():
        assert a in text
        text = text.replace(a, b)
    for name in ("national-2023-2024-rules.toml", "national-2025-power-rules.toml", "national-2025-industry-rules.toml"):
        shutil.copy(BUNDLED / name, tmp_path / name)
    path = tmp_path / "small.toml"
    path.write_text(text, encoding="utf-8")
    return CliRunner().invoke(app, ["run", str(path), "--db", db, "--no-fresh", "--report", str(tmp_path / "report"), "--json"])


def _run_bundled(tmp_path: Path, db: str) -> dict:  # type: ignore[type-arg]
    r = _invoke_bundled(tmp_path, db)
    assert r.exit_code == 0, r.stderr
    out: dict = json.loads(r.stdout)  # type: ignore[type-arg]
    return out


def test_trading_days_before_the_allocation_is_in_are_refused_in_the_scenarios_terms(tmp_path: Path, db_url: str) -> None:
    """2024 starts on 20 Nov 2025 (after the industrial plan): MRV from 30 Nov (set-up + 10 days), confirmed
    2 Dec (the room left is 2 days), the allocation issued 5 days later, 7 Dec. The last 20 trading days
    before 31 Dec 2025 begin on 3 Dec: the agents would trade units that had not arrived (the registry
    refuses each such transfer, `not_before_arrival`). Refused before any trade, in the scenario's terms:
    8–30 Dec holds 17 trading days (weekdays 8–12, 15–19, 22–26: 15, and 29–30: 2)."""
    r = _invoke_bundled(tmp_path, db_url, days_2024=20)
    assert r.exit_code == 1
    assert "[trading_days_too_many]" in r.stderr and "CEA 2024: trading_days = 20 start on 2025-12-03" in r.stderr
    assert "(2025-12-07;" in r.stderr and "give at most 17" in r.stderr


def test_the_bundled_2023_2025_scenario_runs_three_years_under_each_years_rules(tmp_path: Path, db_url: str) -> None:
    """One `openets run` over 2023, 2024 and 2025 (national-2023-2025.toml, shrunk: 4 power and 3 industry
    companies, 2 trading days): power every year under that year's plan, steel, cement and aluminium from
    2024 — no 2023 obligation, 2024 allowances = verified 2024 emissions, 2025 pre-allocated 70 % of them
    and trued up; each year surrendered under its own compliance rule set; a power company's 2025
    obligation within the gap cap."""
    from openets.core.clock import FixedClock
    from openets.services.compliance import ComplianceService
    from openets.services.registry import RegistryService

    out = _run_bundled(tmp_path, db_url)
    db = db_url
    assert out["conserved"] and out["unit_classes"] == 3  # one vintage a year, every one conserved
    assert [(m["market"], m["year"], m["companies"]) for m in out["markets"]] == [
        ("CEA", 2023, 4), ("CEA", 2024, 7), ("CEA", 2025, 7)]
    # each year's outcome under that year's own compliance rule set: 国环规气候〔2024〕1号 for 2023 and 2024
    # (deadlines 31 Dec 2024, 31 Dec 2025), the 2025 set for 2025 (31 Dec 2026, unverified)
    book = rulebook.default_rulebook()
    for m, deadline in zip(out["markets"], ("2024-12-31", "2025-12-31", "2026-12-31")):
        at_deadline = datetime.fromisoformat(f"{deadline}T12:00:00+08:00")
        assert m["rules"] == book.lookup_at("CEA", m["year"], at_deadline, "compliance").label()
        assert m["rules"].startswith(f"CEA {m['year']}")
        assert str(rulebook.compliance_rules(book, "CEA", m["year"], at_deadline).deadline) == deadline
    assert [m["rules"].split("'")[1] for m in out["markets"][:2]] == ["国环规气候〔2024〕1号"] * 2
    assert all(0 < m["surrendered_t"] <= m["verified_t"] for m in out["markets"])
    assert sorted(p.name for p in (tmp_path / "report").iterdir() if p.is_dir()) == ["2023", "2024", "2025"]

    engine = make_engine(db)
    with engine.connect() as c:
        allocs = c.execute(select(t.allocation_runs.c.compliance_year, t.allocation_runs.c.kind,
                                  t.allocations.c.company, t.allocations.c.quantity)
                           .join(t.allocations, t.allocations.c.run_id == t.allocation_runs.c.id)).all()
        reports = {(row.company, row.year): Decimal(row.verified_emissions) for row in c.execute(
            select(t.emission_reports.c.company, t.emission_reports.c.year, t.emission_reports.c.verified_emissions))}
    steel = "CEAC00004"  # the first industry company (numbered after the 4 power companies)
    # no 2023 obligation: no 2023 report, allocation or status
    assert (steel, 2023) not in reports and not [a for a in allocs if a.company == steel and a.compliance_year == 2023]
    svc = RegistryService(engine, clock=FixedClock(datetime(2027, 1, 10, tzinfo=UTC)))
    (st23,) = [s.status for s in ComplianceService(svc).statuses("CEA", 2023) if s.company == steel]
    assert not st23.owed, st23
    # 2024: allowances = verified 2024 emissions, up to whole tonnes (one "final" run, nothing before)
    ve24 = reports[(steel, 2024)]
    given24 = [(a.kind, a.quantity) for a in allocs if a.company == steel and a.compliance_year == 2024]
    assert given24 == [("final", math.ceil(ve24))]
    # 2025: pre-allocation 70 % × 2024 VE, rounded half up (the plan's rounding); in this run
    # VE 2024 = 294,067.24 t → 0.70 × 294,067.24 = 205,847.068 → 205,847 t
    pre25 = [a.quantity for a in allocs if a.company == steel and a.compliance_year == 2025 and a.kind == "pre"]
    assert pre25 == [int((Decimal("0.70") * ve24).quantize(Decimal(1), rounding="ROUND_HALF_UP"))]
    assert ve24 == Decimal("294067.24") and pre25 == [205847]
    # and a true-up after it (benchmark × confirmed output − issued)
    assert [a.kind for a in allocs if a.company == steel and a.compliance_year == 2025] == ["pre", "trueup"]
    # a power company's 2025 obligation under the gap cap: at most its allocation + 20 % × VE (rounded up)
    # — computed here unit by unit: each unit owes its VE up to whole tonnes, a gas unit at most its own
    # allocation (the true-up's final figure, half up), and the company at most that cap
    owed = {s.company: s.status.owed for s in ComplianceService(svc).statuses("CEA", 2025)}
    with engine.connect() as c:
        outputs = {r.company: json.loads(r.verified_output) for r in c.execute(
            select(t.emission_reports.c.company, t.emission_reports.c.verified_output)
            .where(t.emission_reports.c.year == 2025))}
        finals = {r.company: {d["source"]: Decimal(d.get("exact", d.get("final"))) for d in json.loads(r.detail)}
                  for r in c.execute(select(t.allocations.c.company, t.allocations.c.detail)
                                     .join(t.allocation_runs, t.allocation_runs.c.id == t.allocations.c.run_id)
                                     .where(t.allocation_runs.c.compliance_year == 2025,
                                            t.allocation_runs.c.kind == "trueup"))}
    gas_relieved = 0
    for company in ("CEAC00000", "CEAC00001", "CEAC00002", "CEAC00003"):
        given = sum(a.quantity for a in allocs if a.company == company and a.compliance_year == 2025)
        ve = reports[(company, 2025)]
        cap = given + math.ceil(Decimal("0.20") * ve)
        part = 0
        for u in outputs[company]:
            tonnes = math.ceil(Decimal(str(u["emissions"])))
            if u.get("fuel") == "gas":
                own = int(finals[company][u["source_id"]].quantize(Decimal(1), rounding="ROUND_HALF_UP"))
                gas_relieved += tonnes - min(tonnes, own)
                tonnes = min(tonnes, own)
            part += tonnes
        assert owed[company] == min(part, cap), (company, owed[company], part, cap)
    assert gas_relieved > 0  # the run has a gas unit over its allocation: the gas rule is exercised


def test_the_bundled_2023_2025_scenario_banks_within_the_carry_over_limit(tmp_path: Path, db_url: str) -> None:
    """Banking in the three-year run (国环规气候〔2024〕1号, mechanisms.md §8.3: carry-over limited to
    10,000 t + 1.5 × the net allowances sold 2019–2024; which vintages and what happens to the excess are
    `?` there — the registry's reading: vintages up to 2024 surrendered for 2025 on count against it, the
    excess is refused and stays in the account; 2023 allowances for 2024 are within the one plan, unlimited).

    By hand, from the registry's transfers dated up to 31 Dec 2024 (Beijing): CEAC00003 sold 49,790 t net
    in the 2023 year's trading (Oct–Nov 2024) → limit 10,000 + 1.5 × 49,790 = 10,000 + 74,685 = 84,685 t;
    every other company sold nothing net or bought (CEAC00002 bought 49,790) → 10,000 t; together
    84,685 + 6 × 10,000 = 144,685 t. The 93 t of 2023 allowances left after 2023 are all surrendered for
    2024 (its 2023 holders short). After 2024 CEAC00003 alone holds vintages ≤ 2024, 93 t: it carries
    min(93, 84,685) = 93 t into 2025 (surrendered first), 84,685 − 93 = 84,592 t of its limit left. Given
    90,000 t more 2024 allowances afterwards, it may surrender 84,592 of them for 2026 (the limit covers
    every later year together) and the next tonne is refused; 90,000 − 84,592 = 5,408 t stay in its account."""
    from openets.core.clock import FixedClock
    from openets.core.errors import DomainError
    from openets.registry.commands import Allocate, Surrender
    from openets.services.flexibility import FlexibilityService
    from openets.services.registry import RegistryService

    out = _run_bundled(tmp_path, db_url)
    y23, y24, y25 = out["markets"]
    engine = make_engine(db_url)
    with engine.connect() as c:
        number = {r.id: r.number for r in c.execute(select(t.accounts.c.id, t.accounts.c.number))}
        vintage = {r.id: (r.code, r.vintage) for r in c.execute(select(t.unit_classes.c.id, t.unit_classes.c.code,
                                                                         t.unit_classes.c.vintage))}
        txs = c.execute(select(t.transactions).where(t.transactions.c.status == "completed")).all()
        limits = {number[r.account_id]: (r.kind, r.year, r.quantity, r.basis) for r in c.execute(select(t.flex_limits))}
        held_now = {}
        for p in c.execute(select(t.positions)):
            if vintage[p.unit_class_id][1] <= 2024:
                held_now[number[p.account_id]] = held_now.get(number[p.account_id], 0) + int(p.total)
    # net sold 2019–2024 by hand: transfers out minus in, dated up to 31 Dec 2024 in market time
    net: dict[str, int] = {}
    for x in txs:
        if x.type == "transfer" and from_us(x.at_us).astimezone(MARKET_TZ).date().year <= 2024:
            net[number[x.sender_id]] = net.get(number[x.sender_id], 0) + int(x.quantity)
            net[number[x.receiver_id]] = net.get(number[x.receiver_id], 0) - int(x.quantity)
    companies = [f"CEAC{i:05d}-A" for i in range(7)]
    assert set(limits) == set(companies)  # every company granted once, between the years
    for acc in companies:
        kind, year, quantity, basis = limits[acc]
        assert (kind, year) == ("carry_over", 2024)
        assert quantity == 10_000 + int(Decimal("1.5") * max(0, net.get(acc, 0)))  # 1.5 × N, rounded down
    assert net["CEAC00003-A"] == 49_790 and net["CEAC00002-A"] == -49_790
    assert limits["CEAC00003-A"][2] == 84_685 and "10,000 t + 1.5 × 49,790 t" in limits["CEAC00003-A"][3]
    assert [m["carry_granted_t"] for m in out["markets"]] == [0, 144_685, 144_685]  # granted once, read again
    # 2023 → 2024: within the plan, every banked 2023 tonne surrendered for 2024, no limit counted
    assert y23["banked_t"] == 93 and y24["carried_in_t"] == 93 and y23["carry_limit_t"] == 0
    # and the year's annual report says so (its markets sheet, one row: CEA 2024)
    import pandas as pd

    sheet = pd.read_excel(tmp_path / "report" / "2024" / "report.xlsx", sheet_name="Markets 市场")
    assert sheet["上年度结转使用 (吨) / carried in from earlier years (t)"].tolist() == [93]
    assert sheet["结转上限 (吨) / carry-over limit (t)"].tolist() == [y24["carry_limit_t"]]
    assert sum(int(x.quantity) for x in txs if x.type == "surrender" and x.compliance_year == 2024
               and vintage[x.unit_class_id][1] == 2023) == 93
    # 2024 → 2025: what each carries is min(held after 2024, limit); none of it moved in the 2025 year (from
    # 2026, when its allocation starts) but by surrender
    assert not [x for x in txs if x.type == "transfer" and vintage[x.unit_class_id][1] <= 2024
                and from_us(x.at_us).astimezone(MARKET_TZ).date().year >= 2026]
    used25 = {acc: sum(int(x.quantity) for x in txs if x.type == "surrender" and number[x.sender_id] == acc
                       and x.compliance_year == 2025 and vintage[x.unit_class_id][1] <= 2024) for acc in companies}
    for acc in companies:
        held_after_2024 = used25[acc] + held_now.get(acc, 0)
        assert used25[acc] == min(held_after_2024, limits[acc][2]), acc
    assert used25 == {acc: 93 if acc == "CEAC00003-A" else 0 for acc in companies}
    assert held_now.get("CEAC00003-A", 0) == 0
    assert (y24["banked_t"], y24["carry_limit_t"], y24["carry_used_t"], y24["carry_left_t"], y24["carry_beyond_t"]) == (
        93, 144_685, 0, 93, 0)
    assert (y25["carried_in_t"], y25["carry_used_t"], y25["carry_left_t"], y25["carry_beyond_t"]) == (93, 93, 0, 0)
    # within the limit passes, beyond it is refused (the registry's within_flex_limit)
    svc = RegistryService(engine, clock=FixedClock(datetime(2027, 1, 20, 2, tzinfo=UTC)))
    ids = {v: k for k, v in number.items()}
    v24 = next(k for k, (code, _) in vintage.items() if code == "CEA-2024")
    svc.submit(svc.actor("cea-reg-1"), [Allocate(from_account=ids["CEA-ISSUANCE"], to_account=ids["CEAC00003-A"],
                                                 unit_class=v24, quantity=90_000)])
    (lim, used), = FlexibilityService(svc).standing("CEA", "CEAC00003")
    assert (lim.quantity, used) == (84_685, 93)
    company = svc.actor("ceac00003-rep")

    def carry(qty: int) -> Surrender:
        return Surrender(from_account=ids["CEAC00003-A"], unit_class=v24, quantity=qty, compliance_year=2026)

    svc.one(company, carry(84_592))
    with pytest.raises(DomainError) as e:
        svc.one(company, carry(1))
    assert e.value.code == "within_flex_limit"
    assert "limit 84,685 t, 84,685 t used, 1 t asked" in e.value.message
    with engine.connect() as c:
        left = c.execute(select(t.positions.c.total).where(t.positions.c.account_id == ids["CEAC00003-A"],
                                                            t.positions.c.unit_class_id == v24)).scalar_one()
    assert left == 90_000 - 84_592 == 5_408  # stays in the account, unusable for later years
    engine.dispose()


def test_a_late_payer_owes_next_year_only_what_it_still_lacks_after_its_late_surrender(tmp_path: Path, db_url: str) -> None:
    """The late payers surrender five days after the deadline; the regulator decides the consequences after
    that (it decided them two days after the deadline, before the late surrender it follows, and a late payer
    that had then surrendered in full was still owed its whole obligation against its next allocation: in the
    full three-year run 1,322,398 t of CEAC00010's 2024 allowances withheld, the 2024 market short by them).
    Shrunk run with one of the 4 power companies late (late_share 0.25: int(4 × 0.25) = 1, the same shuffle):
    its fine is for what was missing at the deadline (its whole obligation, Decree 775 Art. 24), its next-year
    debt what is still missing when decided: owed − surrendered (0 when it paid in full late)."""
    r = _invoke_bundled(tmp_path, db_url, more={'late_share = "0.02"': 'late_share = "0.25"'})
    assert r.exit_code == 0, r.stderr
    engine = make_engine(db_url)
    deadline_us = int(datetime.fromisoformat("2024-12-31T23:59:59.999999+08:00").timestamp() * 1_000_000)
    with engine.connect() as c:
        number = {x.id: x.number for x in c.execute(select(t.accounts.c.id, t.accounts.c.number))}
        surrenders = c.execute(select(t.transactions).where(t.transactions.c.type == "surrender",
                                                          t.transactions.c.compliance_year == 2023,
                                                          t.transactions.c.status == "completed")).all()
        penalties = {(x.company, x.kind): x for x in c.execute(
            select(t.penalties).where(t.penalties.c.compliance_year == 2023))}
        debts = {x.company: x.quantity for x in c.execute(
            select(t.allocation_debts).where(t.allocation_debts.c.compliance_year == 2023,
                                             t.allocation_debts.c.kind == "nextyear"))}
    from openets.core.clock import FixedClock
    from openets.services.compliance import ComplianceService
    from openets.services.registry import RegistryService

    svc = RegistryService(engine, clock=FixedClock(datetime(2025, 2, 1, tzinfo=UTC)))
    owed = {x.company: x.status.owed for x in ComplianceService(svc).statuses("CEA", 2023)}
    engine.dispose()
    late = {number[x.sender_id].removesuffix("-A") for x in surrenders if x.at_us > deadline_us}
    assert len(late) == 1
    (company,) = late
    paid = sum(int(x.quantity) for x in surrenders if number[x.sender_id] == f"{company}-A")
    fine = penalties[(company, "fine")]
    # the fine: on the whole obligation (nothing surrendered by the deadline), decided after the late surrender
    assert fine.shortfall == owed[company] and fine.decided_us > max(x.at_us for x in surrenders)
    still = max(0, owed[company] - paid)
    assert debts.get(company, 0) == still  # not its whole obligation
    assert ((company, "listed") in penalties) == (still > 0)
