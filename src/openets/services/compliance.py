"""Compliance status per company and year, recomputed from what the database holds: confirmed (or
determined) verified emissions, surrenders and their reversals, and the market's rule set."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Connection, select

from openets.allocation.runs import RunStatus
from openets.compliance.core import Rates, Status, Surrendered, end_of, rates, status
from openets.compliance.core import deadlines as rule_deadlines
from openets.compliance.obligations import company_obligation, count_offsets
from openets.compliance.penalties import deduction, fine_window, fines, fixed_fines, next_year_deduction
from openets.compliance.plan import PlanTerms, owed_emissions, staged_status
from openets.compliance.rules import ComplianceRules
from openets.core.actor import Actor
from openets.core.clock import MARKET_TZ, from_us
from openets.core.errors import DomainError, NotFound
from openets.core.ids import UnitClassId
from openets.offsets.rules import OffsetRules, offset_cap
from openets.registry.transactions import SURRENDER_TYPE_VALUES
from openets.services import rulebook, sanctioning
from openets.services.queries import available_positions
from openets.services.registry import RegistryService
from openets.storage import tables as t


@dataclass(frozen=True, slots=True)
class CompanyStatus:
    company: str
    status: Status


class ComplianceService:
    def __init__(self, registry: RegistryService) -> None:
        self.registry = registry
        self.engine = registry.engine

    def compliance_rules(self, market: str, year: int) -> ComplianceRules:
        """The compliance rules governing the year today (the market's calendar day)."""
        return rulebook.compliance_rules(self.registry.rulebook, market, year, self.registry.clock.now())

    def deadlines(self, market: str, year: int) -> tuple[datetime, datetime | None]:
        """The deadline and the order deadline (None: none): end of day in the market's zone, or the
        registry's closing hour where the rules give one (``closing_time = "17:00"``)."""
        return rule_deadlines(self.compliance_rules(market, year))

    def extend(self, actor: Actor, market: str, year: int, company: str, until: date, reason: str) -> datetime:
        """The regulator extends one company's deadline (recorded; the latest extension counts)."""
        actor.require_may_act()
        from sqlalchemy import insert

        from openets.core.clock import to_us
        from openets.storage.db import run_in_transaction

        actor.require_regulator(market)
        if not reason.strip():
            raise DomainError("reason_missing", "an extension states its reason")
        deadline, _ = self.deadlines(market, year)
        new = end_of(until)
        if new <= deadline:
            raise DomainError("extension_invalid", f"an extension ends after the deadline {deadline.date()}")
        with self.engine.connect() as c:
            if c.execute(select(t.parties.c.id).where(t.parties.c.registration_id == company)).first() is None:
                raise NotFound("company", company)
        run_in_transaction(self.engine, lambda c: c.execute(insert(t.deadline_extensions).values(
            market=market, compliance_year=year, company=company, until_us=to_us(new), reason=reason,
            decided_by=actor.user, decided_us=to_us(self.registry.clock.now()))))
        return new

    def deadline_for(self, market: str, year: int, company: str) -> datetime:
        """The company's own deadline: the year's, or its latest extension."""
        deadline, _ = self.deadlines(market, year)
        return self._extensions(market, year).get(company, deadline)

    def _extensions(self, market: str, year: int) -> dict[str, datetime]:
        with self.engine.connect() as c:
            return {r.company: from_us(r.until_us) for r in c.execute(select(t.deadline_extensions).where(
                t.deadline_extensions.c.market == market, t.deadline_extensions.c.compliance_year == year)
                .order_by(t.deadline_extensions.c.id))}

    def statuses(self, market: str, year: int, *, now: datetime | None = None,
                 company: str | None = None) -> list[CompanyStatus]:
        """Every company's status; ``company``: that company's alone (its own pages: one company's rows read)."""
        now = now or self.registry.clock.now()
        r = self.compliance_rules(market, year)
        deadline, order = rule_deadlines(r)
        extended = self._extensions(market, year)
        with self.engine.connect() as c:
            er = t.emission_reports  # the columns a status needs, not the reports' documents
            one_report = [] if company is None else [er.c.company == company]
            one_party = [] if company is None else [t.parties.c.registration_id == company]
            reports = {row.company: row for row in c.execute(select(
                er.c.company, er.c.state, er.c.verified_emissions, er.c.verified_output, er.c.indirect).where(
                er.c.market == market, er.c.year == year, *one_report))}
            covered = {row.registration_id for row in c.execute(
                select(t.parties.c.registration_id).join(t.accounts, t.accounts.c.party_id == t.parties.c.id).where(
                    t.accounts.c.market == market, t.accounts.c.type == "compliance", *one_party))}
            tx = t.transactions
            surrenders = c.execute(
                select(tx.c.id, tx.c.quantity, tx.c.at_us, t.parties.c.registration_id, t.unit_classes.c.kind)
                .join(t.accounts, t.accounts.c.id == tx.c.sender_id)
                .join(t.parties, t.parties.c.id == t.accounts.c.party_id)
                .join(t.unit_classes, t.unit_classes.c.id == tx.c.unit_class_id)
                .where(tx.c.type.in_(SURRENDER_TYPE_VALUES), tx.c.market == market, tx.c.compliance_year == year,
                       tx.c.status == "completed", *one_party)).all()
            reversed_at = {row.reverses_id: row.at_us for row in c.execute(
                select(tx.c.reverses_id, tx.c.at_us).where(tx.c.type == "reversal", tx.c.reverses_id.is_not(None),
                                                           tx.c.status == "completed"))}
        per: dict[str, list[tuple[Surrendered, bool]]] = {}
        for s in surrenders:
            offset = s.kind == "offset"
            per.setdefault(s.registration_id, []).append((Surrendered(from_us(s.at_us), s.quantity), offset))
            if s.id in reversed_at:  # a reversal takes the units back from its own moment on
                per[s.registration_id].append((Surrendered(from_us(reversed_at[s.id]), -s.quantity), offset))
        offset_rules = self._offset_rules(market, year)
        elsewhere = self._covered_elsewhere(market, year)
        unit_alloc = self._unit_allocations(market, year, r.gap_cap_sectors) if r.per_unit else {}
        terms = self.plan_terms(market, year)
        out = []
        for company in sorted(covered | set(reports)):
            rep = reports.get(company)
            owed = None
            if rep is not None and rep.state in ("confirmed", "determined") and rep.verified_emissions is not None:
                units = json.loads(rep.verified_output or "[]") if r.per_unit and rep.verified_output else []
                verified = Decimal(rep.verified_emissions)
                if terms is not None:  # the plan's scope: direct only, or with the reported indirect emissions
                    verified = owed_emissions(verified, Decimal(rep.indirect or 0), terms)
                owed = company_obligation(verified, r, units=units, allocation=unit_alloc.get(company, {}))
            events = self._count_offsets(per.get(company, []), offset_rules, market, year, company, owed)
            mine = extended.get(company, deadline)
            order_for, inside, away = (max(order, mine) if order else None), company in covered, company in elsewhere
            if terms is not None and terms.stages:  # a staged deadline (national 2021–2022): the last stage is ``mine``
                got = staged_status(owed=owed, surrenders=events, stages=terms.stages, order_deadline=order_for,
                                    now=now, closing=r.closing_time, covered=inside, excluded=away, deadline=mine).status
            else:
                got = status(owed=owed, surrenders=events, deadline=mine, order_deadline=order_for, now=now,
                             covered=inside, excluded=away)
            out.append(CompanyStatus(company, got))
        return out

    def plan_terms(self, market: str, year: int) -> PlanTerms | None:
        """The plan's terms (staged surrender, borrowing, banking limit, scope) governing the year today;
        None where the market's rule sets have none (the pilots, the national 2019–2020)."""
        try:
            return rulebook.plan_terms(self.registry.rulebook, market, year, self.registry.clock.now())
        except DomainError as exc:
            if exc.code == "no_rule_set":
                return None
            raise

    def _covered_elsewhere(self, market: str, year: int) -> set[str]:
        """Companies the other side covers for this year, excluded here (no double coverage), by the
        national rule ``takes_over`` (sectors, pilots): a pilot's company of those sectors with a national
        compliance account is the national market's — except, with ``pilot_keeps_allocated``
        (国环规气候〔2020〕3号, 2019–2020), in a year its pilot allocated to it: then it stays in the pilot
        and the national market does not require it for that year."""
        try:
            rule = self.compliance_rules("CEA", year).takes_over
        except DomainError:
            return set()
        if rule is None or (market != "CEA" and market not in rule.from_pilots):
            return set()
        p, a = t.parties, t.accounts
        with self.engine.connect() as c:
            national = {r[0] for r in c.execute(select(p.c.registration_id).join(a, a.c.party_id == p.c.id).where(
                a.c.market == "CEA", a.c.type == "compliance", p.c.sector.in_(sorted(rule.sectors))))}
            pilots = [market] if market != "CEA" else sorted(rule.from_pilots)
            here = {r[0] for r in c.execute(select(p.c.registration_id).join(a, a.c.party_id == p.c.id).where(
                a.c.market.in_(pilots), a.c.type == "compliance", p.c.sector.in_(sorted(rule.sectors))))}
            kept = self._allocated(c, pilots, year) if rule.pilot_keeps_allocated else set()
        both = here & national
        return both & kept if market == "CEA" else both - kept

    @staticmethod
    def _allocated(c: Connection, markets: list[str], year: int) -> set[str]:
        """Companies with an issued allocation for ``year`` in any of ``markets``."""
        al = t.allocations
        return {r[0] for r in c.execute(select(al.c.company).join(t.allocation_runs, t.allocation_runs.c.id == al.c.run_id)
                                        .where(al.c.market.in_(markets), al.c.compliance_year == year,
                                               t.allocation_runs.c.status == RunStatus.ISSUED.value, al.c.quantity > 0))}

    def _unit_allocations(self, market: str, year: int, sectors: frozenset[str]) -> dict[str, dict[str, Decimal]]:
        """Per company, each generating unit's free allocation for the year (the rows of ``sectors``, the
        rule set's ``gap_cap_sectors``): the true-up's final figures where there is one (its detail holds
        the final allocation), else the issued run's."""
        # a row states its allocation as ``exact`` (benchmark and verified-emissions runs) or ``final`` (an
        # intensity plan's true-up); a pre-allocation row states neither: a year with power and industry
        # (national 2025) has both kinds, and only the generating units' rows count per unit. The best run
        # is chosen among those holding the company's rows of ``sectors``: a company with power units and a
        # cement line allocated in two runs has its power run's units, whichever of the two ranks higher
        best: dict[str, tuple[int, dict[str, Decimal]]] = {}
        with self.engine.connect() as c:
            for x in c.execute(select(t.allocations.c.company, t.allocations.c.kind, t.allocations.c.detail,
                                      t.allocations.c.run_id)
                               .join(t.allocation_runs, t.allocation_runs.c.id == t.allocations.c.run_id)
                               .where(t.allocations.c.market == market, t.allocations.c.compliance_year == year,
                                      t.allocation_runs.c.status == RunStatus.ISSUED.value)
                               .order_by(t.allocations.c.run_id)):
                units = {str(d["source"]): Decimal(str(d.get("exact", d.get("final"))))
                         for d in json.loads(x.detail or "[]")
                         if ("exact" in d or "final" in d) and d.get("sector") in sectors}
                if not units:
                    continue
                rank = {"trueup": 2, "final": 1, "pre": 0}.get(x.kind, -1)
                if x.company not in best or rank >= best[x.company][0]:  # the same rank: the later run
                    best[x.company] = (rank, units)
        return {company: units for company, (_, units) in best.items()}

    def _offset_rules(self, market: str, year: int) -> OffsetRules | None:
        try:
            return rulebook.offset_rules(self.registry.rulebook, market, year, self.registry.clock.now())
        except DomainError:
            return None

    def _count_offsets(self, events: list[tuple[Surrendered, bool]], rules: OffsetRules | None, market: str,
                       year: int, company: str, owed: int | None) -> list[Surrendered]:
        """Offsets count, in the order surrendered, up to the market's cap (a share of the obligation or of
        the initial annual allocation), at its exchange rate; beyond the cap they do not count (the
        regulator reverses them). Without offset rules for the year, the registry's own limits apply."""
        if rules is None or not any(off for _, off in events):
            return [e for e, _ in events]
        if rules.cap_basis == "initial_allocation":
            from openets.services.allocation import AllocationService

            basis = AllocationService(self.registry).initial_allocation(market, year, company) or 0
        else:
            basis = owed or 0
        return count_offsets(events, offset_cap(basis, rules.cap_share), rules.exchange_rate)

    def public_data(self, market: str, year: int, *, now: datetime | None = None) -> list[dict[str, object]]:
        """Per company and year, what the EU Transaction Log publishes: allocation issued, verified
        emissions, units surrendered (of which offsets), and the compliance status."""
        from sqlalchemy import func

        statuses = self.statuses(market, year, now=now)
        tx, al = t.transactions, t.allocations
        with self.engine.connect() as c:
            allocated = dict(c.execute(select(al.c.company, func.sum(al.c.quantity)).join(
                t.allocation_runs, t.allocation_runs.c.id == al.c.run_id).where(
                al.c.market == market, al.c.compliance_year == year, t.allocation_runs.c.status == RunStatus.ISSUED.value)
                .group_by(al.c.company)).all())
            verified = {r.company: r.verified_emissions for r in c.execute(select(
                t.emission_reports.c.company, t.emission_reports.c.verified_emissions).where(
                t.emission_reports.c.market == market, t.emission_reports.c.year == year))}
            given: dict[str, list[int]] = {}
            for r in c.execute(select(t.parties.c.registration_id, t.unit_classes.c.kind, func.sum(tx.c.quantity))
                               .join(t.accounts, t.accounts.c.id == tx.c.sender_id)
                               .join(t.parties, t.parties.c.id == t.accounts.c.party_id)
                               .join(t.unit_classes, t.unit_classes.c.id == tx.c.unit_class_id)
                               .where(tx.c.type.in_(SURRENDER_TYPE_VALUES), tx.c.market == market, tx.c.compliance_year == year,
                                      tx.c.status == "completed")
                               .group_by(t.parties.c.registration_id, t.unit_classes.c.kind)):
                got = given.setdefault(r[0], [0, 0])
                got[1 if r[1] == "offset" else 0] += int(r[2])
            companies = [s.company for s in statuses]
            names = dict(c.execute(select(t.parties.c.registration_id, t.parties.c.name)
                                   .where(t.parties.c.registration_id.in_(companies))).all()) if companies else {}
            sites: dict[str, list[str]] = {}
            if companies:
                for reg_id, site in c.execute(select(t.parties.c.registration_id, t.installations.c.name)
                                              .join(t.installations, t.installations.c.party_id == t.parties.c.id)
                                              .where(t.parties.c.registration_id.in_(companies))
                                              .order_by(t.installations.c.id)):
                    sites.setdefault(reg_id, []).append(site)
        return [{"company": s.company, "name": names.get(s.company), "installations": "; ".join(sites.get(s.company, [])),
                 "allocated": int(allocated.get(s.company) or 0),
                 "verified_emissions": str(verified[s.company]) if verified.get(s.company) is not None else None,
                 "obligation": s.status.owed, "surrendered_allowances": given.get(s.company, [0, 0])[0],
                 "surrendered_offsets": given.get(s.company, [0, 0])[1], "status": s.status.code,
                 "shortfall": s.status.shortfall} for s in statuses]

    def rates(self, market: str, year: int, *, now: datetime | None = None) -> Rates:
        """On time, final and by quantity (:class:`Rates`)."""
        got = rates([s.status for s in self.statuses(market, year, now=now)])
        if not got.on_time.covered:
            raise DomainError("nothing_covered", f"no covered companies in {market} {year}")
        return got

    def year_summary(self, market: str, year: int, *, now: datetime | None = None
                     ) -> tuple[date | None, tuple[str, str, str] | None]:
        """The deadline (the market's calendar day) and the rates on time, final and by quantity as
        published, for an export's year sheet; None where the rules or the covered companies are missing."""
        try:
            deadline = self.deadlines(market, year)[0].astimezone(MARKET_TZ).date()
            r = self.rates(market, year, now=now)
        except DomainError:
            return None, None
        return deadline, (r.on_time.as_published(1), r.final.as_published(1), r.quantity.as_published(1))

    def rate(self, market: str, year: int, *, now: datetime | None = None) -> str:
        """The three rates as published, to 0.1 %."""
        return self.rates(market, year, now=now).as_published(1)


@dataclass(frozen=True, slots=True)
class Penalty:
    company: str
    kind: str  # fine, deduction (Shenzhen, from the account), next_year (owed against the next allocation), listed
    shortfall: int
    amount_fen: int
    basis: str


class Consequences:
    """What follows non-compliance, as the market's rules say (a regulator decides, after the order
    deadline): a fine of multiplier × market average price × missing tonnes, the price being the
    volume-weighted average of the market's own listed trades over the rule's window before the
    deadline; and an entry on the published list of non-compliant companies. Recorded once each."""

    def __init__(self, registry: RegistryService) -> None:
        self.registry = registry
        self.engine = registry.engine
        self.compliance = ComplianceService(registry)

    def average_price(self, market: str, year: int) -> tuple[Decimal, date, date]:
        """The fine's price (fen) and its window: the rule's months up to the deadline (or before its month)."""
        from openets.core.clock import MARKET_TZ

        r = self.compliance.compliance_rules(market, year)
        deadline, _ = rule_deadlines(r)
        start, end = fine_window(deadline.astimezone(MARKET_TZ).date(), r.fine_price_months, r.fine_price_window)
        return self.listed_average(market, start, end), start, end

    def listed_average(self, market: str, start: date, end: date) -> Decimal:
        """The volume-weighted average (fen, half up to the fen) of the market's listed allowance trades on
        the days start–end (market zone): the allowance price (配额), never an offset's (CCER and the
        like trade on the same exchange at their own prices). No such trade in the window: refused
        (``no_trades``) — no rule set states a fallback price."""
        from openets.compliance.core import average_price
        from openets.core.clock import MARKET_TZ

        tr, uc = t.trades, t.unit_classes
        with self.engine.connect() as c:
            fills = [(from_us(x.at_us).astimezone(MARKET_TZ).date(), x.price_fen, x.quantity) for x in c.execute(
                select(tr.c.at_us, tr.c.price_fen, tr.c.quantity).join(uc, uc.c.code == tr.c.instrument).where(
                    tr.c.market == market, tr.c.mode == "listed", uc.c.kind == "allowance"))]
        try:
            return average_price(fills, start, end)
        except DomainError as exc:
            if exc.code != "no_trades":
                raise
            raise DomainError("no_trades", f"no listed allowance trades in {market} from {start} to {end} to set "
                              "the fine's price (the rules state no other price)") from None

    def decide(self, actor: Actor, market: str, year: int, *, multiplier: Decimal | None = None,
               fixed_fen: int | None = None, now: datetime | None = None,
               certified_price_fen: Decimal | None = None) -> list[Penalty]:
        """The consequences the market's rules give, each recorded once per company and kind: a fine (a
        multiple of the average price per missing tonne, capped where the rules cap it, or a fixed
        amount), Shenzhen's deduction from the account, the shortfall (× the rules' multiple) owed against
        next year's allocation (national, Hubei), and the published list.

        ``certified_price_fen``: the national market's average price of the month before the deadline as
        the exchange certifies it (Decree 775; the Ningxia case: 98.00 yuan, certified by the Shanghai
        exchange), used instead of the listed trades recorded here — where none were (a registry that
        does not hold the whole market's trades), the fine cannot be priced without it (``no_trades``)."""
        actor.require_may_act()
        from sqlalchemy import insert

        from openets.core.clock import to_us
        from openets.storage.db import run_in_transaction

        actor.require_regulator(market)
        now = now or self.registry.clock.now()
        deadline, order = self.compliance.deadlines(market, year)
        if now <= (order or deadline):
            raise DomainError("too_early", f"consequences are decided after {(order or deadline).isoformat()}")
        r = self.compliance.compliance_rules(market, year)
        statuses = self.compliance.statuses(market, year, now=now)
        late = [s for s in statuses if s.status.code == "non_compliant"]
        out: list[Penalty] = []
        default = r.default_multiplier
        sanction = sanctioning.governing(self.registry.rulebook, market, year, deadline)
        if sanction is not None:  # the national market: the law in force on the deadline day (sanctioning.py)
            # the fine is for not surrendering in full by the deadline (Decree 775 Art. 24, the Measures
            # Art. 40): on what was missing then, also for a company that made it good later; only the
            # next-year deduction (below) is for what is still missing after the order to correct
            short_then = [(s.company, s.status.at_deadline) for s in statuses
                          if s.status.code in ("non_compliant", "compliant_late") and s.status.at_deadline > 0]
            certified = certified_price_fen
            note = "" if certified is None else "; the price as the exchange certified it"
            out.extend(Penalty(d.company, "fine", d.shortfall, d.amount_fen, d.basis + note)
                       for d in sanctioning.surrender_fines(
                           sanction, short_then, deadline,
                           (lambda a, b: self.listed_average(market, a, b)) if certified is None else (lambda a, b: certified),
                           r, multiplier=multiplier, fixed_fen=fixed_fen))
        elif r.fine_multiplier is not None and default is not None and late:
            price, start, end = self.average_price(market, year)
            out.extend(Penalty(f.company, "fine", f.shortfall, f.amount_fen, f.basis) for f in fines(
                [(s.company, s.status.shortfall) for s in late], price, (start, end), r.fine_multiplier, default,
                multiplier, r.fine_cap))
        fixed = r.default_fixed_fine
        if sanction is None and r.fine_fixed is not None and fixed is not None and late:
            out.extend(Penalty(f.company, "fine", f.shortfall, f.amount_fen, f.basis) for f in fixed_fines(
                [(s.company, s.status.shortfall) for s in late], r.fine_fixed, fixed, fixed_fen))
        for s in late:
            out.append(Penalty(s.company, "listed", s.status.shortfall, 0, "published list of non-compliant companies"))

        decided = out  # what follows from the statuses; a retried transaction starts again from it

        def work(c: Connection) -> list[Penalty]:
            out = list(decided)  # built inside: a retry of the transaction must not add its entries twice
            have = {(x.company, x.kind) for x in c.execute(select(t.penalties.c.company, t.penalties.c.kind).where(
                t.penalties.c.market == market, t.penalties.c.compliance_year == year))}
            if r.deduct_shortfall:
                out.extend(self._deduct(c, actor, market, year, [s for s in late if (s.company, "deduction") not in have],
                                        now))
            owe = r.next_year_deduction if sanction is None else (Decimal(1) if sanction.surrender.deduct_next_year else None)
            if owe is not None:  # the shortfall as it stands now: what was surrendered since the order is corrected
                out.extend(self._owe_next_year(c, market, year, owe,
                                               [s for s in late if (s.company, "next_year") not in have], now))
            new = [p for p in out if (p.company, p.kind) not in have]
            if new:
                c.execute(insert(t.penalties), [
                    {"market": market, "compliance_year": year, "company": p.company, "kind": p.kind,
                     "shortfall": p.shortfall, "amount_fen": p.amount_fen, "basis": p.basis,
                     "decided_by": actor.user, "decided_us": to_us(now)} for p in new])
            return new

        return run_in_transaction(self.engine, work)

    def _deduct(self, c: Connection, actor: Actor, market: str, year: int, late: list[CompanyStatus],
                now: datetime) -> list[Penalty]:
        """Shenzhen: the shortfall is deducted from the company's account (its available allowances of
        the market, vintages up to the year, by a forced surrender into the market's surrender account:
        out of circulation, journaled, the regulator as its actor), and what is still missing is owed
        against the next allocation (which withholds it: ``withhold_debts``)."""
        from sqlalchemy import insert

        from openets.core.clock import to_us
        from openets.registry.commands import ForcedSurrender
        from openets.services.registry import RegistrySession

        if not late:
            return []
        p, a, uc = t.parties, t.accounts, t.unit_classes
        runs = t.allocation_runs
        run_id = c.execute(select(runs.c.id).where(runs.c.market == market, runs.c.compliance_year == year,
                                                   runs.c.status == RunStatus.ISSUED.value).order_by(runs.c.id.desc())).scalar()
        session = RegistrySession(self.registry, c)
        out, debts = [], []
        for s in late:
            row = c.execute(select(p.c.id, a.c.id.label("account")).join(a, a.c.party_id == p.c.id).where(
                p.c.registration_id == s.company, a.c.market == market, a.c.type == "compliance")).first()
            if row is None:  # not reached: a non-compliant company is a covered one, which has this account
                _debt_recordable(market, s.company, s.status.shortfall, None)
                continue
            need = s.status.shortfall
            holdings = [(UnitClassId(h.unit_class_id), int(h.available)) for h in c.execute(
                available_positions(t.positions.c.account_id == row.account, uc.c.kind == "allowance", uc.c.market == market,
                                    uc.c.vintage <= year, join_classes=True).order_by(uc.c.vintage)).all()]
            takes, rest = deduction(holdings, need)
            for unit_class, take in takes:
                session.apply(actor, ForcedSurrender(from_account=row.account, unit_class=UnitClassId(unit_class),
                                                     quantity=take, compliance_year=year,
                                                     note=f"deduction: {year} shortfall"))
            taken = need - rest
            if rest:
                _debt_recordable(market, s.company, rest, row.id)
                debts.append({"kind": "owed", "run_id": run_id, "market": market, "compliance_year": year,
                              "company": s.company, "party_id": row.id, "quantity": rest, "created_us": to_us(now)})
            out.append(Penalty(s.company, "deduction", need, 0,
                               f"{taken:,} t deducted from the account; {rest:,} t withheld from the next allocation"))
        session.flush()
        if debts:
            c.execute(insert(t.allocation_debts), debts)
        return out

    def _owe_next_year(self, c: Connection, market: str, year: int, multiple: Decimal, late: list[CompanyStatus],
                       now: datetime) -> list[Penalty]:
        """The shortfall × ``multiple`` owed against next year's allocation (a ``nextyear`` debt, withheld
        by the next allocations issued until it is paid: ``AllocationService.issue``). Recorded against the
        year's issued allocation run, or with no run where the year had none (its allowances given by a
        plain transfer): the first run that withholds it links it to itself."""
        from sqlalchemy import insert

        from openets.core.clock import to_us

        p, a, runs = t.parties, t.accounts, t.allocation_runs
        run_id = c.execute(select(runs.c.id).where(runs.c.market == market, runs.c.compliance_year == year,
                                                   runs.c.status == RunStatus.ISSUED.value).order_by(runs.c.id.desc())).scalar()
        out, debts = [], []
        for s in late:
            party = c.execute(select(p.c.id).join(a, a.c.party_id == p.c.id).where(
                p.c.registration_id == s.company, a.c.market == market, a.c.type == "compliance")).scalar()
            owe = next_year_deduction(s.status.shortfall, multiple)
            if owe <= 0:
                continue
            _debt_recordable(market, s.company, owe, party)
            debts.append({"kind": "nextyear", "run_id": run_id, "market": market, "compliance_year": year,
                          "company": s.company, "party_id": party, "quantity": owe, "created_us": to_us(now)})
            out.append(Penalty(s.company, "next_year", s.status.shortfall, 0,
                               f"{multiple} × {s.status.shortfall:,} t = {owe:,} t deducted from the next allocation"
                               + ("" if run_id is not None else f" (no {market} {year} allocation run was issued: "
                                  "owed until the next run issued withholds it)")))
        if debts:
            c.execute(insert(t.allocation_debts), debts)
        return out

    def published(self, market: str, year: int) -> list[Penalty]:
        """The public list: every decided penalty of the market and year."""
        with self.engine.connect() as c:
            return [Penalty(x.company, x.kind, x.shortfall, x.amount_fen, x.basis) for x in c.execute(
                select(t.penalties).where(t.penalties.c.market == market, t.penalties.c.compliance_year == year)
                .order_by(t.penalties.c.company, t.penalties.c.kind))]


def _debt_recordable(market: str, company: str, owe: int, party: int | None) -> None:
    """A shortfall owed against the next allocation is recorded against the company's compliance account
    (the party that owes it): without one it cannot be recorded, and the whole decision is refused (never a
    deduction silently dropped). ``run_id``: the year's issued allocation run when there is one; a year
    whose allowances were given without a run (a plain transfer) records the debt with none, owed until
    the first allocation run that withholds it links it to itself (``AllocationService.issue``)."""
    if party is None:
        raise DomainError("account_missing", f"{company} has no {market} compliance account: the {owe:,} t owed "
                          "against its next allocation cannot be recorded; nothing was decided")
