"""Stage 2, cap and allocation (the year's allowances created, the cap issued, the allocation run
proposed and issued), and stage 3b, the power market's true-up (多退少补) after verification."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import ROUND_CEILING, Decimal

from openets.allocation.industry import IndustryRules
from openets.allocation.plan import ProductionRow
from openets.core.errors import DomainError
from openets.registry.commands import Approve, Issue
from openets.registry.model import UnitKind
from openets.services import rulebook
from openets.services.allocation import AllocationService
from openets.services.compliance import ComplianceService
from openets.services.reports import MrvConfirmedOutput
from openets.services.sim_queries import SimulationQueries
from openets.simulation.auction import auction_rules
from openets.simulation.state import Company, Market, Progress


def power_companies(m: Market) -> list[Company]:
    """A power market's power companies (those with generating units)."""
    return [c for c in m.companies if c.units]


def industry_companies(m: Market) -> list[Company]:
    """A market's companies allocated by the industrial plan: all of a non-power market's, a power market's
    industry companies (``MarketSpec.industry``)."""
    return [c for c in m.companies if not c.units]


def mixed(m: Market) -> bool:
    """A power market with steel, cement and aluminium companies beside its power companies this year."""
    return m.spec.power and m.spec.industry is not None


def industry_plan(m: Market) -> IndustryRules | None:
    """The steel / cement / aluminium plan governing the market's year, where one does (national 2024 on)."""
    if m.spec.power and not mixed(m):
        return None
    try:
        plan = rulebook.industry_rules(m.svc.rulebook, m.spec.code, m.spec.year, m.clock.now())
    except DomainError:
        return None
    return plan


def industry_output(m: Market, plan: IndustryRules, companies: list[Company] | None = None) -> None:
    """An intensity plan's world: each company's product output this year, from its emissions and an
    intensity of its own around the sector's benchmark (0.93–1.05 × the benchmark, drawn from a
    generator of the company's own so that the market's draws stay what they were): a company
    cleaner than the benchmark is long after the true-up, a dirtier one short."""
    for c in m.companies if companies is None else companies:
        bench = plan.sector(c.sector).benchmark
        if bench is None:
            raise DomainError("benchmark_missing", f"{m.spec.code} {m.spec.year}: the plan ships no {c.sector} "
                                                   "benchmark (not in the references): the scenario's rule file gives it")
        own = random.Random(f"intensity {c.reg_id}")
        intensity = bench * Decimal(str(own.uniform(0.93, 1.05)))
        # output from what it would have emitted: abating (world.abate) lowers intensity, not output
        c.output = ((c.actual + c.abated) / intensity).quantize(Decimal(1))


def _issue_room(m: Market) -> None:
    """An industry market's unit class and its issuance account's room: twice the companies' emissions,
    room for what verification confirms (the verifier's corrections add at most 4 %)."""
    code, svc = m.spec.code, m.svc
    room = 2 * sum(int(c.actual.to_integral_value(ROUND_CEILING)) for c in m.companies)
    m.unit_class = svc.create_unit_class(m.r1, kind=UnitKind.ALLOWANCE, market=code, vintage=m.spec.year, cap=room)
    rec = svc.one(m.r1, Issue(key=f"{code}-{m.spec.year}-cap", to_account=svc.account(f"{code}-ISSUANCE").id,
                              unit_class=m.uc.id, quantity=room))
    if rec.status.value == "awaiting_approval":
        svc.one(m.r2, Approve(txn=rec.id))


def _power_rows(companies: list[Company]) -> list[ProductionRow]:
    """The pre-allocation's rows: base-year supply, with the base year's F."""
    return [ProductionRow(f"{c.reg_id} {u['source_id']}", c.reg_id, u["source_id"], "power", fuel=u["fuel"],
                          capacity_mw=u["capacity_mw"], cooling=u["cooling"], electricity_mwh=u["base_mwh"],
                          generation_mwh=u["base_mwh"],
                          heat_gj=Decimal(0), heat_supply_ratio=Decimal(0),
                          load_factor=u["base_load_factor"])  # the base year's F, with its supply
            for c in companies for u in c.units]


def allocate_mixed(m: Market, progress: Progress) -> None:
    """A power market with its steel, cement and aluminium companies in the same year (national 2024,
    2025): one vintage, its cap room for both; the power companies pre-allocated by benchmark from their
    base year, the industry companies by the year's industrial plan — nothing before verification where
    their allowances are their verified emissions (2024), the plan's share of last year's verified
    emissions where it allocates by intensity (2025)."""
    code, svc = m.spec.code, m.svc
    alloc = AllocationService(svc)
    plan = industry_plan(m)
    if plan is None:
        raise DomainError("industry_plan_missing", f"{code} {m.spec.year}: no industrial plan governs the year's "
                                                    "steel, cement and aluminium companies (scenario industry)")
    industry = industry_companies(m)
    if plan.method == "intensity":
        industry_output(m, plan, industry)
    result = alloc.compute(_power_rows(power_companies(m)), market=code, year=m.spec.year, kind="pre")
    total = result.total
    room = 2 * sum(int(c.actual.to_integral_value(ROUND_CEILING)) for c in industry)  # as _issue_room
    m.unit_class = svc.create_unit_class(m.r1, kind=UnitKind.ALLOWANCE, market=code, vintage=m.spec.year,
                                         cap=2 * total + room)
    rec = svc.one(m.r1, Issue(key=f"{code}-{m.spec.year}-cap", to_account=svc.account(f"{code}-ISSUANCE").id,
                              unit_class=m.uc.id, quantity=2 * total + room))
    if rec.status.value == "awaiting_approval":
        svc.one(m.r2, Approve(txn=rec.id))
    run = alloc.propose(m.r1, result, market=code, year=m.spec.year)
    alloc.issue(m.r2, run.run, unit_class=m.uc.code, from_account=f"{code}-ISSUANCE")
    got = {a.company: a.tonnes for a in result.companies}
    if plan.method == "intensity":  # last year's verified emissions: the company's last year in its history
        pre = alloc.propose_industry_pre(m.r1, {c.reg_id: (c.sector, "I1", c.history[-1]) for c in industry},
                                         market=code, year=m.spec.year)
        alloc.issue(m.r2, pre.run, unit_class=m.uc.code, from_account=f"{code}-ISSUANCE")
        got |= dict(SimulationQueries(svc.engine).run_allocations(pre.run))
    for c in m.companies:
        c.allocated = got.get(c.reg_id, 0)
    progress.stage(f"{code} allocation", 1)(1)


def true_up_mixed(m: Market, queries: SimulationQueries) -> None:
    """A power market's year with industry companies: the industry companies' allocation or true-up first
    (so that every allocation is in when the power companies' obligations are read), then the power
    companies' true-up, each run among its own companies only."""
    plan = industry_plan(m)
    assert plan is not None  # allocate_mixed refused the year without one
    confirmed = m.clock.now()
    (industry_true_up if plan.method == "intensity" else allocate_verified)(m, queries)
    industry = m.true_up
    m.clock.at = confirmed  # both runs the same day, 5 days after confirmation (mrv.run_mrv's room)
    true_up(m, queries, only={c.reg_id for c in power_companies(m)})
    m.true_up += industry


def allocate(m: Market, progress: Progress) -> None:
    if mixed(m):
        allocate_mixed(m, progress)
        return
    code, svc = m.spec.code, m.svc
    alloc = AllocationService(svc)
    plan = industry_plan(m)
    if plan is not None and plan.method == "intensity":  # 2025: 70 % of last year's verified emissions first
        industry_output(m, plan)
        _issue_room(m)
        # last year's verified emissions: the company's last drawn year
        run = alloc.propose_industry_pre(m.r1, {c.reg_id: (c.sector, "I1", c.history[-1]) for c in m.companies},
                                         market=code, year=m.spec.year)
        alloc.issue(m.r2, run.run, unit_class=m.uc.code, from_account=f"{code}-ISSUANCE")
        pre = dict(SimulationQueries(svc.engine).run_allocations(run.run))
        for c in m.companies:
            c.allocated = pre.get(c.reg_id, 0)
        progress.stage(f"{code} allocation", 1)(1)
        return
    if plan is not None:  # allowances = verified emissions: nothing before verification
        _issue_room(m)
        progress.stage(f"{code} allocation", 1)(1)
        return
    if m.spec.power:  # pre-allocation: base-year supply × benchmark × corrections × the pre share
        rows = [ProductionRow(f"{c.reg_id} {u['source_id']}", c.reg_id, u["source_id"], "power", fuel=u["fuel"],
                              capacity_mw=u["capacity_mw"], cooling=u["cooling"], electricity_mwh=u["base_mwh"],
                              generation_mwh=u["base_mwh"],
                              heat_gj=Decimal(0), heat_supply_ratio=Decimal(0),
                              load_factor=u["base_load_factor"])  # the base year's F, with its supply
                for c in m.companies for u in c.units]
        result = alloc.compute(rows, market=code, year=m.spec.year, kind="pre")
    else:
        rows = [ProductionRow(f"company {c.reg_id}", c.reg_id, "I1", c.sector, history=c.history)
                for c in m.companies]
        result = alloc.compute(rows, market=code, year=m.spec.year, kind="final")
    total = result.total
    auction_volume = int(auction_rules(m.spec)["volume"]) if m.spec.auction else 0
    reserve = total if m.spec.power else 0  # room for the true-up (多退少补) of a pre-allocation
    m.unit_class = svc.create_unit_class(m.r1, kind=UnitKind.ALLOWANCE, market=code, vintage=m.spec.year,
                                         cap=total + auction_volume + reserve)
    issuance = svc.account(f"{code}-ISSUANCE")
    rec = svc.one(m.r1, Issue(key=f"{code}-{m.spec.year}-cap", to_account=issuance.id, unit_class=m.uc.id,
                           quantity=total + reserve))
    if rec.status.value == "awaiting_approval":
        svc.one(m.r2, Approve(txn=rec.id))
    run = alloc.propose(m.r1, result, market=code, year=m.spec.year)
    alloc.issue(m.r2, run.run, unit_class=m.uc.code, from_account=f"{code}-ISSUANCE")
    got = {a.company: a.tonnes for a in result.companies}
    for c in m.companies:
        c.allocated = got.get(c.reg_id, 0)
    progress.stage(f"{code} allocation", 1)(1)


def allocate_verified(m: Market, queries: SimulationQueries) -> None:
    """The industrial plan's allocation, once emissions are verified: each company's verified emissions."""
    alloc = AllocationService(m.svc)
    m.clock.at = m.clock.now() + timedelta(days=5)
    run = alloc.propose_industry(m.r1, {c.reg_id: (c.sector, "I1", c.verified) for c in industry_companies(m)},
                                 market=m.spec.code, year=m.spec.year)
    alloc.issue(m.r2, run.run, unit_class=m.uc.code, from_account=f"{m.spec.code}-ISSUANCE")
    m.true_up = run.total
    final = {c.reg_id: c for c in m.companies}
    for company, quantity in queries.run_allocations(run.run):
        final[company].allocated += quantity


def industry_true_up(m: Market, queries: SimulationQueries) -> None:
    """多退少补 of the intensity plan: benchmark × the output the confirmed reports give, less the pre-allocation."""
    alloc = AllocationService(m.svc)
    m.clock.at = m.clock.now() + timedelta(days=5)
    output: dict[str, tuple[str, str, Decimal]] = {}
    only = {c.reg_id for c in industry_companies(m)} if mixed(m) else None
    for row in MrvConfirmedOutput(m.svc.engine).confirmed_output(m.spec.code, m.spec.year):
        if only is not None and row.company not in only:
            continue
        sector, source, q = output.get(row.company, (row.sector, row.source_id, Decimal(0)))
        output[row.company] = (sector, source, q + row.output)
    run = alloc.propose_industry_true_up(m.r1, output, market=m.spec.code, year=m.spec.year, only=only)
    alloc.issue(m.r2, run.run, unit_class=m.uc.code, from_account=f"{m.spec.code}-ISSUANCE")
    m.true_up = run.total
    final = {c.reg_id: c for c in m.companies}
    for company, quantity in queries.run_allocations(run.run):
        final[company].allocated += quantity


def true_up(m: Market, queries: SimulationQueries, only: set[str] | None = None) -> None:
    """多退少补: the final allocation from the verified actual output, less what was pre-allocated
    (``only``: of those companies, their confirmed output alone)."""
    alloc = AllocationService(m.svc)
    m.clock.at = m.clock.now() + timedelta(days=5)
    if only is None:
        run = alloc.true_up_from(m.r1, MrvConfirmedOutput(m.svc.engine), market=m.spec.code, year=m.spec.year)
    else:
        rows = [r for r in MrvConfirmedOutput(m.svc.engine).confirmed_output(m.spec.code, m.spec.year)
                if r.company in only]
        confirmed = alloc.compute(rows, market=m.spec.code, year=m.spec.year, kind="final")
        run = alloc.propose_true_up(m.r1, confirmed, market=m.spec.code, year=m.spec.year, only=only)
    alloc.issue(m.r2, run.run, unit_class=m.uc.code, from_account=f"{m.spec.code}-ISSUANCE")
    final = {c.reg_id: c for c in m.companies}
    for company, quantity in queries.run_allocations(run.run):
        if company in final:
            final[company].allocated += quantity
    m.true_up = run.total
    for st in ComplianceService(m.svc).statuses(m.spec.code, m.spec.year, now=m.clock.now()):
        if st.company in final and st.status.owed is not None:  # per-unit obligations, with the final allocation
            final[st.company].obligation = st.status.owed
