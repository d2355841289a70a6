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
from openets.simulation.state import Market, Progress


def industry_plan(m: Market) -> IndustryRules | None:
    """The steel / cement / aluminium plan governing the market's year, where one does (national 2024 on)."""
    if m.spec.power:
        return None
    try:
        plan = rulebook.industry_rules(m.svc.rulebook, m.spec.code, m.spec.year, m.clock.now())
    except DomainError:
        return None
    return plan


def industry_output(m: Market, plan: IndustryRules) -> None:
    """An intensity plan's world: each company's product output this year, from its emissions and an
    intensity of its own around the sector's benchmark (0.93–1.05 × the benchmark, drawn from a
    generator of the company's own so that the market's draws stay what they were): a company
    cleaner than the benchmark is long after the true-up, a dirtier one short."""
    for c in m.companies:
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


def allocate(m: Market, progress: Progress) -> None:
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
    run = alloc.propose_industry(m.r1, {c.reg_id: (c.sector, "I1", c.verified) for c in m.companies},
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
    for row in MrvConfirmedOutput(m.svc.engine).confirmed_output(m.spec.code, m.spec.year):
        sector, source, q = output.get(row.company, (row.sector, row.source_id, Decimal(0)))
        output[row.company] = (sector, source, q + row.output)
    run = alloc.propose_industry_true_up(m.r1, output, market=m.spec.code, year=m.spec.year)
    alloc.issue(m.r2, run.run, unit_class=m.uc.code, from_account=f"{m.spec.code}-ISSUANCE")
    m.true_up = run.total
    final = {c.reg_id: c for c in m.companies}
    for company, quantity in queries.run_allocations(run.run):
        final[company].allocated += quantity


def true_up(m: Market, queries: SimulationQueries) -> None:
    """多退少补: the final allocation from the verified actual output, less what was pre-allocated."""
    alloc = AllocationService(m.svc)
    m.clock.at = m.clock.now() + timedelta(days=5)
    run = alloc.true_up_from(m.r1, MrvConfirmedOutput(m.svc.engine), market=m.spec.code, year=m.spec.year)
    alloc.issue(m.r2, run.run, unit_class=m.uc.code, from_account=f"{m.spec.code}-ISSUANCE")
    final = {c.reg_id: c for c in m.companies}
    for company, quantity in queries.run_allocations(run.run):
        if company in final:
            final[company].allocated += quantity
    m.true_up = run.total
    for st in ComplianceService(m.svc).statuses(m.spec.code, m.spec.year, now=m.clock.now()):
        if st.company in final and st.status.owed is not None:  # per-unit obligations, with the final allocation
            final[st.company].obligation = st.status.owed
