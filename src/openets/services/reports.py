"""Emission reports stored, moved through their life cycle by the right people, each step in an
append-only audit trail; confirmed reports feed the allocation true-up (and later compliance)."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, select, update

from openets.allocation.plan import ProductionRow
from openets.core.actor import Actor, Role
from openets.core.clock import from_us, to_us
from openets.core.errors import DomainError, NotFound
from openets.mrv.documents import (
    EmissionReport,
    Finding,
    MonitoringPlan,
    Step,
    VerifierHistory,
    conflict_of_interest,
    sectors_named,
)
from openets.mrv.rules import MrvRules
from openets.services import rulebook
from openets.services.registry import RegistryService
from openets.storage import tables as t
from openets.storage.db import run_in_transaction


@dataclass(frozen=True, slots=True)
class ReportExport:
    """A report with its market, its source streams and its indirect emissions, as exported."""

    report: EmissionReport
    market: str
    streams: list[dict[str, Any]]
    indirect: Decimal


ROLE = {Role.COMPANY: "company", Role.VERIFIER: "verifier", Role.REGULATOR: "regulator"}
ROW_FIELDS = ("source_id", "sector", "output", "local_factor", "fuel", "capacity_mw", "cooling", "electricity_mwh",
              "heat_gj", "heat_supply_ratio", "load_factor", "category", "generation_mwh")


def export_stream(s: dict[str, Any]) -> dict[str, Any]:
    """A stored source stream in the one shape an export shows. A report filed from the workbook keeps
    every column; one filed as monthly activity with its factor per unit (the simulation's, the API's)
    keeps ``stream``, ``fuel``, ``monthly`` and ``tco2_per_unit``: its activity is the months' sum and
    its emissions that sum × the factor, rounded as reports display emissions (half-up to 0.01 t:
    ``mrv.accounting.display``)."""
    from openets.mrv.accounting import display

    monthly = [Decimal(str(x)) for x in s.get("monthly", [])]
    activity = s.get("activity", sum(monthly, Decimal(0)) if monthly else "")
    emissions = s.get("emissions")
    if emissions is None and monthly and s.get("tco2_per_unit") is not None:
        emissions = display(sum(monthly, Decimal(0)) * Decimal(str(s["tco2_per_unit"])))
    factors = dict(s.get("factors") or {})
    if not factors and s.get("tco2_per_unit") is not None:
        factors = {"tCO2 per unit": str(s["tco2_per_unit"])}
    return {"installation": s.get("installation", "—"), "stream": s.get("stream", s.get("stream_id", "—")),
            "kind": s.get("kind") or s.get("fuel") or "—", "activity": str(activity), "unit": s.get("unit", ""),
            "emissions": "" if emissions is None else str(emissions), "indirect": bool(s.get("indirect", False)),
            "factors": factors}


class ReportService:
    def __init__(self, registry: RegistryService, *, max_consecutive_years: int = 3) -> None:
        self.registry = registry
        self.engine = registry.engine
        self.max_consecutive_years = max_consecutive_years

    def _company_of(self, c: Connection, actor: Actor) -> str:
        reg_id = c.execute(select(t.parties.c.registration_id).where(t.parties.c.id == actor.party_id)).scalar()
        if not reg_id:
            raise DomainError("not_a_company", f"{actor.describe()} does not act for a registered company")
        return str(reg_id)

    def submit_workbook(self, actor: Actor, path: Path, *, market: str, year: int) -> int:
        """File a report workbook: computed, checked (data quality; the approved monitoring plan), stored.
        Findings of severity error refuse the filing; warnings go to the verifier with the report."""
        actor.require_may_act()
        from openets.mrv import quality
        from openets.mrv.accounting import display
        from openets.services.mrv import read_report

        report = read_report(path, year=year)
        with self.engine.connect() as c:
            company = self._company_of(c, actor)
        findings = list(report.findings)
        plans = PlanService(self.registry).approved_streams(market, company)
        if plans is not None:
            reported: dict[str, list[str]] = {}
            for s in report.streams:
                reported.setdefault(s.resolved.stream.installation, []).append(s.resolved.stream.stream_id)
            for inst in sorted(set(plans) | set(reported)):
                findings += quality.plan_consistency(f"installation {inst}", plans.get(inst, []), reported.get(inst, []))
        findings += self._plausibility(market, year, report)
        errors = [f for f in findings if f.severity == "error"]
        if errors:
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            raise DomainError("report_invalid", f"{Path(path).name}: {errors[0]}{more}")
        streams = [{"installation": s.resolved.stream.installation, "stream": s.resolved.stream.stream_id,
                    "kind": s.resolved.stream.kind, "activity": str(s.activity), "unit": s.resolved.stream.activity_unit,
                    "emissions": str(display(s.emissions)), "indirect": s.resolved.indirect,
                    "factors": s.resolved.factors} for s in report.streams]
        return self.submit(actor, market=market, year=year, emissions=report.direct, output=report.output,
                           indirect=report.indirect, streams=streams,
                           notes=[str(f) for f in findings])

    def _plausibility(self, market: str, year: int, report) -> list:
        """The company's intensity against its sector's plausible range (a rule as data), when the
        report's output is of one sector."""
        from openets.mrv import quality

        try:
            ranges = rulebook.mrv_rules(self.registry.rulebook, market, year, self.registry.clock.now()).intensity_ranges
        except DomainError:
            return []
        sectors = {o.get("sector") for o in report.output}
        if len(sectors) != 1 or next(iter(sectors)) not in ranges:
            return []
        sector = next(iter(sectors))
        col = "electricity_mwh" if sector == "power" else "output"
        produced = sum((Decimal(str(o.get(col, "0") or "0")) for o in report.output), Decimal(0))
        low, high = ranges[sector]
        return quality.intensity_range(f"{sector} output", report.direct, produced, low, high)

    def submit(self, actor: Actor, *, market: str, year: int, emissions: Decimal,
               output: list[dict[str, Any]], indirect: Decimal = Decimal(0),
               streams: list[dict[str, Any]] | None = None, notes: list[str] | None = None) -> int:
        """A company files its report for the year (production rows per unit or installation)."""
        actor.require_may_act()
        now = self.registry.clock.now()

        def work(c: Connection) -> int:
            company = self._company_of(c, actor)
            if actor.role is not Role.COMPANY:
                raise DomainError("not_authorised", "a report is filed by the company's representative")
            sectors_named(output, "output")  # refused when filed, not first at verification
            report = EmissionReport(company, year, emissions, output).apply(
                "submit", actor=actor.user, role="company", at=now)
            if c.execute(select(t.emission_reports.c.id).where(
                    t.emission_reports.c.market == market, t.emission_reports.c.company == company,
                    t.emission_reports.c.year == year)).first():
                raise DomainError("report_exists", f"{company} already filed its {year} report")
            rid = c.execute(insert(t.emission_reports).values(
                market=market, company=company, year=year, state=report.state, emissions=str(emissions),
                indirect=str(indirect), streams=json.dumps(streams or [], ensure_ascii=False, default=str),
                output=json.dumps(output, default=str), findings=json.dumps([["warning", n] for n in notes or []],
                                                                            ensure_ascii=False),
                statement="", determined=0,
            ).returning(t.emission_reports.c.id)).scalar_one()
            self._steps(c, rid, report.trail)
            return rid

        return run_in_transaction(self.engine, work)

    def assign(self, actor: Actor, report_id: int, verifier_org: str) -> None:
        """The regulator assigns a verifier organisation, after the conflict-of-interest check."""
        actor.require_may_act()
        def change(c: Connection, r: EmissionReport, market: str) -> EmissionReport:
            actor.require_regulator(market)
            reason = conflict_of_interest(self._history(c, verifier_org), r.company, r.year,
                                          max_consecutive=self.max_consecutive_years)
            if reason:
                raise DomainError("conflict_of_interest", reason)
            return r.assign(verifier_org, actor=actor.user, at=self.registry.clock.now())

        self._change(report_id, change)

    def step(self, actor: Actor, report_id: int, event: str, note: str = "") -> None:
        """start_verification (verifier), confirm (regulator), return (any of them, with a reason)."""
        actor.require_may_act()
        def change(c: Connection, r: EmissionReport, market: str) -> EmissionReport:
            if actor.role is Role.REGULATOR:
                actor.require_regulator(market)
            return r.apply(event, actor=actor.user, role=ROLE.get(actor.role, "other"), at=self.registry.clock.now(),
                           note=note, org=str(actor.party_id) if actor.role is Role.VERIFIER else None)

        self._change(report_id, change)

    def verify(self, actor: Actor, report_id: int, *, emissions: Decimal, output: list[dict[str, Any]],
               findings: list[Finding], statement: str) -> None:
        actor.require_may_act()
        def change(c: Connection, r: EmissionReport, market: str) -> EmissionReport:
            if actor.role is not Role.VERIFIER:
                raise DomainError("not_authorised", "only the assigned verifier verifies")
            return r.verify(actor=actor.user, at=self.registry.clock.now(), emissions=emissions, output=output,
                            findings=findings, statement=statement, org=str(actor.party_id))

        self._change(report_id, change)

    def sector_mixing(self, market: str, year: int, sector: str) -> list:
        """Within one benchmark sector NCV and carbon content are all measured or all default (the
        seed): each company's combustion factors, from its filed report, checked across the sector."""
        from openets.mrv import quality

        statuses: dict[str, str] = {}
        with self.engine.connect() as c:
            for r in c.execute(select(t.emission_reports).where(t.emission_reports.c.market == market,
                                                               t.emission_reports.c.year == year)):
                if sector not in {o.get("sector") for o in json.loads(r.output or "[]")}:
                    continue
                kinds = set()
                for st in json.loads(r.streams or "[]"):
                    for name in ("ncv", "carbon_content"):
                        text = st.get("factors", {}).get(name, "")
                        if text:
                            kinds.add("measured" if "(measured;" in text else "default")
                if kinds:
                    statuses[r.company] = "measured" if kinds == {"measured"} else \
                        "default" if kinds == {"default"} else "mixed"
        found = quality.mixed_factor_sources(sector, {k: v for k, v in statuses.items() if v != "mixed"})
        found += [quality.Finding("mixed_default_measured", "error", f"company {k}",
                                  "measured and default factors mixed within the company")
                  for k, v in sorted(statuses.items()) if v == "mixed"]
        return found

    def determine_missing(self, actor: Actor, *, market: str, year: int, company: str,
                          emissions: Decimal | None = None) -> int:
        """The regulator determines a company's emissions when its report is missing or rejected: the
        given value, or the market's rule (e.g. the highest of the last 3 years × 1.1)."""
        actor.require_may_act()
        actor.require_regulator(market)
        now = self.registry.clock.now()

        def work(c: Connection) -> int:
            row = c.execute(select(t.emission_reports).where(
                t.emission_reports.c.market == market, t.emission_reports.c.company == company,
                t.emission_reports.c.year == year)).first()
            value, rule = (emissions, "given by the regulator") if emissions is not None else \
                self._by_rule(c, market, year, company)
            if row is None:
                report = EmissionReport(company, year, Decimal(0), [])
                rid = c.execute(insert(t.emission_reports).values(
                    market=market, company=company, year=year, state="draft", emissions="0", indirect="0",
                    streams="[]", output="[]", findings="[]", statement="", determined=0,
                ).returning(t.emission_reports.c.id)).scalar_one()
            else:
                report, rid = self._load(c, row.id)[0], row.id
            after = report.determine(actor=actor.user, at=now, emissions=value, rule=rule)
            c.execute(update(t.emission_reports).where(t.emission_reports.c.id == rid).values(
                state=after.state, verified_emissions=str(value), determined=1))
            self._steps(c, rid, after.trail[len(report.trail):])
            return rid

        return run_in_transaction(self.engine, work)

    def _by_rule(self, c: Connection, market: str, year: int, company: str) -> tuple[Decimal, str]:
        rs = self.registry.rulebook.lookup_at(market, year, self.registry.clock.now(), "mrv")
        rule = rulebook.section(rs, "mrv", MrvRules).determination
        if rule is None or rule.method != "max_of_last":
            raise DomainError("rule_missing", f"{rs.document}: no determination rule; give the emissions")
        years, factor = rule.years, rule.factor
        past = [Decimal(r.verified_emissions) for r in c.execute(select(t.emission_reports.c.verified_emissions).where(
            t.emission_reports.c.market == market, t.emission_reports.c.company == company,
            t.emission_reports.c.year.between(year - years, year - 1),
            t.emission_reports.c.state.in_(["confirmed", "determined"])))]
        if not past:
            raise DomainError("history_missing", f"{company} has no confirmed emissions in the last {years} years: "
                                                 "give the emissions")
        return max(past) * factor, f"highest of the last {years} years × {factor} ({rs.document})"

    def determine(self, actor: Actor, report_id: int, *, emissions: Decimal, rule: str) -> None:
        actor.require_may_act()
        def change(c: Connection, r: EmissionReport, market: str) -> EmissionReport:
            actor.require_regulator(market)
            return r.determine(actor=actor.user, at=self.registry.clock.now(), emissions=emissions, rule=rule)

        self._change(report_id, change)

    def get(self, report_id: int) -> EmissionReport:
        with self.engine.connect() as c:
            return self._load(c, report_id)[0]

    def export_data(self, report_id: int) -> ReportExport:
        """What an export of the report shows (``openets.reports.mrv_report.write`` renders it)."""
        with self.engine.connect() as c:
            report, market = self._load(c, report_id)
            row = c.execute(select(t.emission_reports.c.streams, t.emission_reports.c.indirect).where(
                t.emission_reports.c.id == report_id)).one()
        return ReportExport(report, market, [export_stream(s) for s in json.loads(row.streams or "[]")],
                            Decimal(row.indirect))

    # -- storage ---------------------------------------------------------------------------------
    def _change(self, report_id: int, change) -> None:
        def work(c: Connection) -> None:
            before, market = self._load(c, report_id, lock=True)
            after = change(c, before, market)
            c.execute(update(t.emission_reports).where(t.emission_reports.c.id == report_id).values(
                state=after.state, verifier=after.verifier,
                verified_emissions=str(after.verified_emissions) if after.verified_emissions is not None else None,
                verified_output=json.dumps(after.verified_output, default=str) if after.verified_output is not None
                else None,
                findings=json.dumps([[f.severity, f.text] for f in after.findings], ensure_ascii=False),
                statement=after.statement, determined=int(after.determined)))
            self._steps(c, report_id, after.trail[len(before.trail):])

        run_in_transaction(self.engine, work)

    def _steps(self, c: Connection, report_id: int, steps: tuple[Step, ...]) -> None:
        if steps:
            c.execute(insert(t.report_steps), [{"report_id": report_id, "event": s.event, "actor": s.actor,
                                                "at_us": to_us(s.at), "note": s.note} for s in steps])

    def _load(self, c: Connection, report_id: int, lock: bool = False) -> tuple[EmissionReport, str]:
        q = select(t.emission_reports).where(t.emission_reports.c.id == report_id)
        if lock and c.dialect.name != "sqlite":
            q = q.with_for_update()
        r = c.execute(q).first()
        if r is None:
            raise NotFound("report", report_id)
        steps = tuple(Step(s.event, s.actor, from_us(s.at_us), s.note) for s in c.execute(
            select(t.report_steps).where(t.report_steps.c.report_id == report_id).order_by(t.report_steps.c.id)))
        report = EmissionReport(
            r.company, r.year, Decimal(r.emissions), json.loads(r.output), r.state, r.verifier,
            Decimal(r.verified_emissions) if r.verified_emissions is not None else None,
            json.loads(r.verified_output) if r.verified_output is not None else None,
            tuple(Finding(s, x) for s, x in json.loads(r.findings)), r.statement, bool(r.determined), steps)
        return report, r.market

    def _history(self, c: Connection, verifier: str) -> VerifierHistory:
        rel = c.execute(select(t.verifier_relations).where(t.verifier_relations.c.verifier == verifier)).all()
        years: dict[str, set[int]] = {}
        for r in c.execute(select(t.emission_reports.c.company, t.emission_reports.c.year).where(
                t.emission_reports.c.verifier == verifier,
                t.emission_reports.c.state.in_(["verified", "confirmed"]))):
            years.setdefault(r.company, set()).add(r.year)
        return VerifierHistory(verifier, frozenset(r.company for r in rel if r.kind == "consulted"),
                               frozenset(r.company for r in rel if r.kind == "related"),
                               {k: frozenset(v) for k, v in years.items()})

    def add_relation(self, actor: Actor, verifier: str, company: str, kind: str) -> None:
        actor.require_may_act()
        if kind not in ("consulted", "related"):
            raise DomainError("value_invalid", "a relation is 'consulted' or 'related'")
        if actor.role is not Role.REGULATOR:
            raise DomainError("not_authorised", "relations are recorded by a regulator")
        run_in_transaction(self.engine, lambda c: c.execute(insert(t.verifier_relations).values(
            verifier=verifier, company=company, kind=kind)))


class PlanService:
    """Monitoring plans (监测计划): filed by the company, approved by the regulator; a change is a new
    version. The approved plan is what a report is checked against."""

    def __init__(self, registry: RegistryService) -> None:
        self.registry = registry
        self.engine = registry.engine

    def submit(self, actor: Actor, *, market: str, installation: str, streams: list[str],
               detail: dict[str, str] | None = None) -> int:
        actor.require_may_act()
        now = self.registry.clock.now()

        def work(c: Connection) -> int:
            if actor.role is not Role.COMPANY:
                raise DomainError("not_authorised", "a monitoring plan is filed by the company's representative")
            company = ReportService(self.registry)._company_of(c, actor)
            if not streams or len(set(streams)) != len(streams):
                raise DomainError("streams_invalid", "a plan lists its source streams, each once")
            last = c.execute(select(t.monitoring_plans).where(
                t.monitoring_plans.c.market == market, t.monitoring_plans.c.company == company,
                t.monitoring_plans.c.installation == installation).order_by(t.monitoring_plans.c.version.desc())).first()
            if last is not None and last.state != "approved":
                raise DomainError("plan_pending", f"version {last.version} of this plan is still {last.state}")
            plan = MonitoringPlan(company, installation, (last.version + 1) if last else 1, tuple(streams),
                                  detail or {})
            plan = plan.apply("submit", actor=actor.user, role="company", at=now)
            pid = c.execute(insert(t.monitoring_plans).values(
                market=market, company=company, installation=installation, version=plan.version,
                streams=json.dumps(list(plan.streams)), detail=json.dumps(dict(plan.detail), ensure_ascii=False),
                state=plan.state).returning(t.monitoring_plans.c.id)).scalar_one()
            c.execute(insert(t.plan_steps), [{"plan_id": pid, "event": st.event, "actor": st.actor,
                                              "at_us": to_us(st.at), "note": st.note} for st in plan.trail])
            return pid

        return run_in_transaction(self.engine, work)

    def decide(self, actor: Actor, plan_id: int, event: str, note: str = "") -> str:
        actor.require_may_act()
        now = self.registry.clock.now()

        def work(c: Connection) -> str:
            r = c.execute(select(t.monitoring_plans).where(t.monitoring_plans.c.id == plan_id)).first()
            if r is None:
                raise NotFound("monitoring plan", plan_id)
            actor.require_regulator(r.market)
            plan = MonitoringPlan(r.company, r.installation, r.version, tuple(json.loads(r.streams)),
                                  json.loads(r.detail), r.state)
            after = plan.apply(event, actor=actor.user, role="regulator", at=now, note=note)
            c.execute(update(t.monitoring_plans).where(t.monitoring_plans.c.id == plan_id).values(state=after.state))
            st = after.trail[-1]
            c.execute(insert(t.plan_steps).values(plan_id=plan_id, event=st.event, actor=st.actor, at_us=to_us(st.at),
                                                  note=st.note))
            return after.state

        return run_in_transaction(self.engine, work)

    def approved_streams(self, market: str, company: str) -> dict[str, list[str]] | None:
        """Installation → streams of its latest approved plan (None: the company has no approved plan)."""
        with self.engine.connect() as c:
            rows = c.execute(select(t.monitoring_plans).where(
                t.monitoring_plans.c.market == market, t.monitoring_plans.c.company == company,
                t.monitoring_plans.c.state == "approved").order_by(t.monitoring_plans.c.version)).all()
        if not rows:
            return None
        return {r.installation: json.loads(r.streams) for r in rows}  # later versions overwrite earlier ones


class MrvConfirmedOutput:
    """The allocation true-up's source of confirmed actual output: production rows of confirmed
    reports (and none for a determined one: its allocation is clawed back in full)."""

    def __init__(self, engine) -> None:
        self.engine = engine

    def confirmed_output(self, market: str, year: int) -> list[ProductionRow]:
        rows = []
        with self.engine.connect() as c:
            for r in c.execute(select(t.emission_reports).where(
                    t.emission_reports.c.market == market, t.emission_reports.c.year == year,
                    t.emission_reports.c.state == "confirmed")):
                for i, out in enumerate(json.loads(r.verified_output or "[]")):
                    fields = {k: out[k] for k in ROW_FIELDS if k in out}
                    for k, v in fields.items():
                        if k not in ("source_id", "sector", "fuel", "cooling", "category"):
                            fields[k] = int(v) if k == "capacity_mw" else Decimal(str(v))
                    rows.append(replace(ProductionRow(f"report {r.id} row {i + 1}", r.company, "", ""), **fields))
        return rows

