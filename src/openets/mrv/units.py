"""Units resolved once per (from, to) pair to a Decimal factor, with pint; never guessed.

Carbon (tC) and CO2 (tCO2) are separate dimensions, so tC/TJ can never silently pass for tCO2/TJ:
the 44/12 step is written in the formula, not hidden in a conversion.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from openets.core.errors import DomainError

ALIASES = {
    "吨": "t", "万吨": "(10**4 * t)", "万t": "(10**4 * t)", "万Nm3": "(10**4 * Nm3)", "万立方米": "(10**4 * Nm3)",
    "万标立方米": "(10**4 * Nm3)", "10^4 Nm3": "(10**4 * Nm3)", "10⁴ Nm³": "(10**4 * Nm3)", "10**4 Nm3": "(10**4 * Nm3)",
    "Nm³": "Nm3", "%": "percent", "fraction": "dimensionless", "兆瓦时": "MWh", "吉焦": "GJ",
    "GJ/(10**4 Nm3)": "GJ/(10**4 * Nm3)", "GJ/万Nm3": "GJ/(10**4 * Nm3)",
}


def _normalise(unit: str) -> str:
    u = unit.strip()
    return ALIASES.get(u, u)


@lru_cache(maxsize=1)
def _registry():
    import pint

    reg = pint.UnitRegistry(non_int_type=Decimal)  # conversion factors computed in Decimal
    reg.define("normal_cubic_meter = meter ** 3 = Nm3")
    reg.define("tonne_carbon = [carbon] = tC")
    reg.define("tonne_co2 = [co2] = tCO2")
    reg.define("kilogram_co2 = 0.001 * tonne_co2 = kgCO2")
    return reg


@lru_cache(maxsize=4096)
def factor(from_unit: str, to_unit: str) -> Decimal:
    """How many ``to_unit`` one ``from_unit`` is (exact for the decimal ratios these units have)."""
    import pint

    reg = _registry()
    try:
        # expressions, so that scaled units such as 10**4 Nm3 keep their scale
        q = (reg.parse_expression(_normalise(from_unit)) / reg.parse_expression(_normalise(to_unit))).to("dimensionless")
    except pint.errors.DimensionalityError:
        raise DomainError("unit_mismatch", f"{from_unit!r} cannot be expressed in {to_unit!r}") from None
    except (pint.errors.UndefinedUnitError, AttributeError, TypeError, ValueError, SyntaxError) as exc:
        raise DomainError("unit_unknown", f"unit {from_unit!r} or {to_unit!r} is not known ({exc})") from None
    return Decimal(q.magnitude)
