"""Default factor tables as data: fuels (NCV, carbon content, oxidation), grid factors by series and
year, heat, process factors, GWPs — each value with its unit, source and status."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from openets.core.errors import DomainError
from openets.core.numbers import parse_decimal, parse_int


@dataclass(frozen=True, slots=True)
class Factor:
    value: Decimal
    unit: str
    source: str
    status: str  # verified, unverified, measured

    @property
    def verified(self) -> bool:
        return self.status in ("verified", "measured")


@dataclass(frozen=True, slots=True)
class FuelDefaults:
    code: str
    name_zh: str
    activity_unit: str
    ncv: Factor
    carbon_content: Factor
    oxidation: Factor


@dataclass(frozen=True, slots=True)
class UnmeasuredCoal:
    """What the national guidelines impose on a coal stream whose carbon content (and oxidation) was not
    measured: a deliberately high default, so that not measuring never pays."""

    fuels: frozenset[str]  # the fuel codes it applies to
    carbon_content: Factor
    oxidation: Factor


@dataclass(frozen=True, slots=True)
class FactorTable:
    fuels: dict[str, FuelDefaults]
    grid: dict[tuple[str, int], Factor]  # (series, year)
    heat: Factor | None
    process: dict[str, Factor]
    gwp: dict[str, dict[str, Decimal]]  # set (SAR, AR5) → gas → GWP
    gwp_source: dict[str, str]
    unmeasured_coal: dict[int, UnmeasuredCoal] = field(default_factory=dict)  # reporting year → the default

    def coal_default(self, fuel: str, year: int) -> UnmeasuredCoal | None:
        """The high default for an unmeasured ``fuel`` in reporting ``year``, if ``fuel`` is coal and the
        table has that year's value."""
        got = self.unmeasured_coal.get(year)
        return got if got is not None and fuel in got.fuels else None

    def fuel(self, code: str) -> FuelDefaults:
        try:
            return self.fuels[code]
        except KeyError:
            raise DomainError("fuel_unknown", f"unknown fuel {code!r} (defaults for: {', '.join(sorted(self.fuels))}; "
                                              "coal needs measured values or a table of your own)") from None

    def grid_factor(self, series: str, year: int) -> Factor:
        try:
            return self.grid[(series, year)]
        except KeyError:
            have = sorted(y for s, y in self.grid if s == series)
            raise DomainError("factor_missing", f"no {series} grid factor for {year} (have: {have})") from None


MAX_FACTOR = Decimal(10) ** 9  # no factor of a table comes near (NCV in GJ/t ~ 50, GWP ~ 23,500)


def _dec(v: Any, where: str) -> Decimal:
    """A factor's value: finite, at least 0, at most MAX_FACTOR, bounded in digits and exponent before it is
    converted (core.numbers.parse_decimal); TOML's floats are read as their shortest text (0.98, not its
    binary expansion)."""
    if isinstance(v, float):
        v = repr(v)
    try:
        return parse_decimal(v, where, minimum=0, maximum=MAX_FACTOR)
    except DomainError as exc:
        raise DomainError("factor_invalid", exc.message) from None


def _table(v: Any, where: str) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise DomainError("factor_invalid", f"{where}: a table is needed (key = value lines), not {_kind(v)}")
    return v


def _list(v: Any, where: str) -> list[Any]:
    if not isinstance(v, list):
        raise DomainError("factor_invalid", f"{where}: a list is needed, not {_kind(v)}")
    return v


def _text(v: Any, where: str) -> str:
    if not isinstance(v, str):
        raise DomainError("factor_invalid", f"{where}: a text is needed, not {_kind(v)}")
    return v


def _year(v: Any, where: str) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, str)):
        raise DomainError("factor_invalid", f"{where}: a year is needed, not {_kind(v)}")
    try:
        return parse_int(v, where, minimum=1900, maximum=2100)
    except DomainError as exc:
        raise DomainError("factor_invalid", exc.message) from None


def _kind(v: Any) -> str:
    return {dict: "a table", list: "a list", str: "a text", bool: "true or false"}.get(type(v), "a number")


def _factor(d: Any, where: str, source: str, status: str) -> Factor:
    d = _table(d, where)
    if "value" not in d or "unit" not in d:
        raise DomainError("factor_invalid", f"{where}: a factor needs a value and a unit")
    return Factor(_dec(d["value"], f"{where} value"), _text(d["unit"], f"{where} unit"),
                  _text(d.get("source", source), f"{where} source"), _text(d.get("status", status), f"{where} status"))


def _need(d: dict[str, Any], key: str, where: str) -> Any:
    if key not in d:
        raise DomainError("factor_invalid", f"{where}: {key} is missing")
    return d[key]


def parse_factor_table(data: dict[str, Any], origin: str = "factors") -> FactorTable:
    """A factor table from its TOML data; every part checked for its shape and every value bounded, so a
    table of one's own is refused with the place of its first problem (``factor_invalid``)."""
    fuels = {}
    for code, f in _table(data.get("fuel", {}), f"{origin} fuel").items():
        where = f"{origin} fuel {code}"
        f = _table(f, where)
        src, st = _text(f.get("source", ""), f"{where} source"), _text(f.get("status", "unverified"), f"{where} status")
        fuels[code] = FuelDefaults(code, _text(f.get("name_zh", code), f"{where} name_zh"),
                                   _text(f.get("activity_unit", "t"), f"{where} activity_unit"),
                                   _factor(_need(f, "ncv", where), f"{where} ncv", src, st),
                                   _factor(_need(f, "carbon_content", where), f"{where} carbon_content", src, st),
                                   _factor(_need(f, "oxidation", where), f"{where} oxidation", src, st))
    grid = {}
    for g in _list(data.get("grid", []), f"{origin} grid"):
        g = _table(g, f"{origin} grid")
        series = _text(_need(g, "series", f"{origin} grid"), f"{origin} grid series")
        where = f"{origin} grid {series}"
        f = _factor(g, where, g.get("source", ""), g.get("status", "unverified"))
        for y in _list(g.get("years", []), f"{where} years"):
            grid[(series, _year(y, f"{where} years"))] = f
    heat = data.get("heat")
    process = {code: _factor(p, f"{origin} process {code}", _table(p, f"{origin} process {code}").get("source", ""),
                             p.get("status", "unverified"))
               for code, p in _table(data.get("process", {}), f"{origin} process").items()}
    gwp, gsrc = {}, {}
    for name, table in _table(data.get("gwp", {}), f"{origin} gwp").items():
        table = _table(table, f"{origin} gwp {name}")
        gwp[name] = {gas: _dec(v, f"{origin} gwp {name} {gas}") for gas, v in table.items()
                     if gas not in ("source", "status")}
        gsrc[name] = f"{table.get('source', '')} ({table.get('status', 'unverified')})"
    coal: dict[int, UnmeasuredCoal] = {}
    for c in _list(data.get("unmeasured_coal", []), f"{origin} unmeasured_coal"):
        where = f"{origin} unmeasured_coal"
        c = _table(c, where)
        src, st = _text(c.get("source", ""), f"{where} source"), _text(c.get("status", "unverified"), f"{where} status")
        entry = UnmeasuredCoal(frozenset(_text(x, f"{where} fuels") for x in _list(_need(c, "fuels", where), f"{where} fuels")),
                               _factor(_need(c, "carbon_content", where), f"{where} carbon_content", src, st),
                               _factor(_need(c, "oxidation", where), f"{where} oxidation", src, st))
        for y in _list(c.get("years", []), f"{where} years"):
            year = _year(y, f"{where} years")
            if year in coal:
                raise DomainError("factor_invalid", f"{where}: year {year} given twice")
            coal[year] = entry
    return FactorTable(fuels, grid, _factor(heat, f"{origin} heat", "", "unverified") if heat else None, process,
                       gwp, gsrc, coal)


def load_factor_table(path: Path | None = None) -> FactorTable:
    p = path or Path(str(resources.files("openets.rules") / "data" / "factors" / "default.toml"))
    try:
        with open(p, "rb") as fh:
            return parse_factor_table(tomllib.load(fh), Path(p).name)
    except OSError as exc:
        raise DomainError("factor_file", f"{p}: cannot read ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise DomainError("factor_file", f"{Path(p).name}: not valid TOML ({exc})") from None
    except KeyError as exc:
        raise DomainError("factor_file", f"{Path(p).name}: missing key {exc.args[0]}") from None


@cache
def default_factors() -> FactorTable:
    return load_factor_table()
