"""Allocation methods, each a pure function of validated inputs. Results are ``Decimal`` tonnes;
:func:`to_tonnes` turns them into whole tonnes with the rounding the rule set names.

- benchmark: benchmark × local adjustment factor (≤ 1: a province may only be stricter) × output;
- power: electricity supplied × electricity benchmark × correction factors (cooling, heat-supply
  ratio, load factor) + heat supplied × heat benchmark, per unit category;
- historical intensity (the steel method): mean intensity of the last N years × reduction
  coefficient^years × output;
- grandfathering: mean historical emissions × factor;
- auction share: part of a cap kept back for auction;
- benchmark derivation from sector data: output-weighted average, or the mean of the best X %.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

from openets.core.errors import DomainError

D = Decimal
ROUNDINGS = {"half_up": ROUND_HALF_UP, "floor": ROUND_FLOOR, "half_even": ROUND_HALF_EVEN}


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
class PowerCategory:
    code: str
    name_zh: str
    name_en: str
    electricity: Decimal | None  # tCO2/MWh; None: not published, the user must supply it
    heat: Decimal | None  # tCO2/GJ
    fuels: tuple[str, ...]
    min_mw: int | None = None  # capacity class: at least this …
    below_mw: int | None = None  # … and below this


@dataclass(frozen=True, slots=True)
class PowerRules:
    categories: Mapping[str, PowerCategory]
    cooling: Mapping[str, Decimal]  # cooling type → factor
    heat_ratio_coefficient: Decimal  # heat-supply factor = 1 − coefficient × heat-supply ratio
    load: tuple[LoadPiece, ...]  # highest minimum first

    def category_for(self, fuel: str, capacity_mw: int) -> PowerCategory:
        for cat in self.categories.values():
            if fuel in cat.fuels and (cat.min_mw is None or capacity_mw >= cat.min_mw) \
                    and (cat.below_mw is None or capacity_mw < cat.below_mw):
                return cat
        raise DomainError("category_unknown", f"no benchmark category for a {capacity_mw} MW {fuel} unit")

    def load_factor_correction(self, load_factor: Decimal) -> Decimal:
        if not D(0) <= load_factor <= D(1):
            raise DomainError("load_factor_invalid", f"a load factor is between 0 and 1, got {load_factor}")
        for piece in self.load:
            if load_factor >= piece.minimum:
                return piece.value(load_factor)
        raise DomainError("load_piece_missing", f"no load-factor piece covers {load_factor}")


@dataclass(frozen=True, slots=True)
class PowerUnitOutput:
    """What one generating unit did in the year (or the base year, for pre-allocation)."""

    unit_id: str
    category: str
    cooling: str
    electricity_mwh: Decimal  # electricity supplied
    heat_gj: Decimal  # heat supplied
    heat_supply_ratio: Decimal  # heat supplied / (total energy output), 0..1
    load_factor: Decimal  # 0..1


@dataclass(frozen=True, slots=True)
class PowerAllowance:
    unit_id: str
    category: str
    electricity_part: Decimal
    heat_part: Decimal
    cooling_factor: Decimal
    heat_factor: Decimal
    load_factor_correction: Decimal

    @property
    def total(self) -> Decimal:
        return self.electricity_part + self.heat_part


def power_allowance(unit: PowerUnitOutput, rules: PowerRules, local_factor: Decimal = D(1)) -> PowerAllowance:
    try:
        cat = rules.categories[unit.category]
    except KeyError:
        raise DomainError("category_unknown", f"unit {unit.unit_id}: unknown category {unit.category!r}") from None
    if cat.electricity is None or cat.heat is None:
        raise DomainError("benchmark_missing", f"category {cat.code} has no published benchmark: supply one")
    try:
        cooling = rules.cooling[unit.cooling]
    except KeyError:
        raise DomainError("cooling_unknown", f"unit {unit.unit_id}: unknown cooling {unit.cooling!r}") from None
    if not D(0) <= unit.heat_supply_ratio <= D(1):
        raise DomainError("heat_ratio_invalid", f"unit {unit.unit_id}: heat-supply ratio {unit.heat_supply_ratio}")
    heat_factor = 1 - rules.heat_ratio_coefficient * unit.heat_supply_ratio
    load = rules.load_factor_correction(unit.load_factor)
    electricity = benchmark_allowance(cat.electricity, unit.electricity_mwh, local_factor) * cooling * heat_factor * load
    heat = benchmark_allowance(cat.heat, unit.heat_gj, local_factor)
    return PowerAllowance(unit.unit_id, cat.code, electricity, heat, cooling, heat_factor, load)


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
