"""Allocation methods, each a pure function of validated inputs. Results are ``Decimal`` tonnes;
:func:`to_tonnes` turns them into whole tonnes with the rounding the rule set names.

- benchmark: benchmark × local adjustment factor (≤ 1: a province may only be stricter) × output;
- power: electricity supplied × electricity benchmark × the correction factors of the unit's category
  (its factor table: cooling, heat-supply ratio, load factor for pure-condensing units, fuel calorific
  value) + heat supplied × heat benchmark;
- historical intensity (the steel method): mean intensity of the last N years × reduction
  coefficient^years × output;
- grandfathering: mean historical emissions × factor;
- auction share: part of a cap kept back for auction;
- benchmark derivation from sector data: output-weighted average, or the mean of the best X %.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

from openets.core.errors import DomainError

D = Decimal
ROUNDINGS = {"half_up": ROUND_HALF_UP, "floor": ROUND_FLOOR, "half_even": ROUND_HALF_EVEN, "ceiling": ROUND_CEILING}


def to_tonnes(value: Decimal, rounding: str = "half_up") -> int:
    """Whole tonnes. ``half_up`` is 四舍五入; ``floor`` never allocates a fraction not earned."""
    try:
        mode = ROUNDINGS[rounding]
    except KeyError:
        raise DomainError("rounding_unknown", f"unknown rounding {rounding!r} (known: {', '.join(ROUNDINGS)})") from None
    return int(value.to_integral_value(rounding=mode))


def _non_negative(name: str, value: Decimal) -> None:
    if value < 0:
        raise DomainError("value_negative", f"{name} cannot be negative ({value})")


def benchmark_allowance(benchmark: Decimal, output: Decimal, local_factor: Decimal = D(1)) -> Decimal:
    """benchmark (tCO2 per unit of output) × local adjustment factor × actual output."""
    _non_negative("benchmark", benchmark)
    _non_negative("output", output)
    if local_factor > 1:
        raise DomainError("local_factor_above_one",
                          f"a local adjustment factor may only make the benchmark stricter: {local_factor} > 1")
    if local_factor <= 0:
        raise DomainError("local_factor_invalid", f"a local adjustment factor is positive, got {local_factor}")
    return benchmark * local_factor * output


# -- power -------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class LoadPiece:
    """One piece of the load-factor correction, for load factors F ≥ ``minimum`` (down to the next
    piece): ``linear``: a + b × (c − 100 F); ``power``: a ^ (b − c × F); ``constant``: a."""

    minimum: Decimal
    kind: str
    a: Decimal
    b: Decimal = D(0)
    c: Decimal = D(0)

    def value(self, f: Decimal) -> Decimal:
        if self.kind == "constant":
            return self.a
        if self.kind == "linear":
            return self.a + self.b * (self.c - 100 * f)
        if self.kind == "power":
            return self.a ** (self.b - self.c * f)
        raise DomainError("load_piece_invalid", f"unknown load-factor formula {self.kind!r}")


@dataclass(frozen=True, slots=True)
class PowerFactors:
    """One category group's correction factors (the plans give them per category: 国环规气候〔2020〕3号
    has a coal heat factor of 1 − 0.22 × heat ratio and a gas one of 1 − 0.6 × heat ratio, cooling coal
    only, the load correction for conventional coal pure-condensing units only)."""

    code: str
    heat_ratio_coefficient: Decimal  # heat-supply factor = 1 − coefficient × heat-supply ratio
    cooling: Mapping[str, Decimal] | None = None  # cooling type → factor; None: no cooling correction (1)
    load: bool = False  # the load-factor correction applies (to pure-condensing units: no heat supplied)
    calorific: Mapping[str, Decimal] | None = None  # fuel calorific class → factor; None: no such correction,
    # empty: the correction applies but its values are not shipped (the user supplies them)
    status: str = ""


@dataclass(frozen=True, slots=True)
class PowerCategory:
    code: str
    name_zh: str
    name_en: str
    electricity: Decimal | None  # tCO2/MWh; None: not published, the user must supply it
    heat: Decimal | None  # tCO2/GJ
    fuels: tuple[str, ...]
    min_mw: int | None = None  # capacity class: at least this …
    below_mw: int | None = None  # … and below this
    factors: str = ""  # the code of its factor table (PowerRules.factors)
    status: str = ""  # where the category (its name and boundaries) comes from; "unverified: …" if guessed


@dataclass(frozen=True, slots=True)
class PowerRules:
    categories: Mapping[str, PowerCategory]
    factors: Mapping[str, PowerFactors]  # factor table code → its factors
    load: tuple[LoadPiece, ...]  # highest minimum first
    # the electricity output the benchmark multiplies: "supply" (供电量, to 2022) or "generation" (发电量:
    # the 2023–2024 plan allocates on generation)
    output_basis: str = "supply"

    def category_for(self, fuel: str, capacity_mw: int) -> PowerCategory:
        for cat in self.categories.values():
            if fuel in cat.fuels and (cat.min_mw is None or capacity_mw >= cat.min_mw) \
                    and (cat.below_mw is None or capacity_mw < cat.below_mw):
                return cat
        raise DomainError("category_unknown", f"no benchmark category for a {capacity_mw} MW {fuel} unit")

    def factors_for(self, category: PowerCategory) -> PowerFactors:
        try:
            return self.factors[category.factors]
        except KeyError:
            raise DomainError("factors_missing", f"category {category.code}: no correction-factor table "
                                                 f"{category.factors!r} in the rule set") from None

    def load_factor_correction(self, load_factor: Decimal) -> Decimal:
        if not D(0) <= load_factor <= D(1):
            raise DomainError("load_factor_invalid", f"a load factor is between 0 and 1, got {load_factor}")
        for piece in self.load:
            if load_factor >= piece.minimum:
                return piece.value(load_factor)
        raise DomainError("load_piece_missing", f"no load-factor piece covers {load_factor}")


def load_rate(generation_mwh: Decimal, capacity_mw: Decimal, running_hours: Decimal) -> Decimal:
    """The load factor F of the plans: the load rate while running, generation ÷ (rated MW × running
    hours) — not the annual capacity factor (hours ÷ 8760), which also counts the hours it stood still."""
    if capacity_mw <= 0 or running_hours <= 0:
        raise DomainError("load_rate_invalid", f"a load rate needs a rated capacity and running hours "
                                               f"(got {capacity_mw} MW, {running_hours} h)")
    if running_hours > 8784:  # a leap year's hours
        raise DomainError("load_rate_invalid", f"{running_hours} running hours is more than a year has")
    _non_negative("generation", generation_mwh)
    f = generation_mwh / (capacity_mw * running_hours)
    if f > 1:
        raise DomainError("load_rate_invalid", f"{generation_mwh} MWh is more than {capacity_mw} MW can make "
                                               f"in {running_hours} h")
    return f


@dataclass(frozen=True, slots=True)
class PowerUnitOutput:
    """What one generating unit did in the year (or the base year, for pre-allocation)."""

    unit_id: str
    category: str
    cooling: str
    electricity_mwh: Decimal  # electricity supplied
    heat_gj: Decimal  # heat supplied
    heat_supply_ratio: Decimal  # heat supplied / (total energy output), 0..1
    load_factor: Decimal  # 0..1: the load rate while running (load_rate)
    calorific: str = ""  # its fuel's calorific class, where the category's factors correct for it
    generation_mwh: Decimal | None = None  # electricity generated, where the plan allocates on generation


@dataclass(frozen=True, slots=True)
class PowerAllowance:
    unit_id: str
    category: str
    electricity_part: Decimal
    heat_part: Decimal
    cooling_factor: Decimal
    heat_factor: Decimal
    load_factor_correction: Decimal
    calorific_factor: Decimal = D(1)

    @property
    def total(self) -> Decimal:
        return self.electricity_part + self.heat_part


def _cooling(unit: PowerUnitOutput, f: PowerFactors) -> Decimal:
    if f.cooling is None:
        return D(1)
    try:
        return f.cooling[unit.cooling]
    except KeyError:
        raise DomainError("cooling_unknown", f"unit {unit.unit_id}: unknown cooling {unit.cooling!r}") from None


def _calorific(unit: PowerUnitOutput, f: PowerFactors) -> Decimal:
    if f.calorific is None:
        return D(1)
    if not f.calorific:
        raise DomainError("calorific_factor_missing", f"unit {unit.unit_id}: the rule set's fuel calorific-value "
                                                      f"factors ({f.code}) are not shipped: supply them in a rule set file")
    try:
        return f.calorific[unit.calorific]
    except KeyError:
        raise DomainError("calorific_unknown", f"unit {unit.unit_id}: calorific class {unit.calorific!r} is not in "
                                               f"the rule set's table ({', '.join(f.calorific)})") from None


def power_allowance(unit: PowerUnitOutput, rules: PowerRules, local_factor: Decimal = D(1)) -> PowerAllowance:
    """supply (or generation, per the plan's ``output_basis``) × electricity benchmark × cooling ×
    heat-supply × load × calorific + heat × heat benchmark, each factor from the unit's category's table
    (1 where the table has no such correction)."""
    try:
        cat = rules.categories[unit.category]
    except KeyError:
        raise DomainError("category_unknown", f"unit {unit.unit_id}: unknown category {unit.category!r}") from None
    if cat.electricity is None or cat.heat is None:
        raise DomainError("benchmark_missing", f"category {cat.code} has no published benchmark: supply one")
    f = rules.factors_for(cat)
    cooling = _cooling(unit, f)
    if not D(0) <= unit.heat_supply_ratio <= D(1):
        raise DomainError("heat_ratio_invalid", f"unit {unit.unit_id}: heat-supply ratio {unit.heat_supply_ratio}")
    heat_factor = 1 - f.heat_ratio_coefficient * unit.heat_supply_ratio
    if not D(0) <= unit.load_factor <= D(1):  # checked for every unit, corrected for or not
        raise DomainError("load_factor_invalid", f"unit {unit.unit_id}: a load factor is between 0 and 1, got {unit.load_factor}")
    pure_condensing = unit.heat_gj == 0 and unit.heat_supply_ratio == 0
    load = rules.load_factor_correction(unit.load_factor) if f.load and pure_condensing else D(1)
    calorific = _calorific(unit, f)
    output = unit.electricity_mwh
    if rules.output_basis == "generation":
        if unit.generation_mwh is None:
            raise DomainError("generation_missing", f"unit {unit.unit_id}: the plan allocates on generation; "
                                                    "its electricity generated is not given")
        output = unit.generation_mwh
    electricity = (benchmark_allowance(cat.electricity, output, local_factor)
                   * cooling * heat_factor * load * calorific)
    heat = benchmark_allowance(cat.heat, unit.heat_gj, local_factor)
    return PowerAllowance(unit.unit_id, cat.code, electricity, heat, cooling, heat_factor, load, calorific)


# -- historical methods --------------------------------------------------------------------------

def historical_intensity_allowance(intensities: Sequence[Decimal], output: Decimal, *, coefficient: Decimal,
                                   years: int = 1, window: int = 3) -> Decimal:
    """Mean of the last ``window`` years' intensity (tCO2 per unit) × coefficient^years × output.

    The steel method: coefficient ≈ 0.99 for a 1 % cut a year. Its critique (鞭打快牛): a company
    that cut early has a low history and gets less."""
    if len(intensities) < window:
        raise DomainError("history_short", f"{window} years of intensity needed, {len(intensities)} given")
    for x in intensities:
        _non_negative("intensity", x)
    _non_negative("output", output)
    if not D(0) < coefficient <= D(1):
        raise DomainError("coefficient_invalid", f"a reduction coefficient is in (0, 1], got {coefficient}")
    recent = list(intensities)[-window:]
    return sum(recent, D(0)) / window * coefficient ** years * output


def grandfathering_allowance(emissions: Sequence[Decimal], factor: Decimal) -> Decimal:
    """Mean historical emissions × factor (e.g. a control factor below 1)."""
    if not emissions:
        raise DomainError("history_short", "historical emissions are needed")
    for x in emissions:
        _non_negative("emissions", x)
    _non_negative("factor", factor)
    return sum(emissions, D(0)) / len(emissions) * factor


def auction_share(cap: int, share: Decimal) -> tuple[int, int]:
    """(auctioned, free): the auctioned part rounded down, so free + auctioned = cap exactly."""
    if not D(0) <= share <= D(1):
        raise DomainError("share_invalid", f"an auction share is between 0 and 1, got {share}")
    auctioned = to_tonnes(D(cap) * share, "floor")
    return auctioned, cap - auctioned


# -- benchmark derivation -------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class SectorRecord:
    """One installation's data for deriving a benchmark."""

    installation: str
    output: Decimal
    emissions: Decimal
    data_source: str  # "measured" or "default": how its NCV and carbon content were obtained

    @property
    def intensity(self) -> Decimal:
        return self.emissions / self.output


def _checked(records: Sequence[SectorRecord]) -> list[SectorRecord]:
    if not records:
        raise DomainError("sector_empty", "no sector data")
    for r in records:
        if r.output <= 0:
            raise DomainError("output_invalid", f"{r.installation}: output must be positive")
        _non_negative(f"{r.installation} emissions", r.emissions)
    return list(records)


def weighted_average_benchmark(records: Sequence[SectorRecord]) -> Decimal:
    """Σ emissions / Σ output: the sector's average intensity."""
    rs = _checked(records)
    return sum((r.emissions for r in rs), D(0)) / sum((r.output for r in rs), D(0))


def best_percent_benchmark(records: Sequence[SectorRecord], percent: Decimal = D(10)) -> Decimal:
    """Mean intensity of the best ``percent`` % of installations (at least one), EU style."""
    rs = _checked(records)
    if not D(0) < percent <= D(100):
        raise DomainError("percent_invalid", f"a percentage is in (0, 100], got {percent}")
    ranked = sorted(rs, key=lambda r: (r.intensity, r.installation))
    n = max(1, to_tonnes(D(len(ranked)) * percent / 100, "floor"))
    return sum((r.intensity for r in ranked[:n]), D(0)) / n


def data_source_mixing(records: Sequence[SectorRecord]) -> list[str]:
    """Within one benchmark sector NCV and carbon content must be all measured or all default
    (the seed: never mixed). Returns the problems found, empty when consistent."""
    sources: dict[str, list[str]] = {}
    for r in records:
        sources.setdefault(r.data_source, []).append(r.installation)
    unknown = [s for s in sources if s not in ("measured", "default")]
    problems = [f"unknown data source {s!r} ({', '.join(sources[s])})" for s in unknown]
    if "measured" in sources and "default" in sources:
        problems.append(f"measured and default values mixed: measured {', '.join(sources['measured'])}; "
                        f"default {', '.join(sources['default'])}")
    return problems
