"""What the national market's law does to a company that fails to surrender or falsifies its data, as a
typed rule section ``sanctions`` and pure functions. The rule set governing an event is looked up by
its date: 碳排放权交易管理暂行条例 (国务院令第775号, in force 1 May 2024) for events from that day,
the 2021 Measures (碳排放权交易管理办法（试行）) before it.

- surrender, ``price_multiple`` (Decree 775 Art. 24): a multiple (a range the authority chooses in) ×
  the average price of the month before the deadline × each tonne not surrendered;
- surrender, ``fixed`` (the Measures): a fine in a range of yuan, whatever the shortfall;
- either: if not corrected, the shortfall deducted from next year's allocation;
- data quality (Decree 775): a multiple of the illegal gains, or a fixed range when there are none
  or they are below a threshold; if not corrected, next year's allocation cut by a share in a range."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from openets.compliance.core import fine
from openets.core.errors import DomainError
from openets.core.prices import yuan_text
from openets.rules.fields import Fields
from openets.rules.loader import FieldError, RuleSet

SURRENDER_FINES = ("price_multiple", "fixed")


@dataclass(frozen=True, slots=True)
class SurrenderSanction:
    kind: str  # price_multiple, fixed
    multiple: tuple[Decimal, Decimal] | None = None  # price_multiple: the range the authority chooses in
    default_multiple: Decimal | None = None  # stated in the data: what applies when no multiple is decided
    fixed_fen: tuple[int, int] | None = None  # fixed: the range of the fine
    deduct_next_year: bool = False  # the shortfall taken from next year's allocation if not corrected


@dataclass(frozen=True, slots=True)
class DataSanction:
    gains_multiple: tuple[Decimal, Decimal]  # × the illegal gains …
    gains_threshold_fen: int  # … when they are at least this; else (none, or below it):
    fixed_fen: tuple[int, int]  # a fine in this range
    individual_fen: tuple[int, int]  # the responsible individuals
    allocation_cut: tuple[Decimal, Decimal]  # next year's allocation cut by a share in this range if not corrected


@dataclass(frozen=True, slots=True)
class Sanctions:
    surrender: SurrenderSanction
    data_quality: DataSanction | None = None
    status: str = ""


def _fen_pair(f: Fields, key: str) -> tuple[int, int] | None:
    pair = f.decimal_pair(key)
    if pair is None:
        return None
    if any(x != x.to_integral_value() or x < 0 for x in pair) or pair[0] > pair[1]:
        f.error(key, f"{list(pair)} is not [low, high] in whole fen")
        return None
    return int(pair[0]), int(pair[1])


def _range(f: Fields, key: str) -> tuple[Decimal, Decimal] | None:
    pair = f.decimal_pair(key) if f.required(key) else None
    if pair is not None and pair[0] > pair[1]:
        f.error(key, "the low end is above the high end")
        return None
    return pair


def parse_sanctions(rs: RuleSet, data: Mapping[str, Any]) -> Sanctions | list[FieldError]:
    f = Fields(data)
    s = Fields(f.table("surrender"), "surrender.") if f.required("surrender") else Fields({}, "surrender.")
    kind = s.one_of("kind", SURRENDER_FINES, "price_multiple") if s.required("kind") else "price_multiple"
    given: dict[str, Any] = {"kind": kind, "deduct_next_year": s.boolean("deduct_next_year", False)}
    if kind == "price_multiple":
        given["multiple"] = _range(s, "multiple")
        default = s.decimal("default_multiple", None) if s.required("default_multiple") else None
        if default is not None and given["multiple"] is not None and not given["multiple"][0] <= default <= given["multiple"][1]:
            s.error("default_multiple", f"{default} is outside the range {given['multiple'][0]}–{given['multiple'][1]}")
        given["default_multiple"] = default
    else:
        given["fixed_fen"] = _fen_pair(s, "fixed_fen") if s.required("fixed_fen") else None
    f.errors.extend(s.errors)
    data_quality = None
    if f.has("data_quality"):
        d = Fields(f.table("data_quality"), "data_quality.")
        parts: dict[str, Any] = {"gains_multiple": _range(d, "gains_multiple"),
                 "gains_threshold_fen": d.integer("gains_threshold_fen", None) if d.required("gains_threshold_fen") else None,
                 "fixed_fen": _fen_pair(d, "fixed_fen") if d.required("fixed_fen") else None,
                 "individual_fen": _fen_pair(d, "individual_fen") if d.required("individual_fen") else None,
                 "allocation_cut": _range(d, "allocation_cut")}
        cut = parts["allocation_cut"]
        if isinstance(cut, tuple) and not (0 <= cut[0] and cut[1] <= 1):
            d.error("allocation_cut", "shares between 0 and 1")
        f.errors.extend(d.errors)
        if all(v is not None for v in parts.values()):
            data_quality = DataSanction(**parts)
    if f.errors:
        return f.errors
    return Sanctions(SurrenderSanction(**given), data_quality, str(data.get("status", "")))


# -- failure to surrender ---------------------------------------------------------------------------

def month_before(deadline: date) -> tuple[date, date]:
    """The month before the deadline (届满前一个月), as a window of days: from the day after the same day
    one month earlier (clamped to that month's end) to the deadline day. 31 Dec → 1–31 Dec; 15 Nov →
    16 Oct–15 Nov."""
    year, month = (deadline.year, deadline.month - 1) if deadline.month > 1 else (deadline.year - 1, 12)
    last = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(deadline.day, last)) + timedelta(days=1), deadline


@dataclass(frozen=True, slots=True)
class SurrenderFine:
    shortfall: int
    amount_fen: int
    multiple: Decimal | None
    basis: str


def surrender_fine(shortfall: int, rule: SurrenderSanction, *, price_fen: Decimal | None = None,
                   multiple: Decimal | None = None, amount_fen: int | None = None) -> SurrenderFine:
    """The fine for ``shortfall`` tonnes not surrendered. ``price_multiple``: multiple (the authority's
    choice inside the range; else the rule's stated default) × ``price_fen`` (the average price of
    :func:`month_before` the deadline, as the exchange certifies it) × shortfall, half up to the fen.
    ``fixed``: ``amount_fen`` as decided, inside the range (no default: the authority must decide it)."""
    if shortfall < 0:
        raise DomainError("value_negative", "a shortfall cannot be negative")
    if rule.kind == "fixed":
        assert rule.fixed_fen is not None
        low, high = rule.fixed_fen
        if amount_fen is None or not low <= amount_fen <= high:
            raise DomainError("fine_outside_range", f"the fine is decided between {yuan_text(low, grouped=True)} and "
                                                    f"{yuan_text(high, grouped=True)} yuan")
        return SurrenderFine(shortfall, amount_fen, None, f"fixed fine {yuan_text(amount_fen, grouped=True)} yuan for {shortfall:,} t")
    assert rule.multiple is not None and rule.default_multiple is not None
    if price_fen is None:
        raise DomainError("price_missing", "the average price of the month before the deadline is needed")
    m = rule.default_multiple if multiple is None else multiple
    amount = fine(shortfall, m, price_fen, low=rule.multiple[0], high=rule.multiple[1])
    return SurrenderFine(shortfall, amount, m, f"{m} × {yuan_text(price_fen)} yuan (average price of the month "
                                               f"before the deadline) × {shortfall:,} t")


def next_year_deduction(shortfall: int, corrected: int, rule: SurrenderSanction) -> int:
    """Tonnes deducted from next year's allocation: what is still missing after the correction ordered
    (``corrected``: tonnes surrendered since), where the rule deducts; else 0."""
    if not rule.deduct_next_year:
        return 0
    return max(0, shortfall - max(0, corrected))


# -- data quality -------------------------------------------------------------------------------

def data_fine(rule: DataSanction, *, gains_fen: int, multiple: Decimal | None = None,
              amount_fen: int | None = None) -> int:
    """With illegal gains of at least the threshold: ``multiple`` (in the range) × the gains, half up;
    with none or less: ``amount_fen`` as decided inside the fixed range. Neither has a default."""
    if gains_fen < 0:
        raise DomainError("value_negative", "illegal gains cannot be negative")
    if gains_fen >= rule.gains_threshold_fen:
        low, high = rule.gains_multiple
        if multiple is None or not low <= multiple <= high:
            raise DomainError("multiplier_outside_range", f"the multiple of the gains is decided between {low} and {high}")
        return int((multiple * gains_fen).to_integral_value(rounding=ROUND_HALF_UP))
    flo, fhi = rule.fixed_fen
    if amount_fen is None or not flo <= amount_fen <= fhi:
        raise DomainError("fine_outside_range", f"the fine is decided between {yuan_text(flo, grouped=True)} and "
                                                f"{yuan_text(fhi, grouped=True)} yuan")
    return amount_fen


def allocation_cut(next_allocation: int, share: Decimal, rule: DataSanction) -> int:
    """Tonnes cut from next year's allocation: share (decided in the range) × the allocation, half up."""
    low, high = rule.allocation_cut
    if not low <= share <= high:
        raise DomainError("share_outside_range", f"the cut is decided between {low:.0%} and {high:.0%}")
    if next_allocation < 0:
        raise DomainError("value_negative", "an allocation cannot be negative")
    return int((share * next_allocation).to_integral_value(rounding=ROUND_HALF_UP))


FALSIFICATION_KINDS = ("not_accounted", "major_defect", "falsified", "no_samples")  # what the article lists


@dataclass(frozen=True, slots=True)
class DataDecision:
    """A data-quality case decided: the company's fine, the responsible individuals' (None: none decided),
    and the share of next year's allocation cut (None: corrected, no cut)."""

    fine_fen: int
    individual_fen: int | None
    cut_share: Decimal | None
    basis: str


def data_sanction(rule: DataSanction, *, gains_fen: int, corrected: bool, multiple: Decimal | None = None,
                  amount_fen: int | None = None, individual_fen: int | None = None,
                  cut_share: Decimal | None = None) -> DataDecision:
    """A data-quality (falsification) case as the second regulator decides it, every figure inside the
    rule's range and none defaulted: the fine (:func:`data_fine`: ``multiple`` × the illegal gains at or
    above the threshold, else ``amount_fen`` in the fixed range); the individuals' fine if decided, in its
    range; and, where the company did not correct its data (``corrected`` False), the share of next year's
    allocation cut, in the rule's range (the tonnes follow from that allocation: :func:`allocation_cut`).
    A corrected case has no cut."""
    fine_fen = data_fine(rule, gains_fen=gains_fen, multiple=multiple, amount_fen=amount_fen)
    if gains_fen >= rule.gains_threshold_fen:
        words = f"{multiple} × illegal gains {yuan_text(gains_fen, grouped=True)} yuan = {yuan_text(fine_fen, grouped=True)} yuan"
    else:
        words = (f"illegal gains {yuan_text(gains_fen, grouped=True)} yuan, below {yuan_text(rule.gains_threshold_fen, grouped=True)}: "
                 f"fine {yuan_text(fine_fen, grouped=True)} yuan decided in the fixed range")
    if individual_fen is not None:
        ilo, ihi = rule.individual_fen
        if not ilo <= individual_fen <= ihi:
            raise DomainError("fine_outside_range", f"the individuals' fine is decided between {yuan_text(ilo, grouped=True)} "
                                                    f"and {yuan_text(ihi, grouped=True)} yuan")
        words += f"; responsible individuals {yuan_text(individual_fen, grouped=True)} yuan"
    if corrected:
        if cut_share is not None:
            raise DomainError("cut_when_corrected", "a corrected case has no allocation cut")
        return DataDecision(fine_fen, individual_fen, None, words + "; corrected: no allocation cut")
    low, high = rule.allocation_cut
    if cut_share is None or not low <= cut_share <= high:
        raise DomainError("share_outside_range", f"not corrected: the cut of next year's allocation is decided "
                                                 f"between {low:.0%} and {high:.0%}")
    return DataDecision(fine_fen, individual_fen, cut_share,
                        words + f"; not corrected: next year's allocation cut by {cut_share:.0%}")
