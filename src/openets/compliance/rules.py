"""A rule set's ``compliance`` section as a typed record, parsed once when the rule book loads.

Each default is written here and nowhere else (the TOML files state a value only where a market's
rule differs from it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal
from typing import Any

from openets.core.prices import yuan_text
from openets.rules.fields import Fields
from openets.rules.loader import FieldError, RuleSet

ROUNDINGS = ("ceiling", "half_up")
# the fine's price window: the months up to the deadline day, to the day (Beijing), or the whole calendar
# months before the deadline's month (Shenzhen: the six months before the compliance month)
PRICE_WINDOWS = ("to_deadline", "months_before_deadline_month")
DEFAULT_ROUNDING = "ceiling"  # a fraction of a tonne is still owed, unless a rule set says otherwise


@dataclass(frozen=True, slots=True)
class TakesOver:
    """The national market covers these sectors of these pilots in the rule set's years. With
    ``pilot_keeps_allocated`` (国环规气候〔2020〕3号 for 2019–2020), a company its pilot allocated to
    for a year stays in the pilot for that year, and the national market does not require it then."""

    sectors: frozenset[str]
    from_pilots: frozenset[str]
    pilot_keeps_allocated: bool = False


@dataclass(frozen=True, slots=True)
class ComplianceRules:
    deadline: date  # the surrender deadline (end of day in the market's zone, or at ``closing_time``)
    closing_time: time | None = None  # the registry's closing hour on a deadline day
    order_deadline: date | None = None  # an order to comply by this day (Shenzhen) …
    order_working_days: int | None = None  # … or within so many working days of the order (Beijing) …
    order_issued: date | None = None  # … issued on this day (京发改[2017]850号: 16 June 2017)
    fine_multiplier: tuple[Decimal, Decimal] | None = None  # the range a regulator sets the fine's multiplier in
    # the multiplier used unless the regulator sets one for the case, and where it comes from (a rule set
    # with a range wider than one value must state both: a range's low end is not a silent default)
    fine_multiplier_default: Decimal | None = None
    fine_default_source: str = ""  # where the default multiplier or fixed fine comes from
    fine_fixed: tuple[int, int] | None = None  # fen: a fixed fine per company (national Measures 2020: 20,000–30,000 yuan)
    fine_fixed_default: int | None = None  # fen: the fixed fine unless the regulator sets one
    fine_cap: int | None = None  # fen: a fine is at most this (Hubei: 150,000 yuan)
    next_year_deduction: Decimal | None = None  # the shortfall × this is owed against next year's allocation
    fine_price_months: int = 6  # the fine's price: VWAP of the listed trades over these months …
    fine_price_window: str = "to_deadline"  # … up to the deadline day, or before the deadline's month
    deduct_shortfall: bool = False  # Shenzhen: the shortfall is taken from the account, the rest withheld
    rounding: str = DEFAULT_ROUNDING  # how verified emissions round to whole tonnes owed
    company_gap_cap: Decimal | None = None  # national power market: a company owes at most allocation + this share × VE
    gas_capped_at_allocation: bool = False  # national power market: a gas unit owes at most its allocation
    # the sectors whose units the gas rule and the gap cap cover (the power plans': ["power"]); a rule set
    # with either names them, and a company's other rows (steel, cement, aluminium) owe their emissions
    gap_cap_sectors: frozenset[str] = frozenset()
    takes_over: TakesOver | None = None

    @property
    def default_multiplier(self) -> tuple[Decimal, str] | None:
        """The multiplier a fine takes unless the regulator sets one, and its source (None: no fines)."""
        if self.fine_multiplier is None:
            return None
        if self.fine_multiplier_default is not None:
            return self.fine_multiplier_default, self.fine_default_source
        return self.fine_multiplier[0], "the rule's only multiple"  # a one-value range (the parser checks)

    @property
    def default_fixed_fine(self) -> tuple[int, str] | None:
        """The fixed fine (fen) unless the regulator sets one, and its source (None: no fixed fine)."""
        if self.fine_fixed is None:
            return None
        if self.fine_fixed_default is not None:
            return self.fine_fixed_default, self.fine_default_source
        return self.fine_fixed[0], "the rule's only amount"

    @property
    def per_unit(self) -> bool:
        """Whether the obligation needs the generating units' rows and allocations (the national power
        market: the gas rule per unit, then the gap cap per company)."""
        return self.company_gap_cap is not None or self.gas_capped_at_allocation


def parse_compliance_rules(rs: RuleSet, data: Mapping[str, Any]) -> ComplianceRules | list[FieldError]:
    f = Fields(data)
    deadline = f.date("deadline", None)
    if deadline is None and not f.has("deadline"):
        f.error("deadline", "missing")
    if f.has("unit_gap_cap"):  # the old name: the cap was applied per unit, which the plan does not say
        f.error("unit_gap_cap", "renamed company_gap_cap: the gap cap applies per covered company")
    takes_over = None
    if f.has("takes_over"):
        t = Fields(f.table("takes_over"), "takes_over.")
        takes_over = TakesOver(t.strings("sectors") or frozenset(), t.strings("from_pilots") or frozenset(),
                               t.boolean("pilot_keeps_allocated", False))
        f.errors.extend(t.errors)
    # only the fields the file states: the others keep the dataclass's defaults (the one place they live)
    given: dict[str, Any] = {"deadline": deadline or date.min, "takes_over": takes_over}
    if f.has("order_working_days") and not f.has("order_issued"):  # the days run from the order, not the deadline
        f.error("order_issued", "missing: order_working_days count from the day the order is issued")
    readers = {"closing_time": f.time, "order_deadline": f.date, "order_working_days": f.integer, "order_issued": f.date,
               "fine_price_months": f.integer, "company_gap_cap": f.decimal}
    for key, read in readers.items():
        if f.has(key):
            given[key] = read(key, None)
    for key in ("deduct_shortfall", "gas_capped_at_allocation"):
        if f.has(key):
            given[key] = f.boolean(key, False)
    if f.has("gap_cap_sectors"):
        given["gap_cap_sectors"] = f.strings("gap_cap_sectors")
    if (given.get("company_gap_cap") is not None or given.get("gas_capped_at_allocation")) and not given.get("gap_cap_sectors"):
        f.error("gap_cap_sectors", "missing: the sectors the gap cap and the gas rule cover (the power plans: "
                                   '["power"]); a company\'s rows of other sectors owe their verified emissions')
    if f.has("fine_multiplier"):
        given["fine_multiplier"] = f.decimal_pair("fine_multiplier")
    if f.has("fine_multiplier_default"):
        given["fine_multiplier_default"] = f.decimal("fine_multiplier_default", None)
        if not f.has("fine_default_source"):
            f.error("fine_default_source", "missing: where the default multiplier comes from (or 'unverified: …')")
    if f.has("fine_default_source"):
        given["fine_default_source"] = f.text("fine_default_source", "").strip()
    for key in ("fine_fixed", "fine_fixed_default", "fine_cap"):  # stated in yuan, kept in fen
        if f.has(key + "_yuan"):
            got = f.decimal_pair(key + "_yuan") if key == "fine_fixed" else f.decimal(key + "_yuan", None)
            if isinstance(got, tuple):
                given[key] = (int(got[0] * 100), int(got[1] * 100))
            elif got is not None:
                given[key] = int(got * 100)
    if f.has("fine_fixed_default_yuan") and not f.has("fine_default_source"):
        f.error("fine_default_source", "missing: where the default fine comes from (or 'unverified: …')")
    if f.has("next_year_deduction"):
        given["next_year_deduction"] = f.decimal("next_year_deduction", None)
    if f.has("fine_price_window"):
        given["fine_price_window"] = f.one_of("fine_price_window", PRICE_WINDOWS, "to_deadline")
    if f.has("rounding"):
        given["rounding"] = f.one_of("rounding", ROUNDINGS, DEFAULT_ROUNDING)
    given = {k: v for k, v in given.items() if v is not None or k in ("takes_over",)}
    rules = ComplianceRules(**given)
    rng, default = rules.fine_multiplier, rules.fine_multiplier_default
    if rng is not None and rng[0] > rng[1]:
        f.error("fine_multiplier", "the low end is above the high end")
    elif rng is not None and rng[0] < rng[1] and default is None:
        f.error("fine_multiplier_default", f"missing: the regulator chooses within {rng[0]}–{rng[1]} per case; "
                                           "state the default and its source")
    elif rng is not None and default is not None and not rng[0] <= default <= rng[1]:
        f.error("fine_multiplier_default", f"{default} is outside {rng[0]}–{rng[1]}")
    fixed, fixed_default = rules.fine_fixed, rules.fine_fixed_default
    if fixed is not None and rng is not None:
        f.error("fine_fixed_yuan", "a rule set fines by a multiple of the price or a fixed amount, not both")
    elif fixed is not None and fixed[0] < fixed[1] and fixed_default is None:
        f.error("fine_fixed_default_yuan", f"missing: the regulator chooses within {yuan_text(fixed[0], grouped=True)}–"
                                           f"{yuan_text(fixed[1], grouped=True)} yuan per case; state the default and its source")
    elif fixed is not None and fixed_default is not None and not fixed[0] <= fixed_default <= fixed[1]:
        f.error("fine_fixed_default_yuan", "outside the fixed fine's range")
    if not 1 <= rules.fine_price_months <= 12:
        f.error("fine_price_months", f"{rules.fine_price_months} is not 1 to 12 months")
    return f.errors or rules
