"""Borrowing and carry-over limits per account, granted by a regulator from the plan's rule and then
enforced by the registry (``registry/checks.py``: ``within_flex_limit``).

- Borrowing (national 2021–2022, mechanisms §8.3): a company whose gap (owed − allocation) exceeds
  10 % of its allocation may surrender 2023 allowances for the year, at most 50 % of the gap
  (``compliance.plan.borrowable``). Granting refuses a company outside those conditions.
- Carry-over (national 2023–2024, mechanisms §8.3): allowances of vintages up to 2024 are usable for
  later years only up to 10,000 t + 1.5 × the net allowances the company sold 2019–2024
  (``compliance.plan.carry_over_limit``). The references do not say how the excess is treated (`?`):
  this registry refuses surrendering it for a later year (rather than cancelling it at a cut-off), so
  the units stay visible and a decision can still change; a company without a granted limit carries
  nothing over. Net sales: the registry's transfers of the market's allowances out of the company's
  accounts minus those into them, dated in the sales years (market zone)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError

from openets.compliance.plan import borrowable, carry_over_limit
from openets.core.actor import Actor
from openets.core.clock import MARKET_TZ, from_us, to_us
from openets.core.errors import DomainError, NotFound
from openets.registry.checks import flex_key
from openets.registry.model import UnitKind
from openets.services import rulebook
from openets.services.compliance import ComplianceService
from openets.services.registry import RegistryService
from openets.storage import tables as t
from openets.storage.db import run_in_transaction
from openets.storage.registry_repo import RegistryRepo


@dataclass(frozen=True, slots=True)
class Limit:
    company: str
    account: str
    kind: str  # borrowing, carry_over
    year: int
    quantity: int
    basis: str


KINDS = ("borrowing", "carry_over")


class FlexibilityService:
    def __init__(self, registry: RegistryService) -> None:
        self.registry = registry
        self.engine = registry.engine
        self.compliance = ComplianceService(registry)

    def _account(self, c: Connection, market: str, company: str) -> tuple[int, str, int]:
        p, a = t.parties, t.accounts
        row = c.execute(select(a.c.id, a.c.number, p.c.id.label("party")).join(p, p.c.id == a.c.party_id).where(
            p.c.registration_id == company, a.c.market == market, a.c.type == "compliance")).first()
        if row is None:
            raise NotFound("compliance account", f"{company} in {market}")
        return int(row.id), str(row.number), int(row.party)

    def _allocation(self, c: Connection, market: str, year: int, company: str) -> int:
        """The company's free allocation for the year: every issued run's figure added up — the
        pre-allocation plus the true-up (多退少补: a true-up row is the difference from what was issued
        before it, negative for a claw-back), or the one final allocation where a market allocates at once."""
        al, runs = t.allocations, t.allocation_runs
        got = [int(r.quantity) for r in c.execute(
            select(al.c.quantity).join(runs, runs.c.id == al.c.run_id).where(
                al.c.market == market, al.c.compliance_year == year, al.c.company == company,
                runs.c.status == "issued"))]
        if not got:
            raise DomainError("allocation_missing", f"{company} has no issued {market} allocation for {year}")
        return sum(got)

    def grant_borrowing(self, actor: Actor, market: str, year: int, company: str) -> Limit:
        """The borrowing the plan allows ``company`` for ``year`` (owed from its verified emissions, the
        allocation issued), recorded once; refused where the plan allows none or the gap is too small."""
        actor.require_may_act()
        actor.require_regulator(market)
        now = self.registry.clock.now()
        terms = rulebook.plan_terms(self.registry.rulebook, market, year, now)
        if terms.borrowing is None:
            raise DomainError("borrowing_not_allowed", f"the {market} plan for {year} allows no borrowing")
        owed = next((s.status.owed for s in self.compliance.statuses(market, year, now=now) if s.company == company), None)
        if owed is None:
            raise DomainError("emissions_missing", f"{company} has no verified {year} emissions: its gap is unknown")
        with self.engine.connect() as c:
            allocation = self._allocation(c, market, year, company)
        rule, gap = terms.borrowing, owed - allocation
        quantity = borrowable(owed, allocation, rule)
        if quantity == 0:
            raise DomainError("borrowing_not_allowed", f"{company}'s gap {gap:,} t is not above "
                              f"{rule.min_gap_share:%} of its allocation {allocation:,} t")
        basis = (f"gap {owed:,} − {allocation:,} = {gap:,} t > {rule.min_gap_share:%} of the allocation; at most "
                 f"{rule.max_share_of_gap:%} of it: {quantity:,} t of {rule.from_vintage} allowances")
        return self._record(actor, market, company, "borrowing", year, quantity, basis)

    def grant(self, actor: Actor, kind: str, market: str, year: int, company: str) -> Limit:
        """Grant ``company`` its ``kind`` limit (``borrowing`` for ``year``, or ``carry_over`` under the plan
        of ``year``) as the act of a regulator of ``market``: ``grant_borrowing`` / ``grant_carry_over``."""
        if kind == "borrowing":
            return self.grant_borrowing(actor, market, year, company)
        if kind == "carry_over":
            return self.grant_carry_over(actor, market, year, company)
        raise DomainError("kind_invalid", f"a limit is one of {', '.join(KINDS)}, not {kind!r}")

    def limits(self, number: str) -> list[Limit]:
        """The limits granted to the account ``number`` (kind, then year); NotFound for an unknown account."""
        a, p, fl = t.accounts, t.parties, t.flex_limits
        with self.engine.connect() as c:
            acc = c.execute(select(a.c.id, p.c.registration_id).join(p, p.c.id == a.c.party_id).where(
                a.c.number == number)).first()
            if acc is None:
                raise NotFound("account", number)
            rows = c.execute(select(fl.c.kind, fl.c.year, fl.c.quantity, fl.c.basis).where(
                fl.c.account_id == acc.id).order_by(fl.c.kind, fl.c.year)).all()
        return [Limit(str(acc.registration_id or ""), number, str(r.kind), int(r.year), int(r.quantity), str(r.basis))
                for r in rows]

    def standing(self, market: str, company: str) -> list[tuple[Limit, int]]:
        """Each limit granted to the company's compliance account in ``market`` with the tonnes its own
        surrenders not reversed have used of it so far (as the registry counts them: ``within_flex_limit``)."""
        now = self.registry.clock.now()
        with self.engine.connect() as c:
            account, number, _ = self._account(c, market, company)
            limits, rows = RegistryRepo(c).flex([account])
            basis = {(str(r.kind), int(r.year)): str(r.basis) for r in c.execute(
                select(t.flex_limits.c.kind, t.flex_limits.c.year, t.flex_limits.c.basis).where(
                    t.flex_limits.c.account_id == account))}
        used: dict[tuple[str, int], int] = {}
        for r in rows:
            if r.compliance_year is None:
                continue
            rules = self.registry.rulebook.lookup_at(str(r.market), int(r.compliance_year), now, "registry").registry
            key = flex_key(UnitKind(r.kind), int(r.vintage), int(r.compliance_year), rules)
            if key is not None:
                used[key] = used.get(key, 0) + int(r.quantity)
        return [(Limit(company, number, kind, year, quantity, basis.get((kind, year), "")), used.get((kind, year), 0))
                for (_, kind, year), quantity in sorted(limits.items())]

    def net_sold(self, market: str, company: str, years: tuple[int, int]) -> int:
        """Allowances of the market transferred out of the company's accounts minus into them, dated in
        ``years`` (market zone)."""
        p, a, tx, uc = t.parties, t.accounts, t.transactions, t.unit_classes
        with self.engine.connect() as c:
            mine = {r[0] for r in c.execute(select(a.c.id).join(p, p.c.id == a.c.party_id).where(
                p.c.registration_id == company, a.c.market == market))}
            if not mine:
                raise NotFound("company", company)
            rows = c.execute(select(tx.c.sender_id, tx.c.receiver_id, tx.c.quantity, tx.c.at_us)
                             .join(uc, uc.c.id == tx.c.unit_class_id).where(
                tx.c.type == "transfer", tx.c.status == "completed", uc.c.kind == "allowance", uc.c.market == market,
                (tx.c.sender_id.in_(sorted(mine)) | tx.c.receiver_id.in_(sorted(mine))))).all()
        first, last = date(years[0], 1, 1), date(years[1], 12, 31)
        total = 0
        for r in rows:
            if first <= from_us(r.at_us).astimezone(MARKET_TZ).date() <= last:
                total += (r.quantity if r.sender_id in mine else 0) - (r.quantity if r.receiver_id in mine else 0)
        return total

    def grant_carry_over(self, actor: Actor, market: str, year: int, company: str) -> Limit:
        """The carry-over limit of the plan for ``year`` (2023–2024: its banking limit), for the vintages
        up to the registry's ``carry_over_until`` surrendered for later years; recorded once."""
        actor.require_may_act()
        actor.require_regulator(market)
        now = self.registry.clock.now()
        rule = rulebook.plan_terms(self.registry.rulebook, market, year, now).banking_limit
        if rule is None:
            raise DomainError("carry_over_unlimited", f"the {market} plan for {year} states no carry-over limit")
        until = self.registry.rulebook.lookup_at(market, year + 1, now, "registry").registry.carry_over_until
        if until is None:
            raise DomainError("carry_over_unlimited", f"the {market} registry limits no carry-over after {year}")
        sold = self.net_sold(market, company, rule.sales_years)
        quantity = carry_over_limit(sold, rule)
        basis = (f"{rule.base:,} t + {rule.sold_multiple} × {max(0, sold):,} t net sold {rule.sales_years[0]}–"
                 f"{rule.sales_years[1]} = {quantity:,} t of vintages up to {until} for later years")
        return self._record(actor, market, company, "carry_over", until, quantity, basis)

    def _record(self, actor: Actor, market: str, company: str, kind: str, year: int, quantity: int,
                basis: str) -> Limit:
        def work(c: Connection) -> Limit:
            account, number, _ = self._account(c, market, company)
            fl = t.flex_limits
            have = c.execute(select(fl.c.quantity, fl.c.basis).where(fl.c.account_id == account, fl.c.kind == kind,
                                                                      fl.c.year == year)).first()
            if have is not None:  # granted once: the same answer again
                return Limit(company, number, kind, year, int(have.quantity), str(have.basis))
            c.execute(insert(fl).values(account_id=account, kind=kind, year=year, quantity=quantity, basis=basis,
                                        decided_by=actor.user, decided_us=to_us(self.registry.clock.now())))
            return Limit(company, number, kind, year, quantity, basis)

        try:
            return run_in_transaction(self.engine, work)
        except IntegrityError as exc:  # PostgreSQL: a concurrent grant of the same limit committed first
            if "flex_limit_once" not in str(exc.orig):
                raise
            return run_in_transaction(self.engine, work)  # it reads that grant: the same answer again
