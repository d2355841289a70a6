"""Between a market's years: what its companies bank and, in the national market, the 2023–2024 plan's
carry-over limit (mechanisms.md §8.3: 10,000 t + 1.5 × the net allowances sold 2019–2024).

A company's allowances stay in its account after a year's surrender; the next year's surrender uses the
earlier vintages first (``run_surrender``). Where a vintage surrendered for a later year counts against an
account limit (``registry.checks.flex_key``: national vintages up to ``carry_over_until`` = 2024 surrendered
for 2025 on), the regulator grants each company its limit through ``FlexibilityService.grant_carry_over``
(its net sold read from the registry's transfers) at the start of the year after a year whose plan states
the limit, once the plan's sales years have ended (so the net sold is final; granted once — a later
year's grant reads the same record). The registry refuses a surrender beyond it (``within_flex_limit``);
what the plan does with the excess is not in the references (`?`): the units stay in the account,
unusable for later years. Within the 2023–2024 plan (2023 allowances for 2024) nothing is limited."""

from __future__ import annotations

from dataclasses import dataclass

from openets.core.errors import DomainError
from openets.registry.checks import flex_key
from openets.registry.model import UnitKind
from openets.rules.loader import RegistryRules
from openets.services import rulebook
from openets.services.flexibility import FlexibilityService
from openets.services.sim_queries import SimulationQueries
from openets.simulation.state import Market


def registry_rules(m: Market, year: int) -> RegistryRules | None:
    try:
        return m.svc.rulebook.lookup_at(m.spec.code, year, m.clock.now(), "registry").registry
    except DomainError as exc:
        if exc.code != "no_rule_set":
            raise
        return None


def grant_carry_over(prev: Market, m: Market) -> int:
    """At the start of ``m``'s year (the one after ``prev``'s): each company's carry-over limit granted under
    ``prev``'s plan where it states one, the registry counts vintages against it and its sales years have
    ended (module docstring). The tonnes granted (0: none due yet, or the market has no such limit)."""
    code, year, now = prev.spec.code, prev.spec.year, m.clock.now()
    try:
        rule = rulebook.plan_terms(m.svc.rulebook, code, year, now).banking_limit
    except DomainError as exc:
        if exc.code != "no_rule_set":
            raise
        return 0
    nxt = registry_rules(m, m.spec.year)
    if rule is None or nxt is None or nxt.carry_over_until is None:
        return 0
    if now.astimezone(m.svc.rulebook.market(code).timezone).date().year <= rule.sales_years[1]:
        return 0  # the net sold is not final yet: granted at a later year's start
    flex = FlexibilityService(m.svc)
    return sum(flex.grant_carry_over(m.r1, code, year, c.reg_id).quantity for c in m.companies)


@dataclass(frozen=True, slots=True)
class Carry:
    """A company's carry-over limit for surrenders of ``year`` (vintages up to ``until`` counting against
    it): granted (None: none granted, so none may be surrendered), used so far, and what is left."""

    until: int
    granted: int | None
    used: int

    @property
    def left(self) -> int:
        return max(0, (self.granted or 0) - self.used)


def limited_classes(m: Market, year: int, classes: dict[int, tuple[str, int]]) -> tuple[set[int], int | None]:
    """Of the market's allowance ``classes`` (id → (kind, vintage)), those a surrender for ``year`` counts
    against a carry-over limit, and that limit's last vintage (None: no such limit for ``year``)."""
    rules = registry_rules(m, year)
    if rules is None:
        return set(), None
    out, until = set(), None
    for uc, (kind, vintage) in classes.items():
        key = flex_key(UnitKind(kind), vintage, year, rules)
        if key is not None and key[0] == "carry_over":
            out.add(uc)
            until = key[1]
    return out, until


def carry(m: Market, until: int | None) -> dict[str, Carry]:
    """Each company's carry-over standing (``Carry``) for the limit of vintages up to ``until``."""
    if until is None:
        return {}
    flex = FlexibilityService(m.svc)
    out = {}
    for c in m.companies:
        got = [(lim.quantity, used) for lim, used in flex.standing(m.spec.code, c.reg_id)
               if lim.kind == "carry_over" and lim.year == until]
        out[c.reg_id] = Carry(until, got[0][0] if got else None, got[0][1] if got else 0)
    return out


@dataclass(frozen=True, slots=True)
class CarryOutcome:
    """At a year's end: the carry-over limits granted to the companies (t), used so far, and of the
    limited vintages they still hold what they may surrender for later years (``left``: per company the
    smaller of what it holds and its limit left) and what lies beyond that (``beyond``: stays in the account)."""

    limit: int = 0
    used: int = 0
    left: int = 0
    beyond: int = 0


def carry_outcome(m: Market, queries: SimulationQueries) -> CarryOutcome:
    """``CarryOutcome`` of ``m``'s year for the limit the year after it counts against (none: zeros)."""
    classes = {r.id: (r.kind, r.vintage) for r in queries.unit_classes()
               if r.market == m.spec.code and r.kind == UnitKind.ALLOWANCE.value}
    limited, until = limited_classes(m, m.spec.year + 1, classes)
    standing = carry(m, until)
    if not standing:
        return CarryOutcome()
    held: dict[int, int] = {}
    for p in queries.available_positions([c.account for c in m.companies]):
        if p.unit_class_id in limited and p.available > 0:
            held[p.account_id] = held.get(p.account_id, 0) + p.available
    limit = used = left = beyond = 0
    for c in m.companies:
        s = standing[c.reg_id]
        have = held.get(c.account, 0)
        limit, used = limit + (s.granted or 0), used + s.used
        left += min(have, s.left)
        beyond += have - min(have, s.left)
    return CarryOutcome(limit, used, left, beyond)
