"""``openets compliance status | extend | decide | published | public-data``: each covered company's status, the
consequences of non-compliance, the public list and the per-company public data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from openets.cli.common import AsOpt, CsvOpt, DbOpt, JsonOpt, PartyOpt, acting, clock, emit, engine, run
from openets.core.prices import yuan_text

if TYPE_CHECKING:
    from openets.services.compliance import ComplianceService

app = typer.Typer(no_args_is_help=True)
RulesOpt = typer.Option(None, "--rules", help="Your own rule-set file(s) (e.g. a scenario's), besides the bundled ones.")


def _registry(db: str | None, rules: list[Path] | None, *, with_clock: bool = False):
    from openets.services.registry import RegistryService
    from openets.services.rulebook import default_rulebook

    book = default_rulebook()
    for f in rules or []:
        book = book.with_file(f)
    return RegistryService(engine(db), rulebook=book, clock=clock() if with_clock else None)


@app.command()
def status(market: str = typer.Option(...), year: int = typer.Option(..., help="Compliance year."),
           at: str | None = typer.Option(None, help="As of this time (ISO; Asia/Shanghai if no zone)."),
           rules: list[Path] | None = RulesOpt, db: str | None = DbOpt,
           xlsx: Path | None = typer.Option(None, "--xlsx", help="Also write the table as a typed Excel workbook "
                                                                 "(the compliance page's Excel export)."),
           as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Obligation, surrendered, shortfall and status (A compliant, B must surrender, C emissions missing)."""

    def go() -> None:
        from openets.core.clock import parse_instant
        from openets.services.compliance import ComplianceService
        from openets.services.names import NO_CODE, company_names

        svc = ComplianceService(_registry(db, rules))
        now = parse_instant(at) if at else None
        found = svc.statuses(market, year, now=now)
        names = company_names(svc.registry.engine, (s.company for s in found))
        rows = [{"company": s.company, "company_name": names.get(s.company, NO_CODE), "status": s.status.code,
                 "code": s.status.letter, "owed": s.status.owed,
                 "surrendered": s.status.surrendered, "shortfall": s.status.shortfall}
                for s in found]
        if xlsx is not None:
            _write_xlsx(svc, xlsx, rows, market=market, year=year, now=now)
        emit(rows, as_json, title=f"{market} {year}: compliance rate {svc.rate(market, year, now=now)}"
             if rows else f"{market} {year}")

    run(go)


@app.command()
def decide(market: str = typer.Option(...), year: int = typer.Option(..., help="Compliance year."),
           multiplier: str | None = typer.Option(None, help="Fine multiplier within the rules' range (default: "
                                                            "the rule set's stated default)."),
           fine_yuan: str | None = typer.Option(None, "--fine-yuan", help="A fixed fine decided in the rules' range "
                                                                         "(yuan; national Measures: 20,000–30,000)."),
           user: str | None = AsOpt, party: int | None = PartyOpt, rules: list[Path] | None = RulesOpt,
           db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """After the order deadline, the regulator decides the consequences: fines (multiplier × market
    average price × shortfall) and the published list. Decided once per company and kind."""

    def go() -> None:
        from openets.core.numbers import parse_decimal
        from openets.services.compliance import Consequences

        m = parse_decimal(multiplier, "--multiplier", minimum=0, maximum=1000) if multiplier is not None else None
        from openets.core.numbers import parse_fen

        fixed = parse_fen(fine_yuan, "--fine-yuan") if fine_yuan is not None else None
        svc = _registry(db, rules, with_clock=True)
        done = Consequences(svc).decide(acting(svc, user, party), market, year, multiplier=m,
                                        fixed_fen=fixed)
        emit(_penalties(svc, done), as_json, title=f"{market} {year}: decided now")

    run(go)


@app.command()
def published(market: str = typer.Option(...), year: int = typer.Option(..., help="Compliance year."),
              db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """The public list of non-compliant companies and their fines."""

    def go() -> None:
        from openets.services.compliance import Consequences

        reg = _registry(db, None)
        emit(_penalties(reg, Consequences(reg).published(market, year)), as_json,
             title=f"{market} {year}: non-compliance list")

    run(go)


@app.command("public-data")
def public_data(market: str = typer.Option(...), year: int = typer.Option(..., help="Compliance year."),
                at: str | None = typer.Option(None, help="As of this time (ISO)."),
                out: Path | None = typer.Option(None, "--out", help="Also write the public table: .csv or .xlsx "
                                                                    "(bilingual headers, typed cells)."),
                rules: list[Path] | None = RulesOpt, db: str | None = DbOpt, as_json: bool = JsonOpt,
                as_csv: bool = CsvOpt) -> None:
    """Per company, in the EU Transaction Log manner: allocation, verified emissions, units surrendered
    (allowances, offsets counted or not), status."""

    def go() -> None:
        from openets.core.clock import parse_instant
        from openets.services.compliance import ComplianceService

        svc = ComplianceService(_registry(db, rules))
        rows = svc.public_data(market, year, now=parse_instant(at) if at else None)
        if out is not None:
            from openets.reports.public_data import write_public

            write_public([{"market": market, **r} for r in rows], out, title=f"{market} {year} public data")
        emit(rows, as_json, title=f"{market} {year}: public data")

    run(go)


def _write_xlsx(svc: ComplianceService, path: Path, rows: Sequence[Mapping[str, object]], *, market: str, year: int,
                now: datetime | None) -> None:
    """The status table as the compliance page's workbook (reports/compliance_export.py)."""
    from openets.core.clock import MARKET_TZ
    from openets.reports.compliance_export import compliance_xlsx

    if path.suffix.lower() != ".xlsx":
        raise ValueError(f"--xlsx {path}: the file name ends in .xlsx")
    deadline, rates = svc.year_summary(market, year, now=now)
    body = compliance_xlsx([{"name": x["company_name"], **x} for x in rows], market=market, year=year,
                           deadline=deadline, as_of=(now or svc.registry.clock.now()).astimezone(MARKET_TZ), rates=rates)
    try:
        path.write_bytes(body)
    except OSError as exc:
        raise ValueError(f"--xlsx {path}: {exc.strerror or exc}") from None


def _penalties(reg, listed) -> list[dict[str, object]]:
    from openets.services.names import NO_CODE, company_names

    names = company_names(reg.engine, (p.company for p in listed))
    return [{"company": p.company, "company_name": names.get(p.company, NO_CODE), "kind": p.kind,
             "shortfall_t": p.shortfall, "amount_yuan": yuan_text(p.amount_fen), "basis": p.basis} for p in listed]


@app.command()
def extend(market: str = typer.Option(...), year: int = typer.Option(..., help="Compliance year."),
           company: str = typer.Option(..., help="The company's registration id."),
           until: str = typer.Option(..., help="The new deadline (a date, end of day in the market's zone)."),
           reason: str = typer.Option(..., help="Why: recorded with the extension."),
           user: str | None = AsOpt, party: int | None = PartyOpt, rules: list[Path] | None = RulesOpt,
           db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Extend one company's deadline (the market's regulator); its status is recomputed against it."""

    def go() -> None:
        from openets.core.clock import parse_day
        from openets.services.compliance import ComplianceService

        day = parse_day(until, "--until")
        svc = _registry(db, rules, with_clock=True)
        new = ComplianceService(svc).extend(acting(svc, user, party), market, year, company, day, reason)
        emit({"company": company, "market": market, "year": year, "deadline": new}, as_json, title="extension")

    run(go)
