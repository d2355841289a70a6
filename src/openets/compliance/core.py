"""Obligations, the working-day calendar, compliance status from events, penalties and rates.

Status is recomputed from the events every time (as the UK registry does), so a correction of
verified emissions after the deadline gives the right answer:
not_applicable → excluded → emissions_missing → (before the deadline) due or compliant →
(after it) compliant, late (inside the order period: Beijing orders compliance within 10 working
days of its order), compliant_late, non_compliant.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from openets.compliance.rules import DEFAULT_ROUNDING, ComplianceRules
from openets.core.clock import MARKET_TZ as TZ
from openets.core.errors import DomainError
from openets.core.prices import vwap
from openets.rules.calendar import is_working_day

ROUNDING = {"ceiling": ROUND_CEILING, "half_up": ROUND_HALF_UP}


# -- obligations ---------------------------------------------------------------------------------

def obligation(verified_emissions: Decimal, *, rounding: str = DEFAULT_ROUNDING) -> int:
    """Whole tonnes owed for the verified emissions; the market's rule says how to round
    (ceiling: a fraction of a tonne is still owed)."""
    if verified_emissions < 0:
        raise DomainError("value_negative", "verified emissions cannot be negative")
    try:
        return int(verified_emissions.to_integral_value(rounding=ROUNDING[rounding]))
    except KeyError:
        raise DomainError("rounding_unknown", f"unknown rounding {rounding!r}") from None


def unit_obligation(verified: int, free_allocation: int, *, gas: bool = False) -> int:
    """The national power market's rule per generating unit (国环规气候〔2020〕3号): a gas unit owes at most
    its free allocation, min(VE, allocation); any other unit its verified emissions. The gap cap is a
    company test, applied after this one (:func:`gap_capped`)."""
    return min(verified, free_allocation) if gas else verified


def gap_capped(owed: int, verified: int, allocation: int, share: Decimal | None) -> int:
    """The gap cap of 国环规气候〔2020〕3号, per covered company (重点排放单位): a company whose shortfall
    exceeds ``share`` of its verified emissions owes at most its free allocation plus that share,
    min(owed, allocation + share × VE) (a fraction of a tonne of the share rounds up). ``owed``: what it
    owes after the gas rule per unit; ``share``: the rule's (``company_gap_cap``, 20 %); None: no cap."""
    if share is None:
        return owed
    return min(owed, allocation + int((share * verified).to_integral_value(rounding=ROUND_CEILING)))


# -- calendar ------------------------------------------------------------------------------------

def add_working_days(start: date, n: int) -> date:
    """The n-th working day after ``start`` (Beijing: comply within 10 working days of the order); a
    year the holiday calendar does not know raises ``calendar_year_unknown`` (:mod:`openets.rules.calendar`)."""
    d, left = start, n
    while left > 0:
        d += timedelta(days=1)
        if is_working_day(d):
            left -= 1
    return d


def end_of(day: date, closing: time | None = None) -> datetime:
    """A deadline day's last moment in the markets' zone (or the registry's closing hour)."""
    if closing is None:
        return datetime.combine(day + timedelta(days=1), time(0), TZ) - timedelta(microseconds=1)
    return datetime.combine(day, closing, TZ)


def deadlines(rules: ComplianceRules) -> tuple[datetime, datetime | None]:
    """The deadline and the order deadline (None: none): end of day in the market's zone, or the
    registry's closing hour where the rules give one."""
    if rules.order_deadline is not None:
        order: datetime | None = end_of(rules.order_deadline, rules.closing_time)
    elif rules.order_working_days is not None and rules.order_issued is not None:
        order = end_of(add_working_days(rules.order_issued, rules.order_working_days), rules.closing_time)
    else:
        order = None
    return end_of(rules.deadline, rules.closing_time), order


# -- status ----------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Surrendered:
    at: datetime
    quantity: int  # a reversal is negative


@dataclass(frozen=True, slots=True)
class Status:
    code: str  # not_applicable, excluded, emissions_missing, due, compliant, late, compliant_late, non_compliant
    owed: int | None
    surrendered: int
    shortfall: int
    at_deadline: int = 0  # what was missing at the deadline itself (surrenders up to it, reversals included)

    @property
    def letter(self) -> str:
        """The EU/UK codes: A compliant, B must surrender, C must enter emissions. A late surrender
        keeps B (the EU code A means surrendered by the deadline; a late payer was not compliant)."""
        return {"compliant": "A", "compliant_late": "B", "due": "B", "late": "B", "non_compliant": "B",
                "emissions_missing": "C"}.get(self.code, "-")


def status(*, owed: int | None, surrenders: Iterable[Surrendered], deadline: datetime,
           order_deadline: datetime | None, now: datetime, covered: bool = True,
           excluded: bool = False) -> Status:
    events = sorted(surrenders, key=lambda s: s.at)
    done = sum(s.quantity for s in events if s.at <= now)
    if not covered:
        return Status("not_applicable", None, done, 0)
    if excluded:
        return Status("excluded", None, done, 0)
    if owed is None:
        return Status("emissions_missing", None, done, 0)
    shortfall = max(0, owed - done)
    by_deadline = sum(s.quantity for s in events if s.at <= min(deadline, now))
    lacked = max(0, owed - by_deadline)  # before the deadline: what is missing so far
    if by_deadline >= owed and done >= owed:  # in time, and not undone since by a reversal
        return Status("compliant", owed, done, 0)
    if now <= deadline:
        return Status("due", owed, done, shortfall, lacked)
    if shortfall == 0:
        return Status("compliant_late", owed, done, 0, lacked)
    if order_deadline is not None and now <= order_deadline:
        return Status("late", owed, done, shortfall, lacked)
    return Status("non_compliant", owed, done, shortfall, lacked)


# -- penalties and statistics -------------------------------------------------------------------------

def average_price(fills: Iterable[tuple[date, int, int]], start: date, end: date) -> Decimal:
    """The market average price (fen): volume-weighted, over trades (day, price fen, tonnes) in the
    window, rounded half up to the whole fen (a price is stated in fen: 5,066.67 → 5,067) before any
    fine multiplies it."""
    avg = vwap((p, q) for d, p, q in fills if start <= d <= end)
    if avg is None:
        raise DomainError("no_trades", f"no trades from {start} to {end} to set the fine's price")
    return avg.to_integral_value(rounding=ROUND_HALF_UP)


def fine(shortfall: int, multiplier: Decimal, price_fen: Decimal, *, low: Decimal, high: Decimal) -> int:
    """multiplier × market average price × missing tonnes, in fen (half up). Beijing: 3–5 ×."""
    if not low <= multiplier <= high:
        raise DomainError("multiplier_outside_range", f"the multiplier is set between {low} and {high}")
    return int((multiplier * price_fen * shortfall).to_integral_value(rounding=ROUND_HALF_UP))


@dataclass(frozen=True, slots=True)
class Rate:
    compliant: int
    covered: int

    @property
    def exact(self) -> Decimal:
        return Decimal(self.compliant) / Decimal(self.covered)

    def as_published(self, places: int = 0) -> str:
        """As a percentage, half up (Beijing 2016: 925/947 = 97.7 %, published as 98 %); no denominator: "-"."""
        if not self.covered:
            return "-"
        q = Decimal(1).scaleb(-places) if places else Decimal(1)
        return f"{(self.exact * 100).quantize(q, rounding=ROUND_HALF_UP)} %"


@dataclass(frozen=True, slots=True)
class Rates:
    """The compliance rates a regulator publishes, kept apart: ``on_time`` (companies that surrendered
    in full by the deadline: Beijing 2016's 98 % is 925/947 on time), ``final`` (on time or late, as
    things stand now) and ``quantity`` (tonnes surrendered, up to what each owes, over tonnes owed)."""

    on_time: Rate
    final: Rate
    quantity: Rate

    def as_published(self, places: int = 1) -> str:
        return (f"{self.on_time.as_published(places)} on time, {self.final.as_published(places)} final, "
                f"{self.quantity.as_published(places)} of tonnes")


def rates(statuses: Sequence[Status]) -> Rates:
    """Over the companies the market covers (not the excluded ones; one whose emissions are missing
    counts as covered and not compliant, owing nothing known)."""
    covered = [s for s in statuses if s.code not in ("not_applicable", "excluded")]
    owed = [s for s in covered if s.owed is not None]
    return Rates(Rate(sum(1 for s in covered if s.code == "compliant"), len(covered)),
                 Rate(sum(1 for s in covered if s.code in ("compliant", "compliant_late")), len(covered)),
                 Rate(sum(min(s.surrendered, s.owed or 0) for s in owed), sum(s.owed or 0 for s in owed)))
