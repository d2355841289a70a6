"""A factor table of one's own (mrv/factors.parse_factor_table): each part checked for its shape and each
value bounded, the first problem named with its place (was: Python's AttributeError / TypeError /
KeyError for a wrong shape, and NaN or 1e300 taken as a factor)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from openets.core.errors import DomainError
from openets.mrv.factors import load_factor_table, parse_factor_table

FUEL = {"ncv": {"value": "43.33", "unit": "GJ/t"}, "carbon_content": {"value": "20.2", "unit": "tC/TJ"},
        "oxidation": {"value": "98", "unit": "percent"}}


def test_the_bundled_table_still_reads() -> None:
    t = load_factor_table()
    assert t.fuels["diesel"].oxidation.value == Decimal("98") and len(t.grid) >= 1


def test_a_float_is_read_as_written() -> None:
    t = parse_factor_table({"fuel": {"x": {**FUEL, "ncv": {"value": 0.98, "unit": "GJ/t"}}}}, "mine.toml")
    assert t.fuels["x"].ncv.value == Decimal("0.98")  # not 0.979999999999999982236431605997495353221893310546875


@pytest.mark.parametrize(("data", "needle"), [
    ({"fuel": ["diesel"]}, "mine.toml fuel: a table is needed"),
    ({"fuel": {"x": "diesel"}}, "mine.toml fuel x: a table is needed"),
    ({"fuel": {"x": {k: v for k, v in FUEL.items() if k != "ncv"}}}, "mine.toml fuel x: ncv is missing"),
    ({"fuel": {"x": {**FUEL, "ncv": {"value": float("nan"), "unit": "GJ/t"}}}}, "mine.toml fuel x ncv value"),
    ({"fuel": {"x": {**FUEL, "ncv": {"value": 1e300, "unit": "GJ/t"}}}}, "mine.toml fuel x ncv value"),
    ({"fuel": {"x": {**FUEL, "ncv": {"value": "-1", "unit": "GJ/t"}}}}, "mine.toml fuel x ncv value"),
    ({"fuel": {"x": {**FUEL, "ncv": {"value": "1", "unit": 5}}}}, "mine.toml fuel x ncv unit: a text is needed"),
    ({"grid": {"series": "x"}}, "mine.toml grid: a list is needed"),
    ({"grid": [{"value": "0.6", "unit": "tCO2/MWh"}]}, "mine.toml grid: series is missing"),
    ({"grid": [{"series": "x", "value": "0.6", "unit": "tCO2/MWh", "years": [99999]}]}, "mine.toml grid x years"),
    ({"grid": [{"series": "x", "value": "0.6", "unit": "tCO2/MWh", "years": 2016}]}, "mine.toml grid x years: a list"),
    ({"gwp": {"SAR": {"CH4": "Infinity"}}}, "mine.toml gwp SAR CH4"),
    ({"unmeasured_coal": [{"fuels": "coal", **FUEL}]}, "mine.toml unmeasured_coal fuels: a list is needed"),
])
def test_a_bad_table_is_named_at_its_first_problem(data: dict, needle: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(DomainError) as e:
        parse_factor_table(data, "mine.toml")
    assert e.value.code == "factor_invalid" and needle in e.value.message, e.value.message
