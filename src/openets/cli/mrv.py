"""``openets mrv template | calc``: emission reports."""

from __future__ import annotations

from pathlib import Path

import typer

from openets.cli.common import JsonOpt, console, emit, run

app = typer.Typer(no_args_is_help=True)


@app.command()
def template(out: Path = typer.Argument(..., help="Where to write the report workbook (.xlsx)."),
             as_json: bool = JsonOpt) -> None:
    """Write an empty emission report workbook (Chinese and English headers)."""

    def go() -> None:
        from openets.services.mrv import write_template

        if out.suffix.lower() != ".xlsx":
            raise ValueError(f"{out.name}: the template is an .xlsx workbook")
        emit({"template": str(write_template(out))}, as_json)

    run(go)


@app.command()
def calc(path: Path = typer.Argument(..., help="A report workbook (sheets streams and activity)."),
         year: int = typer.Option(..., help="Reporting year (selects the grid factor)."),
         gwp: str = typer.Option("SAR", help="GWP set: SAR or AR5."),
         factors: Path | None = typer.Option(None, help="A factor table of your own (TOML)."),
         as_json: bool = JsonOpt) -> None:
    """Per-stream and total emissions with every factor used and its source; data-quality findings."""

    def go() -> None:
        from openets.mrv.accounting import display
        from openets.mrv.factors import load_factor_table
        from openets.services.mrv import read_report

        report = read_report(path, year=year, gwp_set=gwp, table=load_factor_table(factors) if factors else None)
        streams = [{"installation": s.resolved.stream.installation, "stream": s.resolved.stream.stream_id,
                    "kind": s.resolved.stream.kind, "activity": str(s.activity),
                    "unit": s.resolved.stream.activity_unit, "tco2e_per_unit": str(s.resolved.per_unit),
                    "emissions_t": str(display(s.emissions)), "indirect": s.resolved.indirect,
                    "factors": s.resolved.factors} for s in report.streams]
        installations = {k: {"direct_t": str(display(v.direct)), "indirect_t": str(display(v.indirect)),
                             "total_t": str(display(v.total))} for k, v in report.per_installation.items()}
        if as_json:
            emit({"streams": streams, "installations": installations,
                  "findings": [str(f) for f in report.findings]}, True)
            return
        emit(streams, False, title="streams", columns=["installation", "stream", "kind", "activity", "unit",
                                                        "emissions_t", "indirect"])
        emit([{"installation": k, **v} for k, v in installations.items()], False, title="installations")
        for f in report.findings:
            console.print(str(f), style="yellow", markup=False, highlight=False)

    run(go)
