"""``openets mrv template | calc``: emission reports."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from openets.cli.common import AsOpt, CsvOpt, DbOpt, Failure, JsonOpt, PartyOpt, acting, console, emit, run
from openets.cli.output import csv_requested
from openets.core.prices import yuan_text

if TYPE_CHECKING:
    from openets.services.falsification import Finding

app = typer.Typer(no_args_is_help=True)


@app.command()
def template(out: Path = typer.Argument(..., help="Where to write the report workbook (.xlsx)."),
             as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
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
         as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Per-stream and total emissions with every factor used and its source; data-quality findings."""

    def go() -> None:
        from openets.mrv.accounting import display
        from openets.services.mrv import load_factors, read_report

        report = read_report(path, year=year, gwp_set=gwp, table=load_factors(factors) if factors else None)
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


def _reports(db: str | None):
    from openets.cli.common import engine
    from openets.services.registry import RegistryService
    from openets.services.reports import PlanService, ReportService

    reg = RegistryService(engine(db))
    return reg, ReportService(reg), PlanService(reg)


@app.command("plan-submit")
def plan_submit(market: str = typer.Option(...), installation: str = typer.Option(...),
                streams: str = typer.Option(..., help="Source stream ids, comma-separated."),
                user: str | None = AsOpt, party: int | None = PartyOpt, db: str | None = DbOpt,
                as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """File a monitoring plan (监测计划) for an installation; a new one after approval is a new version."""

    def go() -> None:
        reg, _, plans = _reports(db)
        pid = plans.submit(acting(reg, user, party), market=market, installation=installation,
                           streams=[s.strip() for s in streams.split(",") if s.strip()])
        emit({"plan": pid, "state": "submitted"}, as_json)

    run(go)


@app.command("plan-approve")
def plan_approve(plan_id: int = typer.Argument(..., metavar="PLAN"), reject: bool = False, note: str = "",
                 user: str | None = AsOpt, party: int | None = PartyOpt, db: str | None = DbOpt,
                 as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Approve (or --reject, returning it to draft) a monitoring plan (regulator)."""

    def go() -> None:
        reg, _, plans = _reports(db)
        state = plans.decide(acting(reg, user, party), plan_id, "return" if reject else "approve", note)
        emit({"plan": plan_id, "state": state}, as_json)

    run(go)


@app.command()
def submit(path: Path = typer.Argument(..., help="The report workbook."), market: str = typer.Option(...),
           year: int = typer.Option(...), user: str | None = AsOpt, party: int | None = PartyOpt,
           db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """File the year's report: computed, checked against the data-quality rules and the approved plan."""

    def go() -> None:
        reg, reports, _ = _reports(db)
        rid = reports.submit_workbook(acting(reg, user, party), path, market=market, year=year)
        emit({"report": rid, "state": "submitted"}, as_json)

    run(go)


@app.command()
def assign(report_id: int = typer.Argument(..., metavar="REPORT"), verifier: int = typer.Option(..., help="Verifier "
                                                                                                        "party id."),
           user: str | None = AsOpt, party: int | None = PartyOpt, db: str | None = DbOpt,
           as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Assign a verifier organisation (regulator), after the conflict-of-interest check."""

    def go() -> None:
        reg, reports, _ = _reports(db)
        reports.assign(acting(reg, user, party), report_id, str(verifier))
        emit({"report": report_id, "verifier": verifier}, as_json)

    run(go)


@app.command()
def verify(report_id: int = typer.Argument(..., metavar="REPORT"),
           emissions: str = typer.Option(..., help="Verified emissions, tCO2e (corrected if needed)."),
           finding: list[str] = typer.Option([], help="severity:text, e.g. major:March purchases missing"),
           statement: str = typer.Option(...), user: str | None = AsOpt, party: int | None = PartyOpt,
           db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """The assigned verifier's result: verified emissions (output as filed), findings, statement."""

    def go() -> None:
        from openets.core.numbers import MAX_TONNES, parse_decimal
        from openets.mrv.documents import parse_finding

        reg, reports, _ = _reports(db)
        actor = acting(reg, user, party)
        found = [parse_finding(f) for f in finding]
        value = parse_decimal(emissions, "emissions", minimum=0, maximum=MAX_TONNES)
        report = reports.get(report_id)
        if report.state == "submitted":
            reports.step(actor, report_id, "start_verification")
        reports.verify(actor, report_id, emissions=value, output=report.output, findings=found, statement=statement)
        emit({"report": report_id, "state": "verified", "verified_emissions": str(value)}, as_json)

    run(go)


@app.command()
def confirm(report_id: int = typer.Argument(..., metavar="REPORT"), send_back: bool = typer.Option(
                False, "--return", help="Send it back to the company instead."), note: str = "",
            user: str | None = AsOpt, party: int | None = PartyOpt, db: str | None = DbOpt,
            as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Confirm a verified report (regulator), or --return it."""

    def go() -> None:
        reg, reports, _ = _reports(db)
        reports.step(acting(reg, user, party), report_id, "return" if send_back else "confirm", note)
        emit({"report": report_id, "state": reports.get(report_id).state}, as_json)

    run(go)


@app.command()
def determine(company: str = typer.Option(..., help="Registration id of the company."),
              market: str = typer.Option(...), year: int = typer.Option(...),
              emissions: str | None = typer.Option(None, help="tCO2e; without it, the market's rule."),
              user: str | None = AsOpt, party: int | None = PartyOpt, db: str | None = DbOpt,
              as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Determine the emissions of a missing or rejected report (regulator), recorded as a determination."""

    def go() -> None:
        from openets.core.numbers import MAX_TONNES, parse_decimal

        reg, reports, _ = _reports(db)
        value = parse_decimal(emissions, "emissions", minimum=0, maximum=MAX_TONNES) if emissions is not None else None
        rid = reports.determine_missing(acting(reg, user, party), market=market, year=year,
                                        company=company, emissions=value)
        r = reports.get(rid)
        emit({"report": rid, "state": r.state, "emissions": str(r.verified_emissions)}, as_json)

    run(go)


@app.command()
def check(path: Path = typer.Argument(..., help="A report workbook."), year: int = typer.Option(...),
          as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Data-quality checks only (missing, duplicated, substituted months; jumps); exit 1 on errors."""

    def go() -> None:
        from openets.services.mrv import read_report

        findings = read_report(path, year=year).findings
        emit([{"severity": f.severity, "where": f.where, "check": f.check, "message": f.message} for f in findings],
             as_json, title="findings")
        errors = [f for f in findings if f.severity == "error"]
        if errors:
            raise Failure(f"{len(errors)} data-quality errors, first: {errors[0]}")

    run(go)


@app.command("check-sector")
def check_sector(market: str = typer.Option(...), year: int = typer.Option(...), sector: str = typer.Option(...),
                 db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Within one benchmark sector: all measured or all default NCV and carbon content; exit 1 if mixed."""

    def go() -> None:
        _, reports, _ = _reports(db)
        found = reports.sector_mixing(market, year, sector)
        emit([{"where": f.where, "message": f.message} for f in found], as_json, title=f"{sector} {year}")
        if found:
            raise Failure(f"{sector}: {found[0].message}")

    run(go)


@app.command()
def evidence(path: Path = typer.Argument(..., help="Uploads: unit, month, item, uploaded (月度信息化存证; empty "
                                                   "uploaded: not uploaded); CSV or Excel sheet 'evidence'."),
             market: str = typer.Option(...), year: int = typer.Option(..., help="The year of the months."),
             today: str | None = typer.Option(None, help="Judge as on this day (default: today); months not yet "
                                                         "due are not judged."),
             items: str | None = typer.Option(None, help="Only these items, comma-separated (of the rules')."),
             encoding: str = "utf-8-sig", as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Monthly evidence: each month's items due within the rules' window; late and missing months listed,
    exit 1 if any."""

    def go() -> None:
        from datetime import datetime, time

        from openets.core.clock import MARKET_TZ, parse_day
        from openets.services.evidence import check_uploads, read_uploads
        from openets.services.rulebook import default_rulebook

        day = parse_day(today, "--today") if today else datetime.now(MARKET_TZ).date()
        wanted = [i.strip() for i in items.split(",") if i.strip()] if items else []
        found = check_uploads(default_rulebook(), read_uploads(path, encoding=encoding), market=market, year=year,
                              today=day, moment=datetime.combine(day, time(12), MARKET_TZ), items=wanted)
        emit([{"where": f.where, "check": f.check, "message": f.message} for f in found], as_json,
             title=f"monthly evidence {market} {year}")
        if found:
            raise Failure(f"{len(found)} unit-month items late or missing, first: {found[0].where}: {found[0].message}")

    run(go)


@app.command("list")
def list_reports(market: str | None = typer.Option(None), year: int | None = typer.Option(None, min=2005, max=2100),
                 state: str | None = typer.Option(None, help="submitted, under_verification, verified, confirmed …"),
                 limit: int = typer.Option(200, min=1, max=100_000), user: str | None = AsOpt,
                 party: int | None = PartyOpt, db: str | None = DbOpt, as_json: bool = JsonOpt,
                 as_csv: bool = CsvOpt) -> None:
    """The reports you may see (a company its own, a verifier those assigned to it, a regulator its
    market's, an auditor all), with each company's name."""

    def go() -> None:
        from openets.core.actor import Role
        from openets.services.capability_queries import CapabilityQueries
        from openets.services.names import company_names, party_names

        reg, _, _ = _reports(db)
        me = acting(reg, user, party)
        mine = None if me.role in (Role.VERIFIER, Role.REGULATOR, Role.AUDITOR) else reg.registration_id(me.party_id)
        page = CapabilityQueries(reg.engine).reports_visible_to(me, mine, market=market, year=year, offset=0,
                                                                 limit=100_000)
        rows = [r for r in page.rows if state is None or r.state == state][:limit]
        names = company_names(reg.engine, (r.company for r in rows))
        verifiers = party_names(reg.engine, (int(r.verifier) for r in rows if r.verifier and r.verifier.isdigit()))
        emit([{"report": r.id, "market": r.market, "year": r.year, "company": r.company,
               "company_name": names.get(r.company, "—"), "state": r.state,
               "verifier": verifiers.get(int(r.verifier), (r.verifier,))[0] if r.verifier and r.verifier.isdigit()
               else (r.verifier or "—")} for r in rows], as_json, title=f"reports ({len(rows)} shown)")

    run(go)


@app.command()
def show(report_id: int = typer.Argument(..., metavar="REPORT"), user: str | None = AsOpt,
         party: int | None = PartyOpt, db: str | None = DbOpt, as_json: bool = JsonOpt,
                 as_csv: bool = CsvOpt) -> None:
    """One report as you may see it: emissions, state, verifier, findings and its trail."""

    def go() -> None:
        from openets.core.clock import MARKET_TZ
        from openets.core.errors import NotFound
        from openets.services.access import may_see_report
        from openets.services.capability_queries import CapabilityQueries
        from openets.services.names import company_names

        reg, reports, _ = _reports(db)
        me = acting(reg, user, party)
        head = CapabilityQueries(reg.engine).report_header(report_id)
        if head is None or not may_see_report(reg, me, market=head.market, company=head.company,
                                              verifier=head.verifier):
            raise NotFound("report", report_id)  # someone else's report looks like no report at all
        r = reports.get(report_id)
        out = {"report": report_id, "market": head.market, "year": r.year, "company": r.company,
               "company_name": company_names(reg.engine, [r.company]).get(r.company, "—"), "state": r.state,
               "emissions_t": str(r.emissions), "verified_emissions_t": None if r.verified_emissions is None
               else str(r.verified_emissions), "verifier": r.verifier, "statement": r.statement,
               "findings": [f"{f.severity}: {f.text}" for f in r.findings],
               "trail": [{"event": s.event, "actor": s.actor, "at": s.at.astimezone(MARKET_TZ).isoformat(
                   timespec="seconds"), "note": s.note} for s in r.trail]}
        if as_json:
            emit(out, True)
            return
        if csv_requested.get():  # one emit: the lists become their own blocks after a blank line and "# name"
            emit({**out, "findings": [{"finding": f} for f in out["findings"]]}, False)
            return
        emit([{"field": k, "value": v} for k, v in out.items() if k not in ("findings", "trail")], False,
             title=f"report {report_id}")
        emit([{"finding": f} for f in out["findings"]], False, title="findings")
        emit(out["trail"], False, title="trail")

    run(go)


@app.command()
def export(report_id: int = typer.Argument(..., metavar="REPORT"),
           out: Path = typer.Option(..., help=".html or .xlsx"), db: str | None = DbOpt,
           as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Export a report with its streams, factors, findings and audit trail."""

    def go() -> None:
        from openets.reports.mrv_report import write

        _, reports, _ = _reports(db)
        got = reports.export_data(report_id)
        emit({"export": str(write(out, got.report, market=got.market, streams=got.streams, indirect=got.indirect))},
             as_json)

    run(go)


def _falsification(db: str | None):
    from openets.cli.common import clock, engine
    from openets.services.falsification import FalsificationService
    from openets.services.registry import RegistryService

    reg = RegistryService(engine(db), clock=clock())
    return reg, FalsificationService(reg)


def _finding_row(f: Finding) -> dict[str, object]:
    return {"finding": f.id, "market": f.market, "company": f.company, "year": f.report_year, "kind": f.kind,
            "status": f.status, "found_by": f.found_by, "fine_yuan": None if f.fine_fen is None else yuan_text(f.fine_fen),
            "individuals_yuan": None if f.individual_fen is None else yuan_text(f.individual_fen),
            "cut_share": None if f.cut_share is None else str(f.cut_share), "cut_year": f.cut_year,
            "cut_t": f.cut_quantity, "decided_by": f.decided_by, "decision": f.decision, "basis": f.basis}


@app.command()
def falsification(market: str = typer.Option(...), company: str = typer.Option(..., help="Registration id."),
                  year: int = typer.Option(..., help="The report's year."),
                  kind: str = typer.Option(..., help="not_accounted, major_defect, falsified or no_samples."),
                  basis: str = typer.Option(..., help="What was found, and where."),
                  key: str | None = typer.Option(None, "--key", help="Idempotency key: a repeat with the same key "
                                                                     "answers the same finding, records no second."),
                  user: str | None = AsOpt, party: int | None = PartyOpt, db: str | None = DbOpt,
                  as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Record a data-quality finding against a company's report (regulator; Decree 775): decided by a
    second regulator with `mrv falsification-decide`."""

    def go() -> None:
        reg, svc = _falsification(db)
        emit(_finding_row(svc.record(acting(reg, user, party), market=market, company=company, year=year,
                                     kind=kind, basis=basis, key=key)), as_json)

    run(go)


@app.command("falsification-decide")
def falsification_decide(
        finding_id: int = typer.Argument(..., metavar="FINDING"),
        gains_yuan: str = typer.Option("0", "--gains-yuan", help="The illegal gains found (yuan; 0: none)."),
        multiple: str | None = typer.Option(None, help="× the gains, in the rule's range (gains at or above "
                                                       "its threshold)."),
        fine_yuan: str | None = typer.Option(None, "--fine-yuan", help="The fine in the rule's fixed range "
                                                                     "(gains none or below the threshold)."),
        individuals_yuan: str | None = typer.Option(None, "--individuals-yuan", help="The responsible individuals' fine."),
        corrected: bool = typer.Option(False, "--corrected", help="The company corrected its data: no cut."),
        cut: str | None = typer.Option(None, help="Not corrected: the share of next year's allocation cut "
                                                  "(e.g. 0.5 … 1)."),
        cut_year: int | None = typer.Option(None, "--cut-year", help="The allocation year cut (default: the "
                                                                     "report's year + 1)."),
        key: str | None = typer.Option(None, "--key", help="Idempotency key: a repeat with the same key answers "
                                                           "the same decision, decides nothing twice."),
        user: str | None = AsOpt, party: int | None = PartyOpt, db: str | None = DbOpt,
        as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """Decide a finding (a second regulator): the fine, the individuals' fine, and if not corrected the
    50–100 % cut of next year's allocation, applied when that year's allocation is issued."""

    def go() -> None:
        from openets.core.numbers import parse_decimal, parse_fen

        reg, svc = _falsification(db)
        got = svc.decide(
            acting(reg, user, party), finding_id, gains_fen=parse_fen(gains_yuan, "--gains-yuan"), corrected=corrected,
            multiple=parse_decimal(multiple, "--multiple", minimum=0, maximum=1000) if multiple is not None else None,
            amount_fen=parse_fen(fine_yuan, "--fine-yuan") if fine_yuan is not None else None,
            individual_fen=parse_fen(individuals_yuan, "--individuals-yuan") if individuals_yuan is not None else None,
            cut_share=parse_decimal(cut, "--cut", minimum=0, maximum=1) if cut is not None else None, cut_year=cut_year,
            key=key)
        emit(_finding_row(got), as_json)

    run(go)


@app.command()
def falsifications(market: str = typer.Option(...), company: str | None = typer.Option(None),
                   db: str | None = DbOpt, as_json: bool = JsonOpt, as_csv: bool = CsvOpt) -> None:
    """The market's data-quality findings, their decisions and the cuts applied."""

    def go() -> None:
        _, svc = _falsification(db)
        emit([_finding_row(f) for f in svc.findings(market, company)], as_json, title=f"{market} findings")

    run(go)
