"""Default factor tables as data: fuels (NCV, carbon content, oxidation), grid factors by series and
year, heat, process factors, GWPs — each value with its unit, source and status."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from openets.core.errors import DomainError


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


def _dec(v: Any, where: str) -> Decimal:
    try:
        return Decimal(str(v))
    except InvalidOperation:
        raise DomainError("factor_invalid", f"{where}: {v!r} is not a number") from None


def _factor(d: dict[str, Any], where: str, source: str, status: str) -> Factor:
    if "value" not in d or "unit" not in d:
        raise DomainError("factor_invalid", f"{where}: a factor needs a value and a unit")
    return Factor(_dec(d["value"], where), d["unit"], d.get("source", source), d.get("status", status))


def parse_factor_table(data: dict[str, Any], origin: str = "factors") -> FactorTable:
    fuels = {}
    for code, f in data.get("fuel", {}).items():
        src, st = f.get("source", ""), f.get("status", "unverified")
        fuels[code] = FuelDefaults(code, f.get("name_zh", code), f.get("activity_unit", "t"),
                                   _factor(f["ncv"], f"{origin} {code} ncv", src, st),
                                   _factor(f["carbon_content"], f"{origin} {code} carbon_content", src, st),
                                   _factor(f["oxidation"], f"{origin} {code} oxidation", src, st))
    grid = {}
    for g in data.get("grid", []):
        f = _factor(g, f"{origin} grid {g.get('series')}", g.get("source", ""), g.get("status", "unverified"))
        for y in g.get("years", []):
            grid[(g["series"], int(y))] = f
    heat = data.get("heat")
    process = {code: _factor(p, f"{origin} process {code}", p.get("source", ""), p.get("status", "unverified"))
               for code, p in data.get("process", {}).items()}
    gwp, gsrc = {}, {}
    for name, table in data.get("gwp", {}).items():
        gwp[name] = {gas: _dec(v, f"{origin} gwp {name} {gas}") for gas, v in table.items()
                     if gas not in ("source", "status")}
        gsrc[name] = f"{table.get('source', '')} ({table.get('status', 'unverified')})"
    coal: dict[int, UnmeasuredCoal] = {}
    for c in data.get("unmeasured_coal", []):
        where = f"{origin} unmeasured_coal"
        src, st = c.get("source", ""), c.get("status", "unverified")
        entry = UnmeasuredCoal(frozenset(c["fuels"]), _factor(c["carbon_content"], f"{where} carbon_content", src, st),
                               _factor(c["oxidation"], f"{where} oxidation", src, st))
        for y in c.get("years", []):
            if int(y) in coal:
                raise DomainError("factor_invalid", f"{where}: year {y} given twice")
            coal[int(y)] = entry
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
