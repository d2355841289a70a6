"""What a year gives: the time of each stage against its budget, each market's outcome (allocation,
verification, trading, surrender, compliance, consequences) and, for the annual report, the data
it is written from — gathered here, written by the caller (the CLI), so the simulation does not
depend on the report writers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from openets.compliance.core import rates as compliance_rates
from openets.market.data import Bar, DayStats, bars, daily_stats
from openets.services.compliance import ComplianceService, Consequences, Penalty
from openets.services.falsification import FalsificationService
from openets.services.names import NO_CODE, company_names
from openets.services.queries import RegistryQueries
from openets.services.registry import RegistryService
from openets.services.sim_queries import SimulationQueries
from openets.simulation.banking import carry_outcome
from openets.simulation.state import Market


@dataclass
class StageTime:
    name: str
    seconds: float
    detail: str
    budget: float = 0.0  # seconds this stage may take within the year's 120 s


# each stage's share of the 120 s the bundled year may take; trading's is set by the exchange's
# end-to-end rate (5,000 orders/s) times the orders the agents sent
BUDGET = {"parties and accounts": 10.0, "carry-over limits": 2.0, "cap and allocation": 5.0, "true-up (多退少补)": 3.0,
          "MRV: monthly data, reports, verification": 30.0,
          "auctions": 5.0, "offsets": 5.0, "surrender, late payers, fines": 10.0, "annual report": 10.0}
EXCHANGE_RATE = 5_000


@dataclass
class MarketOutcome:
    code: str
    companies: int
    allocated: int
    verified: int
    orders: int
    trades: int
    volume: int
    turnover_fen: int
    close_fen: int | None
    surrendered: int
    banked: int  # allowances of the year's vintage companies (and other holders) still hold after surrender
    offsets_used: int
    auction: dict[str, object] | None
    statuses: dict[str, int]
    rate: str  # on time: surrendered in full by the deadline (the figure the pilots publish)
    fines_fen: int
    listed: int
    rate_final: str = "-"  # on time or late
    rate_quantity: str = "-"  # tonnes surrendered (up to what each owes) over tonnes owed
    government_remainder: int = 0  # the vintage's allowances left in government accounts (not banked by anyone)
    year: int = 0  # the compliance year
    rules: str = ""  # the compliance rule set the year was surrendered under (RuleSet.label)
    # banking between years (simulation.banking): earlier vintages surrendered for this year; the carry-over
    # limits granted to the companies at this year's start; at its end, for the limit the next year counts
    # against: the limits in force (t), used so far, what the companies may still carry of the limited
    # vintages they hold (each the smaller of holding and limit left) and what they hold beyond it
    carried_in: int = 0
    carry_granted: int = 0
    carry_limit: int = 0
    carry_used: int = 0
    carry_left: int = 0
    carry_beyond: int = 0


@dataclass
class YearResult:
    name: str
    stages: list[StageTime]
    markets: list[MarketOutcome]
    conserved: bool
    unit_classes: int
    report_dir: Path | None = None
    files: list[Path] = field(default_factory=list)


@dataclass
class ReportData:
    """What the annual report is written from (the fields of ``openets.reports.annual.AnnualData``)."""

    title: str
    markets: list[MarketOutcome]
    stages: list[StageTime]
    conserved: bool
    public: dict[str, list[dict[str, object]]] = field(default_factory=dict)  # market → company rows
    bars: dict[str, list[Bar]] = field(default_factory=dict)  # market → daily bars
    daily: dict[str, list[DayStats]] = field(default_factory=dict)
    penalties: dict[str, list[Penalty]] = field(default_factory=dict)  # market → Penalty
    sanctions: dict[str, list[dict[str, object]]] = field(default_factory=dict)  # market → data-quality rows


# the port the annual report is written through: (data, folder) → the files written
ReportWriter = Callable[[ReportData, Path], list[Path]]


def report_data(result: YearResult, markets: list[Market]) -> ReportData:
    data = ReportData(result.name, result.markets, result.stages, result.conserved)
    for m in markets:
        code = m.spec.code
        prints = m.exchange.prints() if m.exchange else []
        data.bars[code] = bars(prints)
        data.daily[code] = daily_stats(prints)
        data.public[code] = ComplianceService(m.svc).public_data(code, m.spec.year, now=m.clock.now())
        data.penalties[code] = Consequences(m.svc).published(code, m.spec.year)
        data.sanctions[code] = sanction_rows(m.svc, code, m.spec.year)
    return data


def sanction_rows(registry: RegistryService, market: str, year: int) -> list[dict[str, object]]:
    """The year's data-quality sanctions (Decree 775) for the annual report: the findings against the
    year's reports and those whose allocation cut falls on the year, in the order recorded, each with
    its decision (none yet: the fines and cut blank) and the tonnes cut once applied."""
    found = [f for f in FalsificationService(registry).findings(market) if year in (f.report_year, f.cut_year)]
    names = company_names(registry.engine, (f.company for f in found))
    return [{"company": f.company, "name": names.get(f.company, NO_CODE), "report_year": f.report_year, "kind": f.kind,
             "status": f.status, "fine_fen": f.fine_fen, "individual_fen": f.individual_fen,
             "cut_share": None if f.cut_share is None else str(f.cut_share), "cut_year": f.cut_year,
             "cut_t": f.cut_quantity, "decision": f.decision} for f in found]


def banked(m: Market) -> tuple[int, int]:
    """Allowances of the market's vintage still in circulation: (held by companies and other holders,
    the government accounts' remainder) — a regulator's unallocated stock is not banked by anyone."""
    return RegistryQueries(m.svc.engine).held_by_side(m.uc.code)


def market_outcome(m: Market, queries: SimulationQueries) -> MarketOutcome:
    every = [x.status for x in ComplianceService(m.svc).statuses(m.spec.code, m.spec.year, now=m.clock.now())]
    statuses: dict[str, int] = {}
    for st in every:
        statuses[st.code] = statuses.get(st.code, 0) + 1
    tr = queries.trade_totals(m.spec.code)
    surrendered = queries.surrendered(m.spec.code, m.spec.year)
    pen = Consequences(m.svc).published(m.spec.code, m.spec.year)
    got = compliance_rates(every)
    held, government = banked(m)
    co = carry_outcome(m, queries)
    return MarketOutcome(
        m.spec.code, len(m.companies), sum(c.allocated for c in m.companies),
        int(sum((c.verified for c in m.companies), Decimal(0))), m.orders, tr.trades, tr.volume, tr.turnover_fen,
        m.exchange.reference if m.exchange else None, surrendered, held, m.offsets_used, m.auction,
        statuses,
        got.on_time.as_published(1), sum(p.amount_fen for p in pen if p.kind == "fine"),
        sum(1 for p in pen if p.kind == "listed"), got.final.as_published(1), got.quantity.as_published(1),
        government, m.spec.year, m.svc.rulebook.lookup_at(m.spec.code, m.spec.year, m.clock.now(), "compliance").label(),
        m.carried_in, m.carry_granted, co.limit, co.used, co.left, co.beyond)
