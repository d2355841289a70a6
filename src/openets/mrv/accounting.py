"""Emission accounting (核算), per source stream, summed per installation and company.

Each stream's factors are resolved once, when the report is loaded, to one Decimal multiplier
(tCO2e per unit of activity data); the monthly rows are then only multiplied. Direct and indirect
emissions are kept apart, so a market can include or exclude indirect ones.

Formulas (China's sector accounting guidelines):
- combustion: AD × NCV × CC × OF × 44/12
- cement clinker calcination: clinker × [(CaO − non-carbonate CaO) × 44/56 + (MgO − non-carbonate MgO) × 44/40.3]
- aluminium anode: anode consumed × (1 − S − ash) × 44/12; PFCs: aluminium × (EF_CF4 × GWP_CF4 + EF_C2F6 × GWP_C2F6)
- steel (BF-BOF): the carbon balance, material in (+) and out (−) × its carbon content × 44/12
  (``carbon``); fluxes (limestone, dolomite) × their process factor (``carbonate``)
- other gases: tonnes of gas × GWP
- indirect: electricity × grid factor; heat × heat factor
Decimal throughout (28 significant digits); nothing is rounded here. Reports round for display only
(:func:`display`, half-up to 0.01 t); obligations round by their market's rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from openets.core.errors import DomainError
from openets.mrv.factors import Factor, FactorTable
from openets.mrv.units import factor as unit_factor

D = Decimal
C_TO_CO2 = D(44) / D(12)
CAO_TO_CO2 = D(44) / D(56)
MGO_TO_CO2 = D(44) / D("40.3")
KINDS = ("combustion", "clinker", "anode", "pfc", "carbon", "carbonate", "gas", "electricity", "heat")


@dataclass(frozen=True, slots=True)
class Stream:
    """One source stream of an installation, as reported: what it is and the factors it needs."""

    installation: str
    stream_id: str
    kind: str  # one of KINDS
    activity_unit: str  # the unit of the monthly activity data
    fuel: str = ""  # combustion: fuel code of the factor table
    measured: Mapping[str, Factor] = field(default_factory=dict)  # ncv / carbon_content / oxidation measured
    parameters: Mapping[str, Decimal] = field(default_factory=dict)  # clinker: cao, cao_nc, mgo, mgo_nc (fractions) …
    gas: str = ""  # kind "gas": CH4, N2O, SF6 …
    grid_series: str = "ets_reporting"


@dataclass(frozen=True, slots=True)
class Resolved:
    stream: Stream
    per_unit: Decimal  # tCO2e per unit of activity data
    indirect: bool
    factors: dict[str, str]  # what was used, with unit, source and status, for the report
    # combustion: the NCV (GJ per activity unit) and carbon content (tC/GJ) inside per_unit, so that a
    # batch measured on its own replaces them for its rows only
    ncv: Decimal | None = None
    carbon: Decimal | None = None

    def batch(self, ncv: Decimal | None, carbon: Decimal | None) -> Decimal:
        """tCO2e per unit for a batch with its own measured NCV and/or carbon content (stream units)."""
        if self.ncv is None or self.carbon is None:
            raise DomainError("batch_values_not_combustion", f"stream {self.stream.stream_id}: batch NCV and "
                                                             "carbon content apply to combustion only")
        per = self.per_unit
        if ncv is not None:
            per = per * ncv / self.ncv
        if carbon is not None:
            per = per * carbon / self.carbon
        return per


def _in(f: Factor, unit: str) -> Decimal:
    return f.value * unit_factor(f.unit, unit)


def _describe(name: str, f: Factor) -> str:
    return f"{f.value} {f.unit} ({f.status}; {f.source})"


def resolve(stream: Stream, table: FactorTable, *, year: int, gwp_set: str = "SAR") -> Resolved:
    """Turn a stream's factors into tCO2e per unit of its activity data (checking every unit)."""
    k = stream.kind
    if k not in KINDS:
        raise DomainError("kind_unknown", f"stream {stream.stream_id}: unknown kind {k!r} (known: {', '.join(KINDS)})")
    used: dict[str, str] = {}
    if k == "combustion":
        coal = table.coal_default(stream.fuel, year)
        # coal has no ordinary defaults (sources conflict): its NCV is measured; an unmeasured carbon
        # content and oxidation take the national guidelines' high default of the reporting year
        defaults = (coal if coal is not None
                    else table.fuel(stream.fuel) if stream.fuel in table.fuels or not stream.measured else None)
        if coal is not None and "ncv" not in stream.measured:
            raise DomainError("factor_missing", f"stream {stream.stream_id}: coal's NCV must be measured (the "
                                                "guidelines give defaults for its carbon content and oxidation only)")
        chosen = {}
        for name in ("ncv", "carbon_content", "oxidation"):
            f = stream.measured.get(name) or (getattr(defaults, name, None) if defaults else None)
            if f is None:
                raise DomainError("factor_missing", f"stream {stream.stream_id}: no {name} for fuel {stream.fuel!r} "
                                                    "(measure it, or use a factor table that has it)")
            chosen[name] = f
            used[name] = _describe(name, f)
        # NCV per activity unit (GJ per t, or per 10⁴ Nm³ …): the activity unit must fit the NCV's
        ncv = _in(chosen["ncv"], f"GJ/({stream.activity_unit})")
        carbon = _in(chosen["carbon_content"], "tC/GJ")
        oxidation = _in(chosen["oxidation"], "dimensionless")
        if not 0 < oxidation <= 1:  # a rate: more than all the carbon cannot oxidise (500 % would be ×5 emissions)
            raise DomainError("factor_out_of_range", f"stream {stream.stream_id}: oxidation {chosen['oxidation'].value} "
                                                     f"{chosen['oxidation'].unit} is not within 0–100 %")
        per = ncv * carbon * oxidation * C_TO_CO2
        return Resolved(stream, per, False, used, ncv, carbon)
    p = stream.parameters
    if k == "clinker":
        need = ("cao", "cao_nc", "mgo", "mgo_nc")
        _need(stream, need)
        per = (p["cao"] - p["cao_nc"]) * CAO_TO_CO2 + (p["mgo"] - p["mgo_nc"]) * MGO_TO_CO2
        used.update({n: str(p[n]) for n in need})
        return Resolved(stream, per * unit_factor(stream.activity_unit, "t"), False, used)
    if k == "anode":
        _need(stream, ("sulphur", "ash"))
        per = (1 - p["sulphur"] - p["ash"]) * C_TO_CO2
        used.update({"sulphur": str(p["sulphur"]), "ash": str(p["ash"])})
        return Resolved(stream, per * unit_factor(stream.activity_unit, "t"), False, used)
    if k == "carbon":  # BF-BOF carbon balance: carbon (fraction) of a material entering, or leaving (output = 1)
        _need(stream, ("carbon",))
        if p["carbon"] > 1:
            raise DomainError("factor_out_of_range", f"stream {stream.stream_id}: carbon content {p['carbon']} is above 1")
        sign = -1 if p.get("output", D(0)) == 1 else 1
        per = sign * p["carbon"] * C_TO_CO2
        used["carbon"] = f"{p['carbon']} t C/t, {'out of' if sign < 0 else 'into'} the balance"
        return Resolved(stream, per * unit_factor(stream.activity_unit, "t"), False, used)
    if k == "carbonate":  # a flux decomposed (limestone, dolomite): its process factor, tCO2/t
        try:
            f = stream.measured.get("process") or table.process[stream.fuel]
        except KeyError:
            raise DomainError("factor_missing", f"stream {stream.stream_id}: no process factor for {stream.fuel!r} "
                                                f"(have: {', '.join(sorted(table.process))})") from None
        used["process"] = _describe("process", f)
        return Resolved(stream, _in(f, f"tCO2/({stream.activity_unit})"), False, used)
    gwp = table.gwp.get(gwp_set)
    if k in ("pfc", "gas") and gwp is None:
        raise DomainError("factor_missing", f"no GWP set {gwp_set!r}")
    if k == "pfc":  # ef_cf4, ef_c2f6 in kg per t aluminium
        _need(stream, ("ef_cf4", "ef_c2f6"))
        assert gwp is not None
        per = (p["ef_cf4"] * gwp["CF4"] + p["ef_c2f6"] * gwp["C2F6"]) / 1000
        used.update({"ef_cf4": f"{p['ef_cf4']} kg/t", "ef_c2f6": f"{p['ef_c2f6']} kg/t",
                     "gwp": f"{gwp_set}: CF4 {gwp['CF4']}, C2F6 {gwp['C2F6']} ({table.gwp_source.get(gwp_set, '')})"})
        return Resolved(stream, per * unit_factor(stream.activity_unit, "t"), False, used)
    if k == "gas":
        assert gwp is not None
        if stream.gas not in gwp:
            raise DomainError("gas_unknown", f"stream {stream.stream_id}: unknown gas {stream.gas!r}")
        used["gwp"] = f"{stream.gas} {gwp[stream.gas]} ({gwp_set})"
        return Resolved(stream, gwp[stream.gas] * unit_factor(stream.activity_unit, "t"), False, used)
    if k == "electricity":
        f = stream.measured.get("grid") or table.grid_factor(stream.grid_series, year)
        used["grid"] = _describe("grid", f)
        return Resolved(stream, _in(f, f"tCO2/({stream.activity_unit})"), True, used)
    f = stream.measured.get("heat") or table.heat
    if f is None:
        raise DomainError("factor_missing", "no heat factor")
    used["heat"] = _describe("heat", f)
    return Resolved(stream, _in(f, f"tCO2/({stream.activity_unit})"), True, used)


def _need(stream: Stream, names: Sequence[str]) -> None:
    missing = [n for n in names if n not in stream.parameters]
    if missing:
        raise DomainError("parameter_missing", f"stream {stream.stream_id}: needs {', '.join(missing)}")
    for n in names:
        if stream.parameters[n] < 0:
            raise DomainError("value_negative", f"stream {stream.stream_id}: {n} cannot be negative")


@dataclass(frozen=True, slots=True)
class StreamEmissions:
    resolved: Resolved
    activity: Decimal  # the year's activity data
    emissions: Decimal  # tCO2e


@dataclass(frozen=True, slots=True)
class Totals:
    direct: Decimal
    indirect: Decimal

    @property
    def total(self) -> Decimal:
        return self.direct + self.indirect


def emissions(resolved: Resolved, monthly: Mapping[int, Decimal]) -> StreamEmissions:
    activity = sum(monthly.values(), D(0))
    return StreamEmissions(resolved, activity, activity * resolved.per_unit)


def totals(rows: Sequence[StreamEmissions]) -> dict[str, Totals]:
    """Per installation: direct and indirect emissions."""
    out: dict[str, list[Decimal]] = {}
    for r in rows:
        t = out.setdefault(r.resolved.stream.installation, [D(0), D(0)])
        t[1 if r.resolved.indirect else 0] += r.emissions
    return {k: Totals(v[0], v[1]) for k, v in out.items()}


def display(value: Decimal) -> Decimal:
    """Emissions as reports show them: half-up to 0.01 t."""
    return value.quantize(D("0.01"), rounding=ROUND_HALF_UP)
