"""``openets compliance status``: each covered company's status for a market and year."""

from __future__ import annotations

import typer

from openets.cli.common import DbOpt, JsonOpt, emit, engine, run

app = typer.Typer(no_args_is_help=True)


@app.command()
def status(market: str = typer.Option(...), year: int = typer.Option(..., help="Compliance year."),
           at: str | None = typer.Option(None, help="As of this time (ISO; Asia/Shanghai if no zone)."),
           db: str | None = DbOpt, as_json: bool = JsonOpt) -> None:
    """Obligation, surrendered, shortfall and status (A compliant, B must surrender, C emissions missing)."""

    def go() -> None:
        from openets.core.clock import parse_instant
        from openets.services.compliance import ComplianceService
        from openets.services.registry import RegistryService

        svc = ComplianceService(RegistryService(engine(db)))
        now = parse_instant(at) if at else None
        rows = [{"company": s.company, "status": s.status.code, "code": s.status.letter, "owed": s.status.owed,
                 "surrendered": s.status.surrendered, "shortfall": s.status.shortfall}
                for s in svc.statuses(market, year, now=now)]
        emit(rows, as_json, title=f"{market} {year}: compliance rate {svc.rate(market, year, now=now)}"
             if rows else f"{market} {year}")

    run(go)
