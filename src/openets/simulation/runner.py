"""The main job: one compliance year of several markets side by side, end to end, from a scenario
file — parties and accounts → cap and allocation → monthly MRV data, reports, verification →
trading through the exchange by simple company agents → the Shanghai auction → offsets under the
Hubei rules → surrender, late payers, fines and the published list → the annual report.

Everything goes through the same services the CLI and the API use; the agents only decide what to
ask for. Deterministic for a given seed: one random generator per market, seeded from the scenario.
Progress is reported through a port (``Progress``) so that the CLI can draw bars; the annual
report is written through another (``ReportWriter``) so that the simulation needs no report code.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from openets.core.clock import FixedClock
from openets.services.database import make_engine, upgrade
from openets.services.queries import RegistryQueries
from openets.services.registry import RegistryService
from openets.services.rulebook import default_rulebook
from openets.services.sim_queries import SimulationQueries
from openets.simulation.allocation import allocate, allocate_verified, industry_plan, industry_true_up, mixed, true_up, true_up_mixed
from openets.simulation.auction import run_auction
from openets.simulation.banking import grant_carry_over
from openets.simulation.mrv import run_mrv
from openets.simulation.offsets import run_offsets
from openets.simulation.outcome import (
    BUDGET,
    EXCHANGE_RATE,
    MarketOutcome,
    ReportWriter,
    StageTime,
    YearResult,
    market_outcome,
    report_data,
)
from openets.simulation.schema import Scenario
from openets.simulation.state import Market, Progress, at
from openets.simulation.surrender import run_surrender
from openets.simulation.trading import trade
from openets.simulation.world import next_year, set_up


class YearRunner:
    def __init__(self, scenario: Scenario, *, url: str, rule_files: list[Path] | None = None,
                 progress: Progress | None = None, report_dir: Path | None = None,
                 write_report: ReportWriter | None = None) -> None:
        """``report_dir`` and ``write_report`` together: write the annual report there at the end."""
        if (report_dir is None) != (write_report is None):
            raise TypeError("report_dir and write_report go together")
        self.sc = scenario
        self.url = url
        # WAL with synchronous=NORMAL: each commit survives the process crashing or being killed (the
        # WAL is written before the commit returns) and the file never corrupts; only an OS crash or
        # power cut may lose the last commits. Durable enough for a year its seed replays; no fsync per
        # commit (~2.7 s of the demo's 71 s were fsyncs). The registry's own engines stay FULL.
        self.engine = make_engine(url, synchronous="NORMAL")
        book = default_rulebook()
        for f in rule_files or []:
            book = book.with_file(f)
        self.rulebook = book
        self.progress = progress or Progress()
        self.report_dir = report_dir
        self.write_report = write_report
        self.queries = SimulationQueries(self.engine)
        self.stages: list[StageTime] = []
        self.markets: list[Market] = []
        # the credit buyers of the last market with offsets: as before the split, only they count
        # credits at surrender (the bundled scenario has one such market)
        self.offset_buyers: set[str] = set()
        self._year = 0  # the year the stages are of, in a scenario of several years (0: one year)

    @contextmanager
    def _stage(self, name: str, detail: Callable[[], str] = lambda: "") -> Iterator[None]:
        t0 = time.perf_counter()
        yield
        budget = (sum(m.orders for m in self.markets) / EXCHANGE_RATE if name == "trading" else BUDGET.get(name, 0.0))
        label = f"{name} ({self._year})" if self._year else name
        self.stages.append(StageTime(label, time.perf_counter() - t0, detail(), budget))

    def run(self) -> YearResult:
        """Every year of the scenario in turn (one for most: a market over several years carries its companies
        and their holdings from each year to the next), each year's outcome taken at its end."""
        upgrade(self.engine)
        RegistryService(self.engine, rulebook=self.rulebook).init_markets()
        years = self.sc.years()
        outcomes = []
        previous: dict[str, Market] = {}
        every: list[Market] = []
        groups: list[tuple[list[Market], list[MarketOutcome]]] = []  # each turn's markets and outcomes, for its report
        for specs in years:
            self._year = specs[0].year if len(years) > 1 else 0
            self.markets = []
            for spec in specs:
                i = self.sc.markets.index(spec)  # as before: a generator per market entry
                self.rulebook.market(spec.code)  # an unknown market is named before anything runs
                clock = FixedClock(at(spec.starts or date(spec.year, 6, 30), 10))
                svc = RegistryService(self.engine, clock=clock, rulebook=self.rulebook)
                self.markets.append(Market(spec, svc, clock, random.Random(self.sc.scenario.seed * 1000 + i),
                                           self.sc.scenario.seed))
            self._one_year(previous)
            done = [market_outcome(m, self.queries) for m in self.markets]
            outcomes += done
            groups.append((self.markets, done))
            previous |= {m.spec.code: m for m in self.markets}
            every += self.markets
        totals = RegistryQueries(self.engine).totals()
        result = YearResult(self.sc.scenario.name, self.stages, outcomes, all(x.conserved for x in totals), len(totals))
        if self.report_dir is not None and self.write_report is not None:
            out, write = self.report_dir, self.write_report
            self._year = 0
            with self._stage("annual report", lambda: str(out)):
                if len(years) == 1:
                    result.files = write(report_data(result, every), out)
                else:  # a report per turn (each market once in it), in a folder named by its year(s):
                    # a turn may hold markets of different years (CEA 2023 beside BJ 2016): "2016+2023"
                    for ms, done in groups:
                        name = "+".join(str(y) for y in sorted({m.spec.year for m in ms}))
                        part = YearResult(f"{self.sc.scenario.name} — {name}", self.stages, done, result.conserved,
                                          result.unit_classes)
                        result.files += write(report_data(part, ms), out / name)
                result.report_dir = out

        self.engine.dispose()
        return result

    def _one_year(self, previous: dict[str, Market]) -> None:
        """One compliance year of ``self.markets``: a market already run the year before (``previous``)
        keeps its parties (world.next_year); its year's allocation, MRV, true-up, trading and surrender."""
        with self._stage("parties and accounts", lambda: f"{sum(len(m.companies) for m in self.markets):,} companies"):
            for m in self.markets:
                if m.spec.code in previous:
                    next_year(previous[m.spec.code], m)
                else:
                    set_up(m, self.progress)
        going_on = [m for m in self.markets if m.spec.code in previous]
        if going_on:  # a market's next year: its companies' carry-over limits granted between the years
            with self._stage("carry-over limits", lambda: ", ".join(f"{m.spec.code} {m.carry_granted:,} t" for m in going_on)):
                for m in going_on:
                    m.carry_granted = grant_carry_over(previous[m.spec.code], m)
        with self._stage("cap and allocation", lambda: f"{sum(c.allocated for m in self.markets for c in m.companies):,} t"):
            for m in self.markets:
                allocate(m, self.progress)
        with self._stage("MRV: monthly data, reports, verification",
                         lambda: f"{sum(len(m.companies) for m in self.markets):,} reports"):
            run_mrv(self.markets, self.progress)
        with self._stage("true-up (多退少补)", lambda: ", ".join(f"{m.spec.code} {m.true_up:+,} t" for m in self.markets
                                                             if m.spec.power or m.true_up) or "none"):
            for m in self.markets:
                if mixed(m):
                    true_up_mixed(m, self.queries)
                elif m.spec.power:
                    true_up(m, self.queries)
                elif (plan := industry_plan(m)) is not None:
                    (industry_true_up if plan.method == "intensity" else allocate_verified)(m, self.queries)
        with self._stage("trading", lambda: f"{sum(m.orders for m in self.markets):,} orders"):
            trade(self.markets, self.progress, self.queries)
        with self._stage("auctions", lambda: ", ".join(m.spec.code for m in self.markets if m.auction) or "none"):
            for m in self.markets:
                if m.spec.auction:
                    run_auction(m)
        with self._stage("offsets", lambda: f"{sum(m.offsets_sold for m in self.markets):,} t of credits sold"):
            for m in self.markets:
                if m.spec.offsets:
                    self.offset_buyers = run_offsets(m)
        with self._stage("surrender, late payers, fines"):
            for m in self.markets:
                run_surrender(m, self.progress, self.queries, self.offset_buyers)
