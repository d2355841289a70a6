"""``openets demo`` (the main job: the bundled compliance year), ``openets run SCENARIO`` (your own),
and ``openets walkthrough`` (the registry walk-through, step by step)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from openets.cli.common import CsvOpt, JsonOpt, console, emit, refuse_live_registry, run
from openets.core.prices import yuan_text
from openets.simulation.progress import Progress

if TYPE_CHECKING:
    from rich.progress import Progress as RichProgress

    from openets.simulation.outcome import ReportData

SCHEMA_HELP = ("A scenario file (TOML): [scenario] name, seed, rules (rule-set files next to it); then one "
               "[[markets]] table per market: code, year, companies, investors, price_yuan (the starting reference "
               "price), sectors, emissions_t = [low, high], emissions_change = [low, high], trading_days, orders_per_day, "
               "late_share, never_share, and optionally mac_yuan = {sector = [low, high]}, mac_share, discount_rate, "
               "listing_cost_yuan, rush, auction = {rules, bidders_share} and "
               "offsets = {projects, credits_per_project, buyers_share}. Copy src/openets/scenarios/pilots-2016.toml.")


def _fresh(db: str) -> None:
    if db.startswith("sqlite:///"):
        path = Path(db.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)


class _Bars(Progress):
    """Progress bars (rich) for the runner's stages."""

    def __init__(self, progress: RichProgress) -> None:
        self.p = progress

    def stage(self, name: str, total: int) -> Callable[[int], None]:
        task = self.p.add_task(name, total=max(total, 1))
        return lambda n: self.p.advance(task, n)


def _write_report(data: ReportData, out: Path) -> list[Path]:
    """The simulation's report port: the annual report (HTML, workbook, charts) from the year's data."""
    from openets.reports.annual import AnnualData, write_annual_report

    return write_annual_report(AnnualData(data.title, data.markets, data.stages, data.conserved, public=data.public,
                                          bars=data.bars, daily=data.daily, penalties=data.penalties,
                                          sanctions=data.sanctions), out)


def _run_year(path: Path, db: str, report: Path, fresh: bool, as_json: bool) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from openets.simulation.runner import YearRunner
    from openets.simulation.schema import load_scenario

    scenario, rule_files = load_scenario(path)
    refuse_live_registry(db, "the compliance year")  # before --fresh would delete it
    if fresh:
        _fresh(db)
    if as_json:
        result = YearRunner(scenario, url=db, rule_files=rule_files, report_dir=report, write_report=_write_report).run()
    else:
        cols = (TextColumn("{task.description:<40}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*cols, console=console, transient=False) as p:
            result = YearRunner(scenario, url=db, rule_files=rule_files, progress=_Bars(p), report_dir=report,
                                write_report=_write_report).run()
    markets: list[dict[str, Any]] = [{"market": m.code, "year": m.year, "rules": m.rules,
                "companies": m.companies, "allocated_t": m.allocated, "verified_t": m.verified,
                "orders": m.orders, "trades": m.trades, "volume_t": m.volume, "close_yuan":
                    None if m.close_fen is None else yuan_text(m.close_fen), "surrendered_t": m.surrendered,
                "banked_t": m.banked, "government_t": m.government_remainder, "offsets_t": m.offsets_used, "compliance": m.rate,
                "compliance_final": m.rate_final, "compliance_quantity": m.rate_quantity,
                "fines_yuan": yuan_text(m.fines_fen, grouped=True),
                "listed": m.listed, "carried_in_t": m.carried_in, "carry_granted_t": m.carry_granted,
                "carry_limit_t": m.carry_limit, "carry_used_t": m.carry_used, "carry_left_t": m.carry_left,
                "carry_beyond_t": m.carry_beyond} for m in result.markets]
    stages: list[dict[str, Any]] = [{"stage": s.name, "seconds": round(s.seconds, 2), "budget": round(s.budget, 1), "detail": s.detail}
              for s in result.stages]
    if as_json:
        emit({"scenario": result.name, "markets": markets, "stages": stages, "conserved": result.conserved,
              "unit_classes": result.unit_classes, "report": str(result.report_dir),
              "files": [str(f) for f in result.files],
              "auctions": {m.code: m.auction for m in result.markets if m.auction}}, True)
        return
    t = Table(title=f"{result.name} — every unit class conserved: {result.conserved}")
    t.add_column("")
    for m in markets:
        t.add_column(f"{m['market']} {m['year']}" if len(markets) > len({x["market"] for x in markets}) else str(m["market"]),
                     justify="right")
    carry = ("carried_in_t", "carry_granted_t", "carry_limit_t", "carry_used_t", "carry_left_t", "carry_beyond_t")
    shown = tuple(k for k in carry if any(m[k] for m in markets))  # banking between years: where there is any
    for key in ("companies", "allocated_t", "verified_t", "orders", "trades", "volume_t", "close_yuan", "surrendered_t",
                "banked_t", "government_t", "offsets_t", "compliance", "compliance_final", "compliance_quantity", "fines_yuan",
                "listed", *shown):
        t.add_row(key, *(f"{m[key]:,}" if isinstance(m[key], int) else str(m[key]) for m in markets))
    console.print(t)
    st = Table(title="time per stage (s) against its budget")
    for c in ("stage", "seconds", "budget", "detail"):
        st.add_column(c)
    for s in stages:
        over = s["seconds"] > s["budget"]
        st.add_row(s["stage"], f"{s['seconds']:.1f}", f"{s['budget']:.1f}" + (" [red]over[/red]" if over else ""),
                   str(s["detail"]))
    st.add_row("total", f"{sum(s['seconds'] for s in stages):.1f}", "120.0", "")
    console.print(st)
    console.print(f"report: [bold]{result.report_dir}[/bold] (report.html, report.pdf, report.xlsx, charts)")


def demo(db: str = typer.Option("sqlite:///var/demo.db", "--db", help="Database for the year."),
         report: Path = typer.Option(Path("var/report"), help="Folder for the annual report."),
         fresh: bool = typer.Option(True, help="Start from an empty database (SQLite)."),
         as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """The main job: one whole compliance year of Beijing, Shanghai and Hubei side by side, from the
    bundled scenario — accounts, allocation, MRV, trading, the Shanghai auction, Hubei offsets,
    surrender, fines, and the annual report."""
    from openets.simulation.schema import BUNDLED

    run(lambda: _run_year(BUNDLED / "pilots-2016.toml", db, report, fresh, as_json))


def run_scenario(scenario: Path = typer.Argument(..., help=SCHEMA_HELP),
                 db: str = typer.Option("sqlite:///var/scenario.db", "--db", help="Database for the year."),
                 report: Path = typer.Option(Path("var/report"), help="Folder for the annual report."),
                 fresh: bool = typer.Option(True, help="Start from an empty database (SQLite)."),
                 check: bool = typer.Option(False, "--check", help="Only check the file: its markets, or its first "
                                                                    "problem with its place; nothing is run."),
                 as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Run your own scenario file (checked first: every problem named with its place in the file)."""
    if check:
        run(lambda: _check(scenario, as_json))
        return
    run(lambda: _run_year(scenario, db, report, fresh, as_json))


def _check(path: Path, as_json: bool) -> None:
    from openets.simulation.schema import load_scenario

    scenario, rule_files = load_scenario(path)
    emit([{"scenario": scenario.scenario.name, "market": m.code, "year": m.year, "companies": m.companies,
           "trading_days": m.trading_days, "rules": ", ".join(f.name for f in rule_files)} for m in scenario.markets],
         as_json, title="scenario checked")


def walkthrough(db: str = typer.Option("sqlite:///var/walkthrough.db", "--db", help="Database for the walk-through."),
                fresh: bool = typer.Option(True, help="Start from an empty database."),
                as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Walk through the registry step by step: markets, a company, issuance with approval, allocation,
    a transfer, a freeze, a surrender for 2016, a trace of one tonne, totals and the journal check."""

    def go() -> None:
        from openets.simulation.walkthrough import registry_walkthrough

        refuse_live_registry(db, "the walk-through")  # before --fresh would delete it
        if fresh:
            _fresh(db)
        result = registry_walkthrough(db, say=None if as_json else console.print)
        if as_json:
            emit(result, True)

    run(go)
