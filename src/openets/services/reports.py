"""Emission reports stored, moved through their life cycle by the right people, each step in an
append-only audit trail; confirmed reports feed the allocation true-up (and later compliance)."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert, select, update

from openets.allocation.plan import ProductionRow
from openets.core.actor import Actor, Role
from openets.core.errors import DomainError, NotFound
from openets.mrv.documents import EmissionReport, Finding, Step, VerifierHistory, conflict_of_interest
from openets.registry.engine import to_us
from openets.services.registry import RegistryService
from openets.storage import tables as t
from openets.storage.db import run_in_transaction
from openets.storage.registry_repo import from_us

ROLE = {Role.COMPANY: "company", Role.VERIFIER: "verifier", Role.REGULATOR: "regulator"}
ROW_FIELDS = ("source_id", "sector", "output", "local_factor", "fuel", "capacity_mw", "cooling", "electricity_mwh",
              "heat_gj", "heat_supply_ratio", "load_factor", "category")


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

    def submit(self, actor: Actor, *, market: str, year: int, emissions: Decimal,
               output: list[dict[str, Any]]) -> int:
        """A company files its report for the year (production rows per unit or installation)."""
        now = self.registry.clock.now()

        def work(c: Connection) -> int:
            company = self._company_of(c, actor)
            if actor.role is not Role.COMPANY:
                raise DomainError("not_authorised", "a report is filed by the company's representative")
            report = EmissionReport(company, year, emissions, output).apply(
                "submit", actor=actor.user, role="company", at=now)
            if c.execute(select(t.emission_reports.c.id).where(
                    t.emission_reports.c.market == market, t.emission_reports.c.company == company,
                    t.emission_reports.c.year == year)).first():
                raise DomainError("report_exists", f"{company} already filed its {year} report")
            rid = c.execute(insert(t.emission_reports).values(
                market=market, company=company, year=year, state=report.state, emissions=str(emissions),
                output=json.dumps(output, default=str), findings="[]", statement="", determined=0,
            ).returning(t.emission_reports.c.id)).scalar_one()
            self._steps(c, rid, report.trail)
            return rid

        return run_in_transaction(self.engine, work)

    def assign(self, actor: Actor, report_id: int, verifier_org: str) -> None:
        """The regulator assigns a verifier organisation, after the conflict-of-interest check."""
        def change(c: Connection, r: EmissionReport, market: str) -> EmissionReport:
            _regulator(actor, market)
            reason = conflict_of_interest(self._history(c, verifier_org), r.company, r.year,
                                          max_consecutive=self.max_consecutive_years)
            if reason:
                raise DomainError("conflict_of_interest", reason)
            return r.assign(verifier_org, actor=actor.user, at=self.registry.clock.now())

        self._change(report_id, change)

    def step(self, actor: Actor, report_id: int, event: str, note: str = "") -> None:
        """start_verification (verifier), confirm (regulator), return (any of them, with a reason)."""
        def change(c: Connection, r: EmissionReport, market: str) -> EmissionReport:
            if actor.role is Role.REGULATOR:
                _regulator(actor, market)
            return r.apply(event, actor=actor.user, role=ROLE.get(actor.role, "other"), at=self.registry.clock.now(),
                           note=note, org=str(actor.party_id) if actor.role is Role.VERIFIER else None)

        self._change(report_id, change)

    def verify(self, actor: Actor, report_id: int, *, emissions: Decimal, output: list[dict[str, Any]],
               findings: list[Finding], statement: str) -> None:
        def change(c: Connection, r: EmissionReport, market: str) -> EmissionReport:
            if actor.role is not Role.VERIFIER:
                raise DomainError("not_authorised", "only the assigned verifier verifies")
            return r.verify(actor=actor.user, at=self.registry.clock.now(), emissions=emissions, output=output,
                            findings=findings, statement=statement, org=str(actor.party_id))

        self._change(report_id, change)

    def determine(self, actor: Actor, report_id: int, *, emissions: Decimal, rule: str) -> None:
        def change(c: Connection, r: EmissionReport, market: str) -> EmissionReport:
            _regulator(actor, market)
            return r.determine(actor=actor.user, at=self.registry.clock.now(), emissions=emissions, rule=rule)

        self._change(report_id, change)

    def get(self, report_id: int) -> EmissionReport:
        with self.engine.connect() as c:
            return self._load(c, report_id)[0]

    # -- storage ---------------------------------------------------------------------------------
    def _change(self, report_id: int, change) -> None:  # type: ignore[no-untyped-def]
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
        if kind not in ("consulted", "related"):
            raise DomainError("value_invalid", "a relation is 'consulted' or 'related'")
        if actor.role is not Role.REGULATOR:
            raise DomainError("not_authorised", "relations are recorded by a regulator")
        run_in_transaction(self.engine, lambda c: c.execute(insert(t.verifier_relations).values(
            verifier=verifier, company=company, kind=kind)))


class MrvConfirmedOutput:
    """The allocation true-up's source of confirmed actual output: production rows of confirmed
    reports (and none for a determined one: its allocation is clawed back in full)."""

    def __init__(self, engine) -> None:  # type: ignore[no-untyped-def]
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


def _regulator(actor: Actor, market: str) -> None:
    if actor.role is not Role.REGULATOR or actor.market != market:
        raise DomainError("not_authorised", f"{actor.describe()} is not a regulator of {market}")
