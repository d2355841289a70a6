"""``openets allocation run | issue``: allocate from production data, then issue into the registry."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import typer

from openets.cli.common import AsOpt, CsvOpt, DbOpt, Failure, JsonOpt, PartyOpt, acting, clock, emit, engine, run

app = typer.Typer(no_args_is_help=True)
AllocationKind = Literal["pre", "final"]  # allocation/plan.py: the two kinds a run computes


def _services(db: str | None):
    from openets.services.allocation import AllocationService
    from openets.services.registry import RegistryService

    reg = RegistryService(engine(db), clock=clock())  # the market clock ($OPENETS_NOW), as every registry command
    return reg, AllocationService(reg)


@app.command("run")
def run_(path: Path = typer.Argument(..., help="Production data (CSV or Excel sheet 'production'); English or "
                                                 "Chinese headers."),
         market: str = typer.Option(...), year: int = typer.Option(..., help="Compliance year."),
         kind: AllocationKind = typer.Option("final", help="pre: pre-allocation from base-year output; final: actual output."),
         out: Path | None = typer.Option(None, help="Write the results (.csv or .xlsx)."),
         propose: bool = typer.Option(False, help="Store the run for a second regulator to issue."),
         changes: Path | None = typer.Option(None, help="New entrants, closures, mergers, boundary changes "
                                                        "(CSV: kind, on, company, source_id, to_company)."),
         encoding: str = "utf-8-sig", user: str | None = AsOpt, party: int | None = PartyOpt,
         db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Allocate every unit and installation in the file, per company; nothing is issued."""

    def go() -> None:
        from openets.services.allocation import read_changes, read_production

        reg, svc = _services(db)
        rows = read_production(path, encoding=encoding)
        events = read_changes(changes, encoding=encoding) if changes else None
        result = svc.compute(rows, market=market, year=year, kind=kind, changes=events)
        table = [{"company": c.company, "sectors": ",".join(c.sectors), "units": len(c.rows),
                  "exact": str(c.exact), "tonnes": c.tonnes} for c in result.companies]
        if out is not None:
            _write(out, table)
        summary = {"companies": len(table), "total": result.total, "kind": kind}
        if propose:
            summary["run"] = svc.propose(acting(reg, user, party), result, market=market, year=year).run
        if as_json:
            emit({"summary": summary, "companies": table}, True)
        else:
            emit(table[:50], False, title=f"allocation {market} {year} ({kind})")
            emit(summary, False, title="total")

    run(go)


@app.command()
def compare(path: Path = typer.Argument(..., help="Production data with a 'history' column (历史强度): the last "
                                                  "years' intensities, oldest first, e.g. 1.95;1.90;1.85."),
            market: str = typer.Option("CEA"), year: int = typer.Option(2017, help="Compliance year of the rules."),
            png: Path | None = typer.Option(None, help="Write the chart as PNG."),
            html: Path | None = typer.Option(None, help="Write a page with the chart and the table."),
            rules: Path | None = typer.Option(None, help="A rule set file of your own."),
            encoding: str = "utf-8-sig", db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Benchmark vs historical intensity for the same companies: who gains, who loses (鞭打快牛)."""

    def go() -> None:
        from openets.allocation.compare import compare as do_compare
        from openets.services.allocation import AllocationService, read_histories
        from openets.services.registry import RegistryService

        reg = RegistryService(engine(db), clock=clock())  # the market clock ($OPENETS_NOW), as every registry command
        if rules is not None:
            reg.rulebook = reg.rulebook.with_file(rules)
        rows, histories = read_histories(path, encoding=encoding)
        result = do_compare(rows, histories, AllocationService(reg).rules(market, year))
        if png is not None or html is not None:
            from openets.reports.allocation_compare import write

            write(result, png=png, html_path=html, title=f"{market} {year}: benchmark vs historical intensity")
        emit([{"company": r.company, "benchmark": r.benchmark, "historical": r.historical,
               "difference": r.difference} for r in result], as_json, title="benchmark − historical")

    run(go)


@app.command()
def coverage(path: Path = typer.Argument(..., help="Energy use: company, sector, year, energy_tce (综合能源消费总量, "
                                                   "one row per company and year); CSV or Excel sheet 'energy'."),
             market: str = typer.Option(...), year: int = typer.Option(..., help="Compliance year."),
             on: str | None = typer.Option(None, help="The rules in force on this day (default: today)."),
             encoding: str = "utf-8-sig", as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Which companies the market covers for the year (its sectors and energy threshold), each with why."""

    def go() -> None:
        from datetime import UTC, datetime, time

        from openets.core.clock import MARKET_TZ, parse_day
        from openets.services.coverage import coverage as check
        from openets.services.coverage import read_energy
        from openets.services.rulebook import default_rulebook

        moment = datetime.combine(parse_day(on, "--on"), time(12), MARKET_TZ) if on else datetime.now(UTC)
        got = check(default_rulebook(), read_energy(path, encoding=encoding), market=market, year=year, moment=moment)
        table = [{"company": c.company, "sector": c.sector, "covered": c.verdict.covered, "reason": c.verdict.reason}
                 for c in got]
        emit(table, as_json, title=f"coverage {market} {year}")

    run(go)


@app.command("true-up")
def true_up(path: Path | None = typer.Argument(None, help="Confirmed actual output (same columns as the production "
                                                         "data); without it, the confirmed MRV reports."),
            market: str = typer.Option(...), year: int = typer.Option(..., help="Compliance year."),
            encoding: str = "utf-8-sig", user: str | None = AsOpt, party: int | None = PartyOpt,
            db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """多退少补: propose the difference between the allocation from confirmed output and what was issued;
    `issue` then gives the rest or claws back (what a company no longer holds is recorded as owed)."""

    def go() -> None:
        from openets.services.allocation import CsvConfirmedOutput
        from openets.services.reports import MrvConfirmedOutput

        reg, svc = _services(db)
        source = CsvConfirmedOutput(path, encoding=encoding) if path is not None else MrvConfirmedOutput(reg.engine)
        emit(svc.true_up_from(acting(reg, user, party), source, market=market, year=year), as_json,
             title="true-up proposed")

    run(go)


@app.command()
def issue(run_id: int = typer.Argument(..., metavar="RUN"), unit_class: str = typer.Option(...),
          from_: str = typer.Option(..., "--from", help="The government account allocated from."),
          user: str | None = AsOpt, party: int | None = PartyOpt, db: str | None = DbOpt,
          as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Issue a proposed run (a different regulator than its proposer): one atomic, idempotent batch."""

    def go() -> None:
        reg, svc = _services(db)
        emit(svc.issue(acting(reg, user, party), run_id, unit_class=unit_class, from_account=from_),
             as_json, title="allocation issued")

    run(go)


def _write(path: Path, table: list[dict]) -> None:
    cols = ["company", "sectors", "units", "exact", "tonnes"]
    tmp = path.with_name(path.name + ".part")
    if path.suffix.lower() == ".csv":
        import csv

        with open(tmp, "w", newline="", encoding="utf-8-sig") as fh:
            w = csv.DictWriter(fh, fieldnames=cols)
            w.writeheader()
            w.writerows(table)
    elif path.suffix.lower() == ".xlsx":
        import openpyxl

        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "allocation"
        ws.append(["企业 company", "行业 sectors", "设施/机组 units", "精确值 exact (t)", "配额 allowance (t)"])
        for r in table:
            ws.append([r["company"], r["sectors"], r["units"], r["exact"], r["tonnes"]])
        wb.save(tmp)
    else:
        raise Failure(f"{path.name}: results are written as .csv or .xlsx")
    tmp.replace(path)  # never a half-written result
