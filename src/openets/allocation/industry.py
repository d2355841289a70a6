"""Steel, cement and aluminium in the national market (2024–2025, mechanisms.md §8.4), as a typed rule
section ``industry`` and pure functions:

- 2024 (``verified_emissions``): allowances = the unit's verified 2024 emissions;
- 2025 (``intensity``): allowances = the sector's benchmark × the unit's actual output (no absolute
  cap), pre-allocated at ``pre_allocation_share`` (70 %) of the previous year's verified emissions,
  then trued up (多退少补) to the final figure.

The 2025 benchmarks are not in the references (`?`): a sector without one needs a user's value, and
says so, never a silent default."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from openets.allocation.methods import to_tonnes
from openets.core.errors import DomainError
from openets.rules.fields import Fields
from openets.rules.loader import FieldError, RuleSet

METHODS = ("verified_emissions", "intensity")


@dataclass(frozen=True, slots=True)
class IndustrySector:
    code: str  # steel, cement, aluminium
    name_zh: str
    product: str  # what the benchmark is per (crude steel, clinker, liquid aluminium)
    gases: frozenset[str]  # gases covered: CO2; aluminium also CF4 and C2F6
    streams: frozenset[str]  # the MRV stream kinds its reports carry (combustion, clinker, anode, pfc …)
    benchmark: Decimal | None = None  # tCO2e per t of product; None: user-supplied
    status: str = ""


@dataclass(frozen=True, slots=True)
class IndustryRules:
    method: str  # verified_emissions, intensity
    sectors: Mapping[str, IndustrySector]
    pre_allocation_share: Decimal | None = None  # intensity: of the previous year's verified emissions
    rounding: str = "half_up"
    status: str = ""

    def sector(self, code: str) -> IndustrySector:
        try:
            return self.sectors[code]
        except KeyError:
            raise DomainError("sector_unknown", f"no {code!r} in the plan's sectors ({', '.join(self.sectors)})") from None


def parse_industry(rs: RuleSet, data: Mapping[str, Any]) -> IndustryRules | list[FieldError]:
    f = Fields(data)
    method = f.one_of("method", METHODS, "verified_emissions") if f.required("method") else "verified_emissions"
    share = f.decimal("pre_allocation_share", None)
    if method == "intensity" and share is None:
        f.error("pre_allocation_share", "missing: an intensity plan pre-allocates a share of the previous year's emissions")
    if share is not None and not 0 <= share <= 1:
        f.error("pre_allocation_share", f"{share} is not between 0 and 1")
    sectors = {}
    for code, raw in f.table("sectors").items():
        s = Fields(raw if isinstance(raw, Mapping) else {}, f"sectors.{code}.")
        gases = s.strings("gases") if s.required("gases") else None
        streams = s.strings("streams") if s.required("streams") else None
        bench = s.decimal("benchmark", None)
        f.errors.extend(s.errors)
        if gases is not None and streams is not None:
            sectors[str(code)] = IndustrySector(str(code), s.text("name_zh", str(code)), s.text("product", ""),
                                                gases, streams, bench, s.text("status", ""))
    if not sectors and not f.errors:
        f.error("sectors", "no sectors")
    return f.errors or IndustryRules(method, sectors, share, f.text("rounding", "half_up"), f.text("status", ""))


def _positive(name: str, value: Decimal) -> None:
    if value < 0:
        raise DomainError("value_negative", f"{name} cannot be negative ({value})")


def allocation(rules: IndustryRules, sector: str, *, verified: Decimal | None = None,
               output: Decimal | None = None, benchmark: Decimal | None = None) -> int:
    """A unit's final allowances for the year: its verified emissions (``verified_emissions``), or the
    sector benchmark (the rule's, else the user's ``benchmark``) × its actual output (``intensity``);
    whole tonnes by the plan's rounding."""
    s = rules.sector(sector)
    if rules.method == "verified_emissions":
        if verified is None:
            raise DomainError("emissions_missing", f"{sector}: the allocation is the verified emissions; none given")
        _positive("verified emissions", verified)
        return to_tonnes(verified, rules.rounding)
    b = s.benchmark if s.benchmark is not None else benchmark
    if b is None:
        raise DomainError("benchmark_missing", f"{sector}: the plan's benchmark is not shipped (not in the "
                                               "references): supply one")
    if output is None:
        raise DomainError("output_missing", f"{sector}: an intensity allocation needs the actual output")
    _positive("output", output)
    _positive("benchmark", b)
    return to_tonnes(b * output, rules.rounding)


def pre_allocation(rules: IndustryRules, previous_verified: Decimal) -> int:
    """The pre-allocation: share × the previous year's verified emissions (2025: 70 % of 2024's)."""
    if rules.pre_allocation_share is None:
        raise DomainError("no_pre_allocation", "this plan pre-allocates nothing: the allocation is final")
    _positive("verified emissions", previous_verified)
    return to_tonnes(rules.pre_allocation_share * previous_verified, rules.rounding)


def true_up(final: int, pre_allocated: int) -> int:
    """多退少补: what is issued (positive) or taken back (negative) once the final figure is known."""
    return final - pre_allocated
