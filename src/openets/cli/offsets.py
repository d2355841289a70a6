"""``openets offsets check-eligibility``: which credits a company may surrender, and why not."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from openets.cli.common import AsOpt, CsvOpt, DbOpt, JsonOpt, PartyOpt, acting, emit, run

app = typer.Typer(no_args_is_help=True)


@app.command("check-eligibility")
def check_eligibility(credits: Path = typer.Argument(..., help="CSV: id, standard, project_id, project_type, province,"
                                                               " county, period_start, period_end, quantity, "
                                                               "boundary_of, tags (;-separated)."),
                      market: str = typer.Option(...), year: int = typer.Option(..., help="Compliance year."),
                      company: str = typer.Option(..., help="The surrendering company's registration id."),
                      basis: int = typer.Option(..., help="Its initial annual allocation or obligation, t."),
                      applied_on: str | None = typer.Option(None, help="Date of the application (YYYY-MM-DD)."),
                      on: str | None = typer.Option(None, help="Date the rules are read at (default: applied_on or "
                                                               "today)."),
                      as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Each credit: usable tonnes and the reasons it is not (fully) usable."""

    def go() -> None:
        from openets.core.clock import parse_day
        from openets.core.quantity import parse_tonnes
        from openets.offsets.eligibility import Credit, check
        from openets.offsets.rules import OffsetRules, for_year
        from openets.services.rulebook import default_rulebook, section
        from openets.services.tabular import Problems, Schema, read_tables

        cols = ("id", "standard", "project_id", "project_type", "province", "county", "period_start", "period_end",
                "quantity", "boundary_of", "tags")
        zh = {"减排量编号": "id", "标准": "standard", "项目编号": "project_id", "项目类型": "project_type",
              "省份": "province", "区县": "county", "减排起始日": "period_start", "减排截止日": "period_end",
              "数量": "quantity", "边界内企业": "boundary_of", "标签": "tags"}
        bad = Problems()  # every bad row named under the file's own headers, then refused together
        rows = read_tables(credits, {"credits": Schema(cols, cols[:9], zh)}, kind="credits", problems=bad)["credits"]
        parsed, seen = [], set()
        for r in rows:
            v = r.values
            before = len(bad.lines)
            start, end = bad.parse(r, "period_start", parse_day), bad.parse(r, "period_end", parse_day)
            quantity = bad.parse(r, "quantity", parse_tonnes)
            if start is not None and end is not None and end < start:
                bad.add(r, "period_end", f"{end} is before {r.col('period_start')} {start}")
            if v["id"] in seen:  # the same credit counted twice would double its tonnes
                bad.add(r, "id", f"credit {v['id']!r} is given twice")
            seen.add(v["id"])
            if len(bad.lines) > before or start is None or end is None or quantity is None:
                continue
            parsed.append(Credit(v["id"], v["standard"], v["project_id"], v["project_type"], v["province"],
                                 v["county"], start, end, quantity,
                                 frozenset(x for x in v.get("boundary_of", "").split(";") if x),
                                 frozenset(x for x in v.get("tags", "").split(";") if x)))
        bad.refuse("nothing checked")
        applied = parse_day(applied_on, "--applied-on") if applied_on else None
        when = parse_day(on, "--on") if on else (applied or date.today())
        rs = default_rulebook().lookup(market, year, when, "offsets")
        verdicts = check(parsed, company, for_year(section(rs, "offsets", OffsetRules), year),
                         basis=basis, applied_on=applied)
        emit([{"credit": x.credit_id, "usable": x.usable, "counts_for": str(x.counts_for),
               "reasons": "; ".join(x.reasons)} for x in verdicts], as_json, title=f"{rs.document}")

    run(go)


@app.command()
def project(standard: str = typer.Option("CCER"), project_id: str = typer.Option(...), name: str = typer.Option(...),
            type: str = typer.Option(..., help="rural_biogas, forestry, wind, pv, hydro, inclusion, methane, other"),
            province: str = typer.Option(..., help="GB/T 2260 two digits, e.g. 42 (Hubei)"),
            county: str = typer.Option(..., help="GB/T 2260 six digits"), owner: int = typer.Option(...),
            crediting_start: str = typer.Option(...), crediting_end: str = typer.Option(...),
            market: str = typer.Option(..., help="The registry that holds its credits."),
            tag: list[str] = typer.Option([], help="e.g. hubei_key_poverty_county_yangtze_cluster"),
            boundary_of: list[str] = typer.Option([], help="Companies whose boundary includes the project."),
            user: str | None = AsOpt, party: int | None = PartyOpt, db: str | None = DbOpt,
            as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Register an offset project (regulator)."""

    def go() -> None:
        from openets.core.clock import parse_day
        from openets.services.offsets import OffsetService, Project

        start, end = parse_day(crediting_start, "--crediting-start"), parse_day(crediting_end, "--crediting-end")
        reg = _registry(db)
        pid = OffsetService(reg).register(acting(reg, user, party), market, Project(
            standard, project_id, name, type, province, county, owner, start, end, frozenset(boundary_of), frozenset(tag)))
        emit({"project": pid}, as_json)

    run(go)


@app.command()
def issue(project_id: str = typer.Argument(...), vintage: int = typer.Option(...), quantity: str = typer.Option(...),
          standard: str = typer.Option("CCER"), key: str | None = typer.Option(None, "--key"),
          user: str | None = AsOpt, party: int | None = PartyOpt, db: str | None = DbOpt,
          as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Propose issuing a vintage of a project's credits (a second regulator approves with
    `openets registry approve`; then allocate them to the owner)."""

    def go() -> None:
        from openets.core.quantity import parse_tonnes
        from openets.services.offsets import OffsetService

        reg = _registry(db)
        txn = OffsetService(reg).propose_issue(acting(reg, user, party), standard, project_id, vintage,
                                               parse_tonnes(quantity), key=key)
        emit({"txn": txn, "unit_class": f"{standard}:{project_id}:{vintage}", "status": "awaiting_approval"}, as_json)

    run(go)


def _registry(db: str | None):
    from openets.cli.common import clock, engine
    from openets.services.registry import RegistryService

    return RegistryService(engine(db), clock=clock())  # the market clock ($OPENETS_NOW), as every registry command
