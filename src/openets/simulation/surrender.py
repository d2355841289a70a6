"""Stage 7, surrender and its consequences: on the deadline day the punctual companies surrender
(counting offsets first, then the allowances they banked from earlier years — oldest vintage first, those
a carry-over limit counts only within the limit left (``banking``) — then the compliance-only auction
units, then the year's allowances); five days later
the late ones, and those that never comply in part; then the regulator decides the consequences."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Connection

from openets.compliance.surrender import surrender_plan
from openets.core.clock import MARKET_TZ
from openets.core.errors import DomainError
from openets.core.ids import UnitClassId
from openets.registry.commands import Surrender
from openets.registry.model import UNRESTRICTED
from openets.services import sanctioning
from openets.services.allocation import AllocationService
from openets.services.compliance import ComplianceService, Consequences
from openets.services.database import run_in_transaction as in_transaction
from openets.services.offsets import OffsetService
from openets.services.registry import RegistrySession
from openets.services.sim_queries import SimulationQueries
from openets.simulation.banking import carry, limited_classes, registry_rules
from openets.simulation.state import Company, Market, Progress, at


def _usable_credits(m: Market, offset_buyers: set[str]) -> dict[str, dict[str, int]]:
    """Per buying company: which credits count and how many, per the rules governing this compliance year."""
    code, year, svc = m.spec.code, m.spec.year, m.svc
    usable: dict[str, dict[str, int]] = {}
    alloc = AllocationService(svc)
    offsets = OffsetService(svc)
    m.clock.at = at(date(year + 1, 6, 10), 10)
    for c in m.companies:
        if c.reg_id in offset_buyers:
            basis = alloc.initial_allocation(code, year, c.reg_id) or 0
            usable[c.reg_id] = {v.credit_id: v.usable for v in offsets.eligibility(
                c.number, year=year, on=m.clock.now().date(), basis=basis, applied_on=date(year + 1, 6, 15))}
    return usable


def run_surrender(m: Market, progress: Progress, queries: SimulationQueries, offset_buyers: set[str]) -> None:
    """``offset_buyers``: the registration ids of the companies that bought credits (only they count any)."""
    code, year, svc = m.spec.code, m.spec.year, m.svc
    cs = ComplianceService(svc)
    deadline, order = cs.deadlines(code, year)
    d = deadline.astimezone(MARKET_TZ).date()
    positions = queries.available_positions([x.account for x in m.companies])
    classes = queries.unit_classes()
    codes = {r.code: UnitClassId(r.id) for r in classes}
    offset_classes = {r.id for r in classes if r.kind == "offset"}
    # the market's earlier vintages, where its registry banks them (one market's single year: none)
    rules = registry_rules(m, year)
    earlier = {r.id: r.vintage for r in classes if r.market == code and r.kind == "allowance" and r.vintage < year
               and rules is not None and (rules.banking or any(a <= r.vintage <= b and a <= year <= b for a, b in rules.periods))}
    limited, until = limited_classes(m, year, {i: ("allowance", v) for i, v in earlier.items()})
    standing = carry(m, until)
    m.carried_in = 0
    held: dict[int, list[tuple[int, int, int]]] = {}
    for p in positions:
        if p.available > 0:
            held.setdefault(p.account_id, []).append((p.unit_class_id, p.restriction_id, p.available))
    usable = _usable_credits(m, offset_buyers) if m.spec.offsets else {}

    def plan(c: Company, share: Decimal = Decimal(1)) -> list[Surrender]:
        """Offsets first (what counts), then compliance-only auction units, then allowances."""
        need = int((Decimal(c.obligation) * share).to_integral_value(rounding=ROUND_HALF_UP))
        s_c = standing.get(c.reg_id)
        steps = surrender_plan(need, usable.get(c.reg_id, {}), held.get(c.account, []),
                               allowance_class=m.uc.id, offset_classes=offset_classes, banked=earlier,
                               limited=limited, limit_left=s_c.left if s_c is not None else None)
        m.offsets_used += sum(s.quantity for s in steps if s.offset)
        m.carried_in += sum(s.quantity for s in steps if not s.offset and s.unit_class in earlier)
        return [Surrender(from_account=c.account, quantity=s.quantity, compliance_year=year,
                          unit_class=codes[str(s.unit_class)] if s.offset else UnitClassId(int(s.unit_class)),
                          restriction=UNRESTRICTED if s.restriction is None else s.restriction)
                for s in steps]

    def surrender(batch: list[tuple[Company, list[Surrender]]]) -> None:
        def work(conn: Connection) -> None:
            session = RegistrySession(svc, conn)
            for co, ops in batch:
                for op in ops:
                    session.apply(co.actor, op)
            session.flush()

        in_transaction(svc.engine, work)

    tick = progress.stage(f"{code} surrender", len(m.companies))
    # on the deadline day, and not before the auctioned units arrived (Shanghai: the auction closes at
    # 10:30 on its deadline day; the registry refuses a surrender dated before the delivery)
    m.clock.at = max(at(d, 10), m.auction_delivered + timedelta(minutes=1)) if m.auction_delivered else at(d, 10)
    surrender([(c, plan(c)) for c in m.companies if c.behaviour == "on_time"])
    tick(sum(1 for c in m.companies if c.behaviour == "on_time"))
    late_day = d + timedelta(days=5)
    m.clock.at = at(late_day, 10)  # after the deadline: the late ones pay, the others only in part
    surrender([(c, plan(c)) for c in m.companies if c.behaviour == "late"]
              + [(c, plan(c, Decimal("0.6"))) for c in m.companies if c.behaviour == "never"])
    tick(sum(1 for c in m.companies if c.behaviour != "on_time"))
    # the consequences after every surrender above (the late payers' too): decided before the late day (as
    # they were where the rules give no order deadline, deadline + 2 days), a late payer's whole obligation
    # was owed against its next allocation though it had surrendered it — a three-year run withheld it
    m.clock.at = max(order or deadline, at(late_day, 10)) + timedelta(days=2)
    try:
        Consequences(svc).decide(m.r1, code, year)
    except DomainError as exc:
        if exc.code != "no_trades":
            raise
        if sanctioning.governing(svc.rulebook, code, year, deadline) is None:
            return  # a pilot's fine window without trades: as before, nothing decided (unchanged here)
        # no listed trade of this scenario's own in the fine's price window (the national 2024 industrial
        # year: every company was given its verified emissions, so nobody traded): the fine is priced at
        # the scenario's stated market price, as the exchange certifies the whole national market's
        # average (Decree 775) — never all consequences skipped, as they were (issue 15, 0 fines)
        Consequences(svc).decide(m.r1, code, year, certified_price_fen=Decimal(int(m.spec.price_yuan * 100)))
