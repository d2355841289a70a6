"""The national market's plan terms beyond the base ``compliance`` section (2021 onwards), as a typed
rule section ``plan`` and pure functions:

- a staged surrender (2021–2022: 95 % by 15 Nov 2023, 100 % by 31 Dec 2023);
- conditional borrowing from a later vintage (2021–2022: a company whose gap exceeds 10 % of its
  allocation may borrow at most 50 % of the gap from its 2023 allowances);
- a carry-over (banking) limit (2023–2024: 10,000 t + 1.5 × the net allowances sold 2019–2024);
- the emissions scope owed for (direct only, or direct + indirect: the national plans later dropped
  indirect emissions from the power obligation).

How a staged deadline is modelled: the base section's ``deadline`` is the last stage (100 %), so every
existing status, fine and list works from it unchanged; :func:`staged_status` adds the earlier stages:
a company that met the final deadline but missed an earlier stage is ``compliant_late`` (not ``compliant``),
and one behind an earlier stage that has passed is ``late`` before the final deadline."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from openets.compliance.core import Status, Surrendered, end_of, status
from openets.core.errors import DomainError
from openets.rules.fields import Fields, to_date
from openets.rules.loader import FieldError, RuleSet

SCOPES = ("direct", "direct_and_indirect")


@dataclass(frozen=True, slots=True)
class Stage:
    by: date  # end of this day (market zone), or the registry's closing hour
    share: Decimal  # of the obligation surrendered by then (cumulative)


@dataclass(frozen=True, slots=True)
class Borrowing:
    """Borrowing from ``from_vintage`` allowances when the gap (owed − allocation) is more than
    ``min_gap_share`` × allocation, up to ``max_share_of_gap`` × the gap (rounded down)."""

    from_vintage: int
    min_gap_share: Decimal
    max_share_of_gap: Decimal


@dataclass(frozen=True, slots=True)
class BankingLimit:
    """What may be carried over: ``base`` t + ``sold_multiple`` × the net allowances sold in
    ``sales_years`` (rounded down; net purchases count as zero sales)."""

    base: int
    sold_multiple: Decimal
    sales_years: tuple[int, int]


@dataclass(frozen=True, slots=True)
class PlanTerms:
    stages: tuple[Stage, ...] = ()  # empty: one deadline, the compliance section's
    borrowing: Borrowing | None = None  # None: no borrowing under this plan
    banking_limit: BankingLimit | None = None  # None: no limit stated
    scope: str = "direct_and_indirect"  # what the obligation counts
    status: str = ""  # where the values come from, what is unverified


def parse_plan_terms(rs: RuleSet, data: Mapping[str, Any]) -> PlanTerms | list[FieldError]:
    f = Fields(data)
    given: dict[str, Any] = {}
    if f.has("stages"):
        raw = data["stages"]
        stages = []
        for i, s in enumerate(raw if isinstance(raw, list) else [None]):
            by = to_date(s.get("by")) if isinstance(s, Mapping) else None
            share = Fields(s if isinstance(s, Mapping) else {}).decimal("share", None)
            if by is None or share is None or not Decimal(0) < share <= 1:
                f.error(f"stages.{i}", f"{s!r}: a stage is {{ by = date, share = 0 < share ≤ 1 }}")
                continue
            stages.append(Stage(by, share))
        if stages and (stages[-1].share != 1 or any(a.by >= b.by or a.share > b.share
                                                    for a, b in zip(stages, stages[1:], strict=False))):
            f.error("stages", "stages go forward in time, their shares never fall, and the last is 1 (the whole obligation)")
        given["stages"] = tuple(stages)
    if f.has("borrowing"):
        b = Fields(f.table("borrowing"), "borrowing.")
        vintage = b.integer("from_vintage", 0) if b.required("from_vintage") else 0
        low = b.decimal("min_gap_share", None) if b.required("min_gap_share") else None
        most = b.decimal("max_share_of_gap", None) if b.required("max_share_of_gap") else None
        f.errors.extend(b.errors)
        if low is not None and most is not None:
            if not (0 <= low and 0 < most <= 1):
                f.error("borrowing", "min_gap_share ≥ 0 and 0 < max_share_of_gap ≤ 1")
            given["borrowing"] = Borrowing(vintage, low, most)
    if f.has("banking_limit"):
        k = Fields(f.table("banking_limit"), "banking_limit.")
        base = k.integer("base", 0) if k.required("base") else 0
        multiple = k.decimal("sold_multiple", None) if k.required("sold_multiple") else None
        years = data["banking_limit"].get("sales_years") if isinstance(data["banking_limit"], Mapping) else None
        if not (isinstance(years, list) and len(years) == 2 and all(isinstance(y, int) for y in years)
                and years[0] <= years[1]):
            k.error("sales_years", f"{years!r} is not [first year, last year]")
        f.errors.extend(k.errors)
        if multiple is not None and isinstance(years, list) and len(years) == 2:
            given["banking_limit"] = BankingLimit(base, multiple, (int(years[0]), int(years[1])))
    if f.has("scope"):
        given["scope"] = f.one_of("scope", SCOPES, "direct_and_indirect")
    if f.has("status"):
        given["status"] = f.text("status", "")
    return f.errors or PlanTerms(**given)


# -- staged surrender ---------------------------------------------------------------------------

def stage_amounts(owed: int, stages: Iterable[Stage]) -> list[tuple[date, int]]:
    """Tonnes due by each stage: share × owed, a fraction of a tonne still owed (rounded up)."""
    return [(s.by, int((s.share * owed).to_integral_value(rounding=ROUND_CEILING))) for s in stages]


@dataclass(frozen=True, slots=True)
class StagedStatus:
    status: Status  # with the final stage as the deadline; its code adjusted for the earlier stages
    missed: tuple[tuple[date, int, int], ...]  # stages passed and not met: (by, due, surrendered by then)


def staged_status(*, owed: int | None, surrenders: Iterable[Surrendered], stages: tuple[Stage, ...],
                  order_deadline: datetime | None, now: datetime, closing: time | None = None,
                  covered: bool = True, excluded: bool = False, deadline: datetime | None = None) -> StagedStatus:
    """Status under a staged deadline (see the module's note). ``deadline``: the final deadline when
    the regulator extended the company's (the earlier stages stand)."""
    if not stages:
        raise DomainError("no_stages", "a staged status needs the plan's stages")
    events = sorted(surrenders, key=lambda s: s.at)
    final = deadline or end_of(stages[-1].by, closing)
    base = status(owed=owed, surrenders=events, deadline=final, order_deadline=order_deadline, now=now,
                  covered=covered, excluded=excluded)
    if owed is None or base.code in ("not_applicable", "excluded", "emissions_missing"):
        return StagedStatus(base, ())
    missed = []
    for by, due in stage_amounts(owed, stages[:-1]):
        end = end_of(by, closing)
        if end > now:
            continue
        done = sum(s.quantity for s in events if s.at <= end)
        if done < due:
            missed.append((by, due, done))
    code = base.code
    if missed and code == "compliant":
        code = "compliant_late"
    elif missed and code == "due":
        code = "late"  # behind a stage that has passed, before the final deadline
    return StagedStatus(Status(code, base.owed, base.surrendered, base.shortfall, base.at_deadline), tuple(missed))


# -- borrowing and banking ------------------------------------------------------------------------

def borrowable(owed: int, allocation: int, rule: Borrowing | None) -> int:
    """Tonnes of ``rule.from_vintage`` allowances a company may surrender for this period: with a gap
    (owed − allocation) above ``min_gap_share`` × allocation, at most ``max_share_of_gap`` × the gap,
    rounded down (a fraction is not lent); else 0. None (the plan allows none): 0."""
    if owed < 0 or allocation < 0:
        raise DomainError("value_negative", "an obligation and an allocation cannot be negative")
    gap = owed - allocation
    if rule is None or gap <= rule.min_gap_share * allocation:
        return 0
    return int((rule.max_share_of_gap * gap).to_integral_value(rounding=ROUND_FLOOR))


def net_sold(trades: Iterable[tuple[int, int]], years: tuple[int, int]) -> int:
    """Net allowances sold over ``years``: trades as (year, tonnes: sold positive, bought negative)."""
    first, last = years
    return sum(q for y, q in trades if first <= y <= last)


def carry_over_limit(net_sold_t: int, rule: BankingLimit) -> int:
    """base + multiple × net sales (rounded down); a net buyer (net sales ≤ 0) may carry ``base``."""
    return rule.base + int((rule.sold_multiple * max(0, net_sold_t)).to_integral_value(rounding=ROUND_FLOOR))


def carried_over(surplus: int, net_sold_t: int, rule: BankingLimit | None) -> int:
    """How much of a surplus after surrender carries into the next period (no limit: all of it)."""
    if surplus <= 0:
        return 0
    return surplus if rule is None else min(surplus, carry_over_limit(net_sold_t, rule))


def owed_emissions(direct: Decimal, indirect: Decimal, terms: PlanTerms) -> Decimal:
    """The emissions the obligation counts under the plan's scope."""
    return direct if terms.scope == "direct" else direct + indirect
