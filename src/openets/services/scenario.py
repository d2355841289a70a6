"""The main job: one compliance year of several markets side by side, end to end, from a scenario
file — parties and accounts → cap and allocation → monthly MRV data, reports, verification →
trading through the exchange by simple company agents → the Shanghai auction → offsets under the
Hubei rules → surrender, late payers, fines and the published list → the annual report.

Everything goes through the same services the CLI and the API use; the agents only decide what to
ask for. Deterministic for a given seed: one random generator per market, seeded from the scenario.
Progress is reported through a port (``Progress``) so that the CLI can draw bars.
"""

from __future__ import annotations

import math
import random
import time
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from openets.core.actor import Actor, Role
from openets.core.clock import MARKET_TZ, FixedClock
from openets.core.errors import DomainError
from openets.market.orderbook import BUY, SELL
from openets.registry.model import AccountType, PartyKind, UnitKind
from openets.services.exchange import OrderRequest
from openets.services.ops import Op

BUNDLED = Path(__file__).resolve().parents[1] / "scenarios"


# -- the scenario file -----------------------------------------------------------------------------
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AuctionSpec(_Strict):
    rules: str = Field(description="a bundled auction rule file (rules/data/auctions/NAME.toml)")
    bidders_share: Decimal = Field(Decimal("0.4"), gt=0, le=1, description="share of short companies that bid")


class OffsetSpec(_Strict):
    projects: int = Field(ge=1, le=1000)
    credits_per_project: int = Field(ge=1)
    buyers_share: Decimal = Field(gt=0, le=1, description="share of short companies that buy credits")


class MarketSpec(_Strict):
    code: str
    year: int = Field(ge=2013, le=2060)
    companies: int = Field(ge=2, le=50_000)
    investors: int = Field(0, ge=0, le=1000)
    price_yuan: Decimal = Field(gt=0, le=10_000)
    sectors: list[str] = Field(min_length=1)
    emissions_t: tuple[int, int]
    emissions_change: tuple[Decimal, Decimal] = (Decimal("-0.05"), Decimal("0.05"))
    trading_days: int = Field(ge=1, le=250)
    orders_per_day: int = Field(ge=1, le=100_000)
    late_share: Decimal = Field(Decimal(0), ge=0, le=1)
    never_share: Decimal = Field(Decimal(0), ge=0, le=1)
    auction: AuctionSpec | None = None
    offsets: OffsetSpec | None = None
    power: bool = Field(False, description="a power market: generating units, pre-allocation from base-year "
                                           "output by benchmark, true-up from verified output (national market)")
    starts: date | None = Field(None, description="when the year's set-up happens (default: 30 June of the year)")

    @model_validator(mode="after")
    def _ranges(self) -> MarketSpec:
        lo, hi = self.emissions_t
        if not 0 < lo <= hi:
            raise ValueError("emissions_t is [low, high] tonnes with 0 < low ≤ high")
        if not Decimal(-1) < self.emissions_change[0] <= self.emissions_change[1]:
            raise ValueError("emissions_change is [low, high] with -1 < low ≤ high")
        if self.late_share + self.never_share > 1:
            raise ValueError("late_share + never_share is at most 1")
        return self


class ScenarioHead(_Strict):
    name: str
    seed: int = 1
    rules: list[str] = Field(default_factory=list, description="rule-set files, relative to the scenario file")


class Scenario(_Strict):
    scenario: ScenarioHead
    markets: list[MarketSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Scenario:
        codes = [m.code for m in self.markets]
        if len(set(codes)) != len(codes):
            raise ValueError("each market appears once")
        return self


def load_scenario(path: Path) -> tuple[Scenario, list[Path]]:
    """Read and check a scenario file; every problem named with its place in the file."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise DomainError("scenario_unreadable", f"{path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise DomainError("scenario_invalid", f"{path}: not TOML: {exc}") from None
    try:
        sc = Scenario.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise DomainError("scenario_invalid", f"{path}: {where}: {first['msg']}{more}") from None
    files = []
    for name in sc.scenario.rules:
        f = (Path(path).parent / name).resolve()
        if not f.is_file():
            raise DomainError("scenario_invalid", f"{path}: scenario.rules: {name} not found next to the scenario")
        files.append(f)
    return sc, files


# -- progress and results --------------------------------------------------------------------------
class Progress:
    """The port the runner reports progress through; the CLI draws bars with rich."""

    def stage(self, name: str, total: int) -> Callable[[int], None]:
        return lambda n: None


@dataclass
class StageTime:
    name: str
    seconds: float
    detail: str
    budget: float = 0.0  # seconds this stage may take within the year's 120 s


# each stage's share of the 120 s the bundled year may take; trading's is set by the exchange's
# end-to-end rate (5,000 orders/s) times the orders the agents sent
BUDGET = {"parties and accounts": 10.0, "cap and allocation": 5.0, "true-up (多退少补)": 3.0,
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
    banked: int  # allowances of the year's vintage still held after surrender (carried into later years)
    offsets_used: int
    auction: dict[str, object] | None
    statuses: dict[str, int]
    rate: str
    fines_fen: int
    listed: int


@dataclass
class YearResult:
    name: str
    stages: list[StageTime]
    markets: list[MarketOutcome]
    conserved: bool
    unit_classes: int
    report_dir: Path | None = None
    files: list[Path] = field(default_factory=list)


# -- the runner ------------------------------------------------------------------------------------
@dataclass
class Company:
    reg_id: str
    party: int
    actor: Actor
    account: int
    number: str
    sector: str
    history: tuple[Decimal, ...]
    actual: Decimal  # this year's emissions, before verification
    behaviour: str = "on_time"  # on_time, late, never
    units: list[dict[str, Any]] = field(default_factory=list)  # power: generating units (base and actual year)
    allocated: int = 0
    verified: Decimal = Decimal(0)
    obligation: int = 0


@dataclass
class Market:
    spec: MarketSpec
    svc: Any  # RegistryService with this market's clock
    clock: FixedClock
    rng: random.Random
    r1: Actor = None  # type: ignore[assignment]
    r2: Actor = None  # type: ignore[assignment]
    uc: Any = None
    companies: list[Company] = field(default_factory=list)
    investors: list[Company] = field(default_factory=list)
    exchange: Any = None
    orders: int = 0
    auction: dict[str, object] | None = None
    auction_restriction: int | None = None
    offsets_used: int = 0
    offsets_sold: int = 0
    true_up: int = 0


def _at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, dtime(hh, mm), MARKET_TZ).astimezone(UTC)


class YearRunner:
    def __init__(self, scenario: Scenario, *, url: str, rule_files: list[Path] | None = None,
                 progress: Progress | None = None, report_dir: Path | None = None) -> None:
        from openets.rules.loader import default_rulebook
        from openets.storage.db import make_engine

        self.sc = scenario
        self.url = url
        self.engine = make_engine(url)
        book = default_rulebook()
        for f in rule_files or []:
            book = book.with_file(f)
        self.rulebook = book
        self.progress = progress or Progress()
        self.report_dir = report_dir
        self.stages: list[StageTime] = []
        self.markets: list[Market] = []

    @contextmanager
    def _stage(self, name: str, detail: Callable[[], str] = lambda: "") -> Iterator[None]:
        t0 = time.perf_counter()
        yield
        budget = (sum(m.orders for m in self.markets) / EXCHANGE_RATE if name == "trading" else BUDGET.get(name, 0.0))
        self.stages.append(StageTime(name, time.perf_counter() - t0, detail(), budget))

    def run(self) -> YearResult:
        from openets.services.registry import RegistryService
        from openets.storage.migrate import upgrade

        upgrade(self.engine)
        RegistryService(self.engine, rulebook=self.rulebook).init_markets()
        for i, spec in enumerate(self.sc.markets):
            self.rulebook.market(spec.code)  # an unknown market is named before anything runs
            clock = FixedClock(_at(spec.starts or date(spec.year, 6, 30), 10))
            svc = RegistryService(self.engine, clock=clock, rulebook=self.rulebook)
            self.markets.append(Market(spec, svc, clock, random.Random(self.sc.scenario.seed * 1000 + i)))
        with self._stage("parties and accounts", lambda: f"{sum(len(m.companies) for m in self.markets):,} companies"):
            for m in self.markets:
                self._set_up(m)
        with self._stage("cap and allocation", lambda: f"{sum(c.allocated for m in self.markets for c in m.companies):,} t"):
            for m in self.markets:
                self._allocate(m)
        with self._stage("MRV: monthly data, reports, verification",
                         lambda: f"{sum(len(m.companies) for m in self.markets):,} reports"):
            self._mrv()
        with self._stage("true-up (多退少补)", lambda: ", ".join(f"{m.spec.code} {m.true_up:+,} t" for m in self.markets
                                                             if m.spec.power) or "none"):
            for m in self.markets:
                if m.spec.power:
                    self._true_up(m)
        with self._stage("trading", lambda: f"{sum(m.orders for m in self.markets):,} orders"):
            self._trade()
        with self._stage("auctions", lambda: ", ".join(m.spec.code for m in self.markets if m.auction) or "none"):
            for m in self.markets:
                if m.spec.auction:
                    self._auction(m)
        with self._stage("offsets", lambda: f"{sum(m.offsets_sold for m in self.markets):,} t of credits sold"):
            for m in self.markets:
                if m.spec.offsets:
                    self._offsets(m)
        with self._stage("surrender, late payers, fines"):
            for m in self.markets:
                self._surrender(m)
        outcomes = [self._outcome(m) for m in self.markets]
        from openets.services.queries import RegistryQueries

        totals = RegistryQueries(self.engine).totals()
        result = YearResult(self.sc.scenario.name, self.stages, outcomes, all(x.conserved for x in totals), len(totals))
        if self.report_dir is not None:
            with self._stage("annual report", lambda: str(self.report_dir)):
                result.files = self._report(result, self.report_dir)
                result.report_dir = self.report_dir
        self.engine.dispose()
        return result

    def _report(self, result: YearResult, out: Path) -> list[Path]:
        from openets.market.data import bars, daily_stats
        from openets.reports.annual import AnnualData, write_annual_report
        from openets.services.compliance import ComplianceService, Consequences

        data = AnnualData(result.name, result.markets, self.stages, result.conserved)
        for m in self.markets:
            code = m.spec.code
            prints = m.exchange.prints() if m.exchange else []
            data.bars[code] = bars(prints)
            data.daily[code] = daily_stats(prints)
            data.public[code] = ComplianceService(m.svc).public_data(code, m.spec.year, now=m.clock.now())
            data.penalties[code] = Consequences(m.svc).published(code, m.spec.year)
        return write_annual_report(data, out)

    # -- 1. parties and accounts -----------------------------------------------------------------------
    def _set_up(self, m: Market) -> None:
        from openets.storage.db import run_in_transaction

        s, svc, code = m.spec, m.svc, m.spec.code
        party = svc.registry_party(code)
        for n in (1, 2):
            svc.add_user(name=f"{code.lower()}-reg-{n}", party_id=party, role=Role.REGULATOR, market=code)
        m.r1, m.r2 = svc.actor(f"{code.lower()}-reg-1"), svc.actor(f"{code.lower()}-reg-2")
        rng = m.rng
        lo, hi = s.emissions_t
        n_never = int(s.companies * s.never_share)
        n_late = int(s.companies * s.late_share)
        tick = self.progress.stage(f"{code} parties and accounts", s.companies + s.investors)

        def work(c):  # type: ignore[no-untyped-def]
            out, inv = [], []
            for i in range(s.companies + s.investors):
                investor = i >= s.companies
                reg_id = f"{code}{'I' if investor else 'C'}{i:05d}"
                sector = "investment" if investor else s.sectors[i % len(s.sectors)]
                pid = svc.create_party(kind=PartyKind.INVESTOR if investor else PartyKind.COMPANY,
                                       name=f"{code}{'投资' if investor else '企业'}{i:05d}",
                                       name_en=f"{code} {'investor' if investor else 'company'} {i}", market=code,
                                       registration_id=reg_id, sector=sector, conn=c)
                user = f"{reg_id.lower()}-rep"
                svc.add_user(name=user, party_id=pid, role=Role.INVESTOR if investor else Role.COMPANY, conn=c)
                actor = Actor(user, pid, Role.INVESTOR if investor else Role.COMPANY)
                acc = svc.request_account(actor, market=code, type=AccountType.HOLDING if investor
                                          else AccountType.COMPLIANCE, number=f"{reg_id}-A", conn=c)
                svc.decide_account(m.r1, acc.number, approve=True, conn=c)
                base = Decimal(math.exp(rng.uniform(math.log(lo), math.log(hi))))
                history = tuple((base * Decimal(str(rng.uniform(0.93, 1.07)))).quantize(Decimal(1)) for _ in range(3))
                change = Decimal(str(rng.uniform(float(s.emissions_change[0]), float(s.emissions_change[1]))))
                co = Company(reg_id, pid, actor, acc.id, acc.number, sector, history,
                             (sum(history) / 3 * (1 + change)).quantize(Decimal("0.01")))
                if s.power and not investor:
                    co.units = self._units(rng, base, change)
                    co.actual = sum((u["emissions"] for u in co.units), Decimal(0))
                (inv if investor else out).append(co)
                tick(1)
            return out, inv

        m.companies, m.investors = run_in_transaction(self.engine, work)
        order = list(range(len(m.companies)))
        rng.shuffle(order)
        for k in order[:n_never]:
            m.companies[k].behaviour = "never"
        for k in order[n_never:n_never + n_late]:
            m.companies[k].behaviour = "late"

    @staticmethod
    def _units(rng: random.Random, target: Decimal, change: Decimal) -> list[dict[str, Any]]:
        """Generating units whose base-year emissions come to about ``target``: coal (300 or 600 MW,
        air or water cooled) or gas, each with its base-year and this year's supply and intensity."""
        units, left, k = [], target, 0
        while left > 0 and k < 4:
            gas = rng.random() < 0.2
            mw = 400 if gas else rng.choice([300, 600, 1000])
            hours = Decimal(rng.randint(3800, 5600))
            intensity = Decimal(str(rng.uniform(0.37, 0.42) if gas else rng.uniform(0.84, 1.06)))
            base = (Decimal(mw) * hours).quantize(Decimal(1))
            if base * intensity > left * Decimal("1.3") and units:
                break
            actual = (base * (1 + change)).quantize(Decimal(1))
            units.append({"source_id": f"U{k + 1}", "fuel": "gas" if gas else "coal", "capacity_mw": mw,
                          "cooling": rng.choice(["air", "water"]), "base_mwh": base, "mwh": actual,
                          "load_factor": (hours / 8760).quantize(Decimal("0.01")), "intensity": intensity,
                          "emissions": (actual * intensity).quantize(Decimal("0.01"))})
            left -= base * intensity
            k += 1
        return units

    # -- 2. cap and allocation -------------------------------------------------------------------------
    def _allocate(self, m: Market) -> None:
        from openets.allocation.plan import ProductionRow
        from openets.services.allocation import AllocationService

        code, svc = m.spec.code, m.svc
        alloc = AllocationService(svc)
        if m.spec.power:  # pre-allocation: base-year supply × benchmark × corrections × the pre share
            rows = [ProductionRow(f"{c.reg_id} {u['source_id']}", c.reg_id, u["source_id"], "power", fuel=u["fuel"],
                                  capacity_mw=u["capacity_mw"], cooling=u["cooling"], electricity_mwh=u["base_mwh"],
                                  heat_gj=Decimal(0), heat_supply_ratio=Decimal(0), load_factor=u["load_factor"])
                    for c in m.companies for u in c.units]
            result = alloc.compute(rows, market=code, year=m.spec.year, kind="pre")
        else:
            rows = [ProductionRow(f"company {c.reg_id}", c.reg_id, "I1", c.sector, history=c.history)
                    for c in m.companies]
            result = alloc.compute(rows, market=code, year=m.spec.year, kind="final")
        total = result.total
        auction_volume = self._auction_rules(m)["volume"] if m.spec.auction else 0
        reserve = total if m.spec.power else 0  # room for the true-up (多退少补) of a pre-allocation
        m.uc = svc.create_unit_class(m.r1, kind=UnitKind.ALLOWANCE, market=code, vintage=m.spec.year,
                                     cap=total + auction_volume + reserve)
        issuance = svc.account(f"{code}-ISSUANCE")
        rec = svc.one(m.r1, Op("issue", key=f"{code}-{m.spec.year}-cap", to_account=issuance.id, unit_class=m.uc.id,
                               quantity=total + reserve))
        if rec.status.value == "awaiting_approval":
            svc.one(m.r2, Op("approve", txn=rec.id))
        run = alloc.propose(m.r1, result, market=code, year=m.spec.year)
        alloc.issue(m.r2, run.run, unit_class=m.uc.code, from_account=f"{code}-ISSUANCE")
        got = {a.company: a.tonnes for a in result.companies}
        for c in m.companies:
            c.allocated = got.get(c.reg_id, 0)
        self.progress.stage(f"{code} allocation", 1)(1)

    # -- 3. MRV ----------------------------------------------------------------------------------------
    def _mrv(self) -> None:
        from openets.compliance.core import obligation
        from openets.mrv.accounting import Stream, display, resolve
        from openets.mrv.documents import Finding
        from openets.mrv.factors import default_factors
        from openets.services.compliance import ComplianceService
        from openets.services.reports import ReportService

        table = default_factors()
        gas = Stream("I1", "S1", "combustion", "10**4 Nm3", fuel="natural_gas")
        diesel = Stream("I1", "S2", "combustion", "t", fuel="diesel")
        for m in self.markets:
            code, year, svc, rng = m.spec.code, m.spec.year, m.svc, m.rng
            per = {s.stream_id: resolve(s, table, year=year).per_unit for s in (gas, diesel)}
            d0 = max(date(year + 1, 3, 20), (m.spec.starts or date(year, 6, 30)) + timedelta(days=10))
            m.clock.at = _at(d0, 10)
            rounding = ComplianceService(svc).rules(code, year).get("rounding", "ceiling")
            reports = ReportService(svc)
            ver = svc.create_party(kind=PartyKind.VERIFIER, name=f"{code}核查机构", registration_id=f"VER-{code}")
            svc.add_user(name=f"{code.lower()}-verifier", party_id=ver, role=Role.VERIFIER)
            verifier = svc.actor(f"{code.lower()}-verifier")
            tick = self.progress.stage(f"{code} MRV", len(m.companies))
            for c in m.companies:
                if m.spec.power:
                    streams, output, direct = self._power_streams(c, table, year)
                else:
                    # monthly activity data: gas for ~85 %, diesel for the rest, with a seasonal shape
                    monthly: dict[str, list[Decimal]] = {"S1": [], "S2": []}
                    for month in range(1, 13):
                        share = c.actual / 12 * Decimal(str(1 + 0.25 * math.cos((month - 1) / 12 * 2 * math.pi)))
                        monthly["S1"].append((share * Decimal("0.85") / per["S1"]).quantize(Decimal("0.001")))
                        monthly["S2"].append((share * Decimal("0.15") / per["S2"]).quantize(Decimal("0.001")))
                    direct = display(sum((sum(v) * per[k] for k, v in monthly.items()), Decimal(0)))
                    streams = [{"stream": k, "fuel": f, "monthly": [str(x) for x in v], "tco2_per_unit": str(per[k])}
                               for (k, v), f in zip(monthly.items(), ("natural_gas", "diesel"))]
                    output = [{"source_id": "I1", "sector": c.sector}]
                m.clock.at = _at(d0, 10)
                rid = reports.submit(c.actor, market=code, year=year, emissions=direct, output=output, streams=streams)
                m.clock.at = _at(d0 + timedelta(days=21), 10)
                reports.assign(m.r1, rid, str(ver))
                reports.step(verifier, rid, "start_verification")
                findings, verified = [], direct
                if rng.random() < 0.06:  # the verifier finds fuel purchases missing from the records
                    factor = Decimal(str(1 + rng.uniform(0.01, 0.04)))
                    verified = display(direct * factor)
                    if m.spec.power:  # the correction lands on the units too
                        output = [{**o, "emissions": str(display(Decimal(o["emissions"]) * factor))} for o in output]
                        verified = sum((Decimal(o["emissions"]) for o in output), Decimal(0))
                    findings = [Finding("major", "fuel purchase records missing for two months: corrected")]
                elif rng.random() < 0.1:
                    findings = [Finding("minor", "meter calibration certificate renewed late")]
                reports.verify(verifier, rid, emissions=verified, output=output, findings=findings,
                               statement="verified")
                m.clock.at = _at(d0 + timedelta(days=36), 10)
                reports.step(m.r2, rid, "confirm")
                c.verified = verified
                c.obligation = obligation(verified, rounding=str(rounding))
                tick(1)

    def _power_streams(self, c: Company, table: Any, year: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]],
                                                                          Decimal]:
        """A power company's units: coal with measured NCV, carbon content and oxidation (no coal
        defaults are shipped), gas with the defaults; monthly fuel from each unit's emissions."""
        from openets.mrv.accounting import Stream, display, resolve
        from openets.mrv.factors import Factor

        coal = {"ncv": Factor(Decimal("20.91"), "GJ/t", "monthly lab analysis", "measured"),
                "carbon_content": Factor(Decimal("26.2"), "tC/TJ", "monthly lab analysis", "measured"),
                "oxidation": Factor(Decimal("98"), "percent", "monthly lab analysis", "measured")}
        streams, output, total = [], [], Decimal(0)
        for u in c.units:
            st = (Stream(u["source_id"], f"{u['source_id']}-F", "combustion", "t", fuel="coal", measured=coal)
                  if u["fuel"] == "coal" else
                  Stream(u["source_id"], f"{u['source_id']}-F", "combustion", "10**4 Nm3", fuel="natural_gas"))
            per = resolve(st, table, year=year).per_unit
            monthly = [(u["emissions"] / 12 * Decimal(str(1 + 0.2 * math.cos((mo - 1) / 12 * 2 * math.pi))) / per)
                       .quantize(Decimal("0.001")) for mo in range(1, 13)]
            emitted = display(sum(monthly, Decimal(0)) * per)
            total += emitted
            streams.append({"stream": st.stream_id, "fuel": st.fuel, "monthly": [str(x) for x in monthly],
                            "tco2_per_unit": str(per)})
            output.append({"source_id": u["source_id"], "sector": "power", "fuel": u["fuel"],
                           "capacity_mw": u["capacity_mw"], "cooling": u["cooling"], "electricity_mwh": str(u["mwh"]),
                           "heat_gj": "0", "heat_supply_ratio": "0", "load_factor": str(u["load_factor"]),
                           "emissions": str(emitted)})
        return streams, output, total

    def _true_up(self, m: Market) -> None:
        """多退少补: the final allocation from the verified actual output, less what was pre-allocated."""
        from openets.services.allocation import AllocationService
        from openets.services.reports import MrvConfirmedOutput

        alloc = AllocationService(m.svc)
        m.clock.at = m.clock.now() + timedelta(days=5)
        run = alloc.true_up_from(m.r1, MrvConfirmedOutput(self.engine), market=m.spec.code, year=m.spec.year)
        alloc.issue(m.r2, run.run, unit_class=m.uc.code, from_account=f"{m.spec.code}-ISSUANCE")
        final = {c.reg_id: c for c in m.companies}
        with self.engine.connect() as conn:
            from sqlalchemy import select

            from openets.storage import tables as t

            for r in conn.execute(select(t.allocations.c.company, t.allocations.c.quantity).where(
                    t.allocations.c.run_id == run.run)):
                if r.company in final:
                    final[r.company].allocated += int(r.quantity)
        m.true_up = run.total
        from openets.services.compliance import ComplianceService

        for st in ComplianceService(m.svc).statuses(m.spec.code, m.spec.year, now=m.clock.now()):
            if st.company in final and st.status.owed is not None:  # per-unit obligations, with the final allocation
                final[st.company].obligation = st.status.owed

    # -- 4. trading ------------------------------------------------------------------------------------
    def _trade(self) -> None:
        from openets.market.rules import is_trading_day
        from openets.services.exchange import open_exchange

        calendars = {}
        for m in self.markets:
            m.clock.at = _at(self._deadline(m) - timedelta(days=90), 10)
            m.exchange = open_exchange(m.svc, m.uc.code)
            m.exchange.reference = int(m.spec.price_yuan * 100)
            m.exchange._rebuild()
            m.svc.add_user(name=f"{m.spec.code.lower()}-exchange", party_id=m.exchange.exchange_party,
                           role=Role.EXCHANGE, market=m.spec.code)
            # cash: enough for what each company may need to buy, twice over; investors more
            for c in m.companies:
                m.exchange.deposit(c.actor, max(c.obligation - c.allocated, 1000) * int(m.spec.price_yuan * 100) * 3)
            for c in m.investors:
                m.exchange.deposit(c.actor, 200_000 * int(m.spec.price_yuan * 100) * 3)
            days, d = [], self._deadline(m) - timedelta(days=1)
            while len(days) < m.spec.trading_days:
                if is_trading_day(m.exchange.trading, d):
                    days.append(d)
                d -= timedelta(days=1)
            calendars[m.spec.code] = sorted(days)
        total = sum(m.spec.trading_days * m.spec.orders_per_day for m in self.markets)
        tick = self.progress.stage("trading (all markets)", total)
        for m in self.markets:
            days = calendars[m.spec.code]
            rng, ex, mid0 = m.rng, m.exchange, int(m.spec.price_yuan * 100)
            for n, day in enumerate(days):
                m.clock.at = _at(day, 10, 45)
                ex.settle_due()  # T+1: yesterday's trades delivered at the open
                ref = ex.reference or mid0
                urgency = (n + 1) / len(days)  # short companies bid up as the deadline nears
                held = self._holdings(m, total=True)  # what each agent holds this morning (day orders: none open)
                reqs = []
                for _ in range(m.spec.orders_per_day):
                    reqs.append(self._agent_order(m, rng, ref, urgency, len(days) - n, held))
                for i in range(0, len(reqs), 2000):
                    ex.submit_many([r for r in reqs[i:i + 2000] if r is not None])
                m.orders += sum(1 for r in reqs if r is not None)
                tick(len(reqs))
                m.clock.at = _at(day, 15, 5)
                ex.close_day()
            m.clock.at = _at(self._deadline(m), 9, 0)
            ex.settle_due()

    def _agent_order(self, m: Market, rng: random.Random, ref: int, urgency: float, days_left: int,
                     held: dict[int, int]) -> OrderRequest | None:
        """One agent's order: a short company buys a slice of its gap at up to a few % over the
        reference (more as the deadline nears); a long one sells part of its surplus; an investor
        trades both ways around the reference. Prices stay inside the band."""
        ex = m.exchange
        low, high = ex.rules.band_low or 1, ex.rules.band_high or ref * 2
        for _ in range(4):  # a company with nothing to do passes its turn to another agent
            if m.investors and rng.random() < 0.2:
                c = rng.choice(m.investors)
                side = rng.choice([BUY, SELL])
                price = ref + int(ref * rng.uniform(-0.03, 0.03))
                qty = rng.randint(1, 20) * 100
                break
            c = rng.choice(m.companies)
            gap = c.obligation - held.get(c.account, 0)
            if gap > 0:  # short: buy a slice of the gap, the whole of it on the last days
                side = BUY
                qty = gap if days_left <= 2 else max(gap * rng.randint(1, 3) // days_left, 100)
                price = ref + int(ref * (0.08 if days_left <= 2 else rng.uniform(-0.01, 0.02 + 0.06 * urgency)))
                break
            if gap < -100:  # long: sell part of the surplus, keeping a margin
                side = SELL
                qty = max(-gap * rng.randint(1, 2) // (2 * days_left), 100)
                price = ref + int(ref * rng.uniform(-0.03 - 0.03 * urgency, 0.02))
                break
        else:
            return None
        if c.obligation:  # a company counts what it has asked for today as done: never oversell or overbuy
            held[c.account] = held.get(c.account, 0) + (qty if side == BUY else -qty)
        anchor = int(m.spec.price_yuan * 100)  # agents keep a view of value: sell no lower than 80 % of it,
        price = max(price, anchor * 8 // 10) if side == SELL else min(price, anchor * 13 // 10)  # buy ≤ 130 %
        price = min(max(price, low), high)
        return OrderRequest(c.actor, c.number, side, int(qty), int(price))

    # -- 5. the auction --------------------------------------------------------------------------------
    def _auction_rules(self, m: Market) -> dict[str, Any]:
        assert m.spec.auction is not None
        path = Path(__file__).resolve().parents[1] / "rules" / "data" / "auctions" / f"{m.spec.auction.rules}.toml"
        if not path.is_file():
            raise DomainError("scenario_invalid", f"{m.spec.code}: auction rules {m.spec.auction.rules!r} not found")
        return tomllib.loads(path.read_text(encoding="utf-8"))["auction"]

    def _auction(self, m: Market) -> None:
        from openets.services.auctions import AuctionService

        a = self._auction_rules(m)
        assert m.spec.auction is not None
        svc, code = m.svc, m.spec.code
        opens, closes = datetime.fromisoformat(a["opens_at"]), datetime.fromisoformat(a["closes_at"])
        m.clock.at = opens.astimezone(UTC) - timedelta(hours=18)  # the notice and reserve: the day before
        r = a["restriction"]
        rid = svc.create_restriction(m.r1, allowed_types=["issue", "central_transfer", "auction_delivery", *r["allowed_types"]],
                                     bound_market=r.get("bound_market"), bound_year=r.get("bound_year"),
                                     note=a["document"])
        m.auction_restriction = rid
        volume = int(a["volume"])
        rec = svc.one(m.r1, Op("issue", key=f"{code}-auction", to_account=svc.account(f"{code}-ISSUANCE").id,
                               unit_class=m.uc.id, quantity=volume, restriction=rid))
        if rec.status.value == "awaiting_approval":
            svc.one(m.r2, Op("approve", txn=rec.id))
        svc.one(m.r1, Op("central_transfer", from_account=svc.account(f"{code}-ISSUANCE").id,
                         to_account=svc.account(f"{code}-AUCTION").id, unit_class=m.uc.id, quantity=volume,
                         restriction=rid))
        svc_a = AuctionService(svc)
        nid = svc_a.announce(m.r1, a, unit_class=m.uc.code, restriction_id=rid)
        reserve = svc_a.publish_reserve(m.r1, nid)
        # companies short of their allocation bid for part of that gap: what they win they surrender
        # first (it may only be surrendered), banking the allowances it frees
        rng = m.rng
        short = [c for c in m.companies if c.obligation > c.allocated]
        bidders = [c for c in short if rng.random() < float(m.spec.auction.bidders_share)]
        for k, c in enumerate(bidders):
            m.clock.at = opens.astimezone(UTC) + timedelta(seconds=30 + 7 * k)
            gap = max((c.obligation - c.allocated) * rng.randint(3, 8) // 10, 100)
            price = reserve + rng.randint(0, 12) * 10
            try:
                svc_a.bid(c.actor, nid, bid_id="1", price_fen=price, quantity=gap)
            except DomainError as exc:  # a bidder without the cash for its deposit stays out
                if exc.code != "cash_insufficient":
                    raise
        m.clock.at = closes.astimezone(UTC) + timedelta(minutes=1)
        m.auction = svc_a.close(m.r1, nid)

    # -- 6. offsets ------------------------------------------------------------------------------------
    def _offsets(self, m: Market) -> None:
        from openets.services.offsets import OffsetService, Project

        assert m.spec.offsets is not None
        spec, svc, code, year, rng = m.spec.offsets, m.svc, m.spec.code, m.spec.year, m.rng
        m.clock.at = _at(date(year + 1, 6, 5), 10)
        owner = svc.create_party(kind=PartyKind.INVESTOR, name=f"{code}减排项目业主", registration_id=f"{code}-OWNER")
        svc.add_user(name=f"{code.lower()}-owner", party_id=owner, role=Role.INVESTOR)
        owner_actor = svc.actor(f"{code.lower()}-owner")
        acc = svc.request_account(owner_actor, market=code, type=AccountType.HOLDING, number=f"{code}-OWNER-A")
        svc.decide_account(m.r1, acc.number, approve=True)
        offsets = OffsetService(svc)
        credits = []
        for k in range(spec.projects):
            eligible = k % 2 == 0  # half are rural biogas in a key poverty county; half wind elsewhere
            p = Project("CCER", f"{code}{k:03d}", f"{'沼气' if eligible else '风电'}项目{k}",
                        "rural_biogas" if eligible else "wind", "42", "421123" if eligible else "420100", owner,
                        date(2013, 1, 1), date(2015, 12, 31),
                        tags=frozenset({"hubei_key_poverty_county_yangtze_cluster"} if eligible else set()))
            offsets.register(m.r1, code, p)
            txn = offsets.propose_issue(m.r1, "CCER", p.project_id, 2015, spec.credits_per_project,
                                        key=f"ccer-{p.project_id}")
            svc.one(m.r2, Op("approve", txn=txn))
            uc = svc.unit_class(f"CCER:{p.project_id}:2015")
            svc.one(m.r1, Op("allocate", from_account=svc.account(f"{code}-ISSUANCE").id, to_account=acc.id,
                             unit_class=uc.id, quantity=spec.credits_per_project))
            credits.append(uc)
        # credits are cheaper than allowances: some companies buy them from the owner (a bilateral
        # deal, delivered in the registry) to surrender in place of allowances, which they then bank
        buyers = [c for c in m.companies if rng.random() < float(spec.buyers_share)]
        left = {uc.id: spec.credits_per_project for uc in credits}
        for c in buyers:
            uc = rng.choice(credits)
            qty = min(left[uc.id], max(c.allocated // 10, 1))
            if qty <= 0:
                continue
            svc.one(owner_actor, Op("transfer", from_account=acc.id, to_account=c.account, unit_class=uc.id,
                                    quantity=qty))
            left[uc.id] -= qty
            m.offsets_sold += qty
        self._offset_buyers = {c.reg_id for c in buyers}

    # -- 7. surrender and consequences -----------------------------------------------------------------
    def _deadline(self, m: Market) -> date:
        from openets.services.compliance import ComplianceService

        return ComplianceService(m.svc).deadlines(m.spec.code, m.spec.year)[0].astimezone(MARKET_TZ).date()

    def _holdings(self, m: Market, *, total: bool = False) -> dict[int, int]:
        """Allowances of the market's vintage per account, unrestricted: available (or ``total``)."""
        from sqlalchemy import select

        from openets.storage import tables as t

        with self.engine.connect() as c:
            return {r.account_id: r.total - (0 if total else r.reserved) for r in c.execute(
                select(t.positions).where(t.positions.c.unit_class_id == m.uc.id, t.positions.c.restriction_id == 0))}

    def _surrender(self, m: Market) -> None:
        from sqlalchemy import select

        from openets.services.compliance import ComplianceService, Consequences
        from openets.services.offsets import OffsetService
        from openets.services.registry import RegistrySession
        from openets.storage import tables as t
        from openets.storage.db import run_in_transaction

        code, year, svc = m.spec.code, m.spec.year, m.svc
        cs = ComplianceService(svc)
        deadline, order = cs.deadlines(code, year)
        d = deadline.astimezone(MARKET_TZ).date()
        with self.engine.connect() as c:
            positions = [(r.account_id, r.unit_class_id, r.restriction_id, r.total - r.reserved) for r in c.execute(
                select(t.positions).where(t.positions.c.account_id.in_([x.account for x in m.companies])))]
            classes = c.execute(select(t.unit_classes.c.id, t.unit_classes.c.code, t.unit_classes.c.kind)).all()
        codes = {r.code: r.id for r in classes}
        offset_classes = {r.id for r in classes if r.kind == "offset"}
        held: dict[int, list[tuple[int, int, int]]] = {}
        for acc, uc, rid, avail in positions:
            if avail > 0:
                held.setdefault(acc, []).append((uc, rid, avail))
        usable: dict[str, dict[str, int]] = {}
        if m.spec.offsets:  # which credits count, per the rules governing this compliance year
            from openets.services.allocation import AllocationService

            alloc = AllocationService(svc)
            offsets = OffsetService(svc)
            m.clock.at = _at(date(year + 1, 6, 10), 10)
            for c in m.companies:
                if c.reg_id in getattr(self, "_offset_buyers", set()):
                    basis = alloc.initial_allocation(code, year, c.reg_id) or 0
                    usable[c.reg_id] = {v.credit_id: v.usable for v in offsets.eligibility(
                        c.number, year=year, on=m.clock.now().date(), basis=basis, applied_on=date(year + 1, 6, 15))}
        def plan(c: Company, share: Decimal = Decimal(1)) -> list[Op]:
            """Offsets first (what counts), then compliance-only auction units, then allowances."""
            need = int((Decimal(c.obligation) * share).to_integral_value(rounding=ROUND_HALF_UP))
            ops = []
            for credit, qty in usable.get(c.reg_id, {}).items():
                take = min(qty, need)
                if take > 0:
                    ops.append(Op("surrender", from_account=c.account, unit_class=codes[credit], quantity=take,
                                  compliance_year=year))
                    need -= take
                    m.offsets_used += take
            for uc, rid, avail in sorted(held.get(c.account, []), key=lambda x: (x[1] == 0, x[0])):
                if uc in offset_classes or uc != m.uc.id or need <= 0:
                    continue
                take = min(avail, need)
                ops.append(Op("surrender", from_account=c.account, unit_class=uc, quantity=take, restriction=rid,
                              compliance_year=year))
                need -= take
            return ops

        def surrender(batch: list[tuple[Company, list[Op]]]) -> None:
            def work(conn):  # type: ignore[no-untyped-def]
                session = RegistrySession(svc, conn)
                for co, ops in batch:
                    for op in ops:
                        session.apply(co.actor, op)
                session.flush()

            run_in_transaction(self.engine, work)

        tick = self.progress.stage(f"{code} surrender", len(m.companies))
        m.clock.at = _at(d, 10)  # on the deadline day
        surrender([(c, plan(c)) for c in m.companies if c.behaviour == "on_time"])
        tick(sum(1 for c in m.companies if c.behaviour == "on_time"))
        late_day = d + timedelta(days=5)
        m.clock.at = _at(late_day, 10)  # after the deadline: the late ones pay, the others only in part
        surrender([(c, plan(c)) for c in m.companies if c.behaviour == "late"]
                  + [(c, plan(c, Decimal("0.6"))) for c in m.companies if c.behaviour == "never"])
        tick(sum(1 for c in m.companies if c.behaviour != "on_time"))
        m.clock.at = (order or deadline) + timedelta(days=2)
        try:
            Consequences(svc).decide(m.r1, code, year)
        except DomainError as exc:
            if exc.code != "no_trades":
                raise

    def _banked(self, m: Market) -> int:
        from openets.services.queries import RegistryQueries

        got = [x for x in RegistryQueries(self.engine).totals() if x.unit_class == m.uc.code]
        return got[0].in_circulation if got else 0

    def _outcome(self, m: Market) -> MarketOutcome:
        from sqlalchemy import func, select

        from openets.compliance.core import rate as compliance_rate
        from openets.services.compliance import ComplianceService, Consequences
        from openets.storage import tables as t

        every = [x.status for x in ComplianceService(m.svc).statuses(m.spec.code, m.spec.year, now=m.clock.now())]
        statuses: dict[str, int] = {}
        for st in every:
            statuses[st.code] = statuses.get(st.code, 0) + 1
        with self.engine.connect() as c:
            trades, vol, turnover = c.execute(select(func.count(), func.coalesce(func.sum(t.trades.c.quantity), 0),
                                                     func.coalesce(func.sum(t.trades.c.quantity * t.trades.c.price_fen), 0))
                                              .where(t.trades.c.market == m.spec.code)).one()
            surrendered = c.execute(select(func.coalesce(func.sum(t.transactions.c.quantity), 0)).where(
                t.transactions.c.market == m.spec.code, t.transactions.c.type == "surrender",
                t.transactions.c.compliance_year == m.spec.year)).scalar_one()
        pen = Consequences(m.svc).published(m.spec.code, m.spec.year)
        return MarketOutcome(
            m.spec.code, len(m.companies), sum(c.allocated for c in m.companies),
            int(sum((c.verified for c in m.companies), Decimal(0))), m.orders, int(trades), int(vol), int(turnover),
            m.exchange.reference if m.exchange else None, int(surrendered), self._banked(m), m.offsets_used, m.auction,
            statuses,
            compliance_rate(every).as_published(1), sum(p.amount_fen for p in pen if p.kind == "fine"),
            sum(1 for p in pen if p.kind == "listed"))
