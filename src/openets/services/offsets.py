"""Offset projects and their credits: a project registered by the regulator, credits of a vintage
issued as their own unit class (standard:project:vintage) and delivered to the owner; a company's
credit holdings turned into eligibility checks against its market's rule set."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, insert, select

from openets.core.actor import Actor
from openets.core.errors import DomainError, NotFound
from openets.offsets.eligibility import Credit, Verdict, check
from openets.offsets.issuance import refusal
from openets.offsets.rules import OffsetRules, for_year
from openets.registry.commands import Issue
from openets.registry.model import UnitKind
from openets.services import rulebook
from openets.services.queries import RegistryQueries
from openets.services.registry import RegistryService
from openets.storage import tables as t
from openets.storage.db import run_in_transaction

TYPES = ("rural_biogas", "forestry", "wind", "pv", "hydro", "inclusion", "methane", "other")


@dataclass(frozen=True, slots=True)
class Project:
    standard: str
    project_id: str
    name: str
    type: str
    province: str
    county: str
    owner_party: int
    crediting_start: date
    crediting_end: date
    boundary_of: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()
    methodology: str = ""


class OffsetService:
    def __init__(self, registry: RegistryService) -> None:
        self.registry = registry

    def register(self, actor: Actor, market: str, p: Project) -> int:
        actor.require_may_act()
        actor.require_regulator(market)
        if p.type not in TYPES:
            raise DomainError("value_invalid", f"unknown project type {p.type!r} (known: {', '.join(TYPES)})")
        if not (len(p.county) == 6 and p.county.isdigit() and p.county[:2] == p.province):
            raise DomainError("county_code_invalid", f"county {p.county!r} is not a GB/T 2260 code in province {p.province}")
        if p.crediting_end < p.crediting_start:
            raise DomainError("period_invalid", "the crediting period ends before it starts")

        def work(c: Connection) -> int:
            if c.execute(select(t.offset_projects.c.id).where(t.offset_projects.c.standard == p.standard,
                                                              t.offset_projects.c.project_id == p.project_id)).first():
                raise DomainError("project_exists", f"{p.standard} project {p.project_id} is registered")
            return c.execute(insert(t.offset_projects).values(
                standard=p.standard, project_id=p.project_id, name=p.name, type=p.type, methodology=p.methodology,
                province=p.province, county=p.county, owner_party=p.owner_party,
                crediting_start=p.crediting_start.isoformat(), crediting_end=p.crediting_end.isoformat(),
                boundary_of=";".join(sorted(p.boundary_of)), tags=";".join(sorted(p.tags)), market=market,
            ).returning(t.offset_projects.c.id)).scalar_one()

        return run_in_transaction(self.registry.engine, work)

    def project(self, standard: str, project_id: str) -> tuple[Project, str]:
        with self.registry.engine.connect() as c:
            r = c.execute(select(t.offset_projects).where(t.offset_projects.c.standard == standard,
                                                          t.offset_projects.c.project_id == project_id)).first()
        if r is None:
            raise NotFound("offset project", f"{standard}:{project_id}")
        return Project(r.standard, r.project_id, r.name, r.type, r.province, r.county, r.owner_party,
                       date.fromisoformat(r.crediting_start), date.fromisoformat(r.crediting_end),
                       frozenset(x for x in r.boundary_of.split(";") if x), frozenset(x for x in r.tags.split(";") if x),
                       r.methodology), r.market

    def propose_issue(self, actor: Actor, standard: str, project_id: str, vintage: int, quantity: int,
                      key: str | None = None) -> int:
        """Credits of a vintage as their own unit class, proposed for issuance into the market's
        issuance account (a second regulator approves; then they are allocated to the owner)."""
        actor.require_may_act()
        p, market = self.project(standard, project_id)
        today = self.registry.clock.now().astimezone(self.registry.rulebook.market(market).timezone).date()
        why = refusal(rulebook.issuance_suspensions(self.registry.rulebook), standard, p.tags, today)
        if why:
            raise DomainError("issuance_suspended", why)
        code = f"{standard}:{project_id}:{vintage}"
        try:
            uc = self.registry.unit_class(code)
        except NotFound:
            uc = self.registry.create_unit_class(actor, kind=UnitKind.OFFSET, market=market, vintage=vintage,
                                                 standard=standard, project_id=project_id, project_type=p.type,
                                                 location=p.county)
        rec = self.registry.one(actor, Issue(key=key, to_account=self.registry.account(f"{market}-ISSUANCE").id,
                                          unit_class=uc.id, quantity=quantity))
        return rec.id

    def eligibility(self, account: str, *, year: int, on: date, basis: int,
                    applied_on: date | None = None) -> list[Verdict]:
        """Every offset credit the account holds, checked against its market's rule set for ``year``."""
        acc = self.registry.account(account)
        with self.registry.engine.connect() as c:
            company = c.execute(select(t.parties.c.registration_id).where(t.parties.c.id == acc.party_id)).scalar()
            projects = {(r.standard, r.project_id): r for r in c.execute(select(t.offset_projects))}
            classes = {r.code: r for r in c.execute(select(t.unit_classes).where(t.unit_classes.c.kind == "offset"))}
        credits = []
        for b in RegistryQueries(self.registry.engine).balances(account):
            uc = classes.get(b.unit_class)
            if uc is None:
                continue
            pr = projects.get((uc.standard, uc.project_id))
            if pr is None:
                continue
            # the reductions of a vintage: that calendar year, within the crediting period
            start = max(date(uc.vintage, 1, 1), date.fromisoformat(pr.crediting_start))
            end = min(date(uc.vintage, 12, 31), date.fromisoformat(pr.crediting_end))
            credits.append(Credit(b.unit_class, uc.standard, uc.project_id, pr.type, pr.province, pr.county, start, end,
                                  b.available, frozenset(x for x in pr.boundary_of.split(";") if x),
                                  frozenset(x for x in pr.tags.split(";") if x), pr.methodology or ""))
        rules = rulebook.section(self.registry.rulebook.lookup(acc.market, year, on, "offsets"), "offsets", OffsetRules)
        covered: frozenset[str] = frozenset()
        if rules.exclude_covered:  # the market's covered companies: those holding one of its compliance accounts
            with self.registry.engine.connect() as c:
                covered = frozenset(r for r in c.execute(
                    select(t.parties.c.registration_id).join(t.accounts, t.accounts.c.party_id == t.parties.c.id)
                    .where(t.accounts.c.market == acc.market, t.accounts.c.type == "compliance")).scalars() if r)
        return check(credits, company or "", for_year(rules, year), basis=basis, applied_on=applied_on,
                     covered=covered)
