"""Allocation rules out of a rule set's ``allocation`` section, as typed records, parsed once when the
rule book loads (``parse_allocation_section``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from openets.allocation.methods import ROUNDINGS, LoadPiece, PowerCategory, PowerFactors, PowerRules
from openets.core.errors import DomainError
from openets.rules.loader import FieldError, RuleSet


@dataclass(frozen=True, slots=True)
class ProductBenchmark:
    code: str
    name_zh: str
    name_en: str
    benchmark: Decimal
    unit: str
    status: str
    # waste co-processed a year (t) → benchmark uplift, ascending: the highest tier reached applies
    co_processing: tuple[tuple[int, Decimal], ...] = ()

    def uplift(self, waste_t: Decimal) -> Decimal:
        """The benchmark uplift for ``waste_t`` tonnes of waste co-processed in the year (0 below the
        first tier)."""
        got = Decimal(0)
        for from_t, uplift in self.co_processing:
            if waste_t >= from_t:
                got = uplift
        return got


@dataclass(frozen=True, slots=True)
class SectorMethod:
    """A sector allocated by history rather than a benchmark."""

    method: str  # historical_intensity, grandfathering
    coefficient: Decimal | None = None  # historical intensity: reduction coefficient a year
    window: int = 3  # years of history averaged
    years: int = 1  # years the coefficient applies for
    factor: Decimal | None = None  # grandfathering: control factor; None = user-supplied, not shipped
    status: str = ""


@dataclass(frozen=True, slots=True)
class AllocationRules:
    rule_set: RuleSet
    rounding: str
    base_year: int | None
    pre_allocation: dict[str, Decimal]  # sector → share of base-year output × benchmark
    products: dict[str, ProductBenchmark]
    power: PowerRules | None
    power_values: str  # "published" or "user-supplied"
    historical_window: int | None
    historical_coefficient: Decimal | None
    withhold_debts: bool  # deduct what a company owes from its next allocation (Shenzhen)
    methods: dict[str, SectorMethod]  # sector → historical method


class _Bad(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(field, message)
        self.field, self.message = field, message


def _dec(value: Any, where: str) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise _Bad(where, f"{value!r} is not a number") from None


def allocation_rules(rs: RuleSet) -> AllocationRules:
    """The allocation rules of ``rs``: as parsed at load, or parsed now (a rule book loaded without
    section parsers), raising on the first problem."""
    if "allocation" not in rs.raw:
        raise DomainError("no_rule_set", f"{rs.document} has no allocation rules")
    got = rs.sections.get("allocation")
    if isinstance(got, AllocationRules):
        return got
    parsed = parse_allocation_section(rs, rs.raw["allocation"])
    if isinstance(parsed, list):
        where = f"{rs.market} {rs.document}"
        raise DomainError("rule_set_invalid", f"{where}: " + "; ".join(f"{e.field}: {e.message}" for e in parsed))
    return parsed


def parse_allocation_section(rs: RuleSet, data: Mapping[str, Any]) -> AllocationRules | list[FieldError]:
    try:
        return _parse(rs, data)
    except _Bad as exc:
        return [FieldError(exc.field, exc.message)]
    except KeyError as exc:
        return [FieldError(str(exc.args[0]), "missing")]
    except (TypeError, ValueError, AttributeError) as exc:  # a value of the wrong shape (a table for a list …)
        return [FieldError("", f"malformed: {exc}")]


def _parse(rs: RuleSet, data: Mapping[str, Any]) -> AllocationRules:
    rounding = data.get("rounding", "half_up")
    if rounding not in ROUNDINGS:
        raise _Bad("rounding", f"unknown rounding {rounding!r}")
    products = {
        code: ProductBenchmark(code, p.get("name_zh", code), p.get("name_en", code),
                               _dec(p["benchmark"], f"products.{code}.benchmark"), p.get("unit", ""), p.get("status", ""),
                               _tiers(code, p.get("co_processing", [])))
        for code, p in data.get("products", {}).items()
    }
    power = _power(data.get("power"))
    pdata = data.get("power")
    hist = data.get("historical_intensity", {})
    return AllocationRules(
        rule_set=rs, rounding=rounding, base_year=data.get("base_year"),
        pre_allocation={k: _dec(v, f"pre_allocation.{k}") for k, v in data.get("pre_allocation", {}).items()},
        products=products, power=power, power_values=(pdata or {}).get("values", ""),
        historical_window=hist.get("window"),
        historical_coefficient=_dec(hist["coefficient"], "historical_intensity.coefficient") if "coefficient" in hist else None,
        withhold_debts=bool(data.get("withhold_debts", False)),
        methods={sector: _method(sector, m) for sector, m in data.get("methods", {}).items()},
    )


def _tiers(code: str, raw: Any) -> tuple[tuple[int, Decimal], ...]:
    where = f"products.{code}.co_processing"
    tiers = []
    for i, tier in enumerate(raw):
        from_t = tier["from_t"]
        if not isinstance(from_t, int) or from_t < 0:
            raise _Bad(f"{where}[{i}].from_t", f"{from_t!r} is not a whole number of tonnes")
        tiers.append((from_t, _dec(tier["uplift"], f"{where}[{i}].uplift")))
    if [t[0] for t in tiers] != sorted({t[0] for t in tiers}):
        raise _Bad(where, "tiers must be in ascending order of from_t, each once")
    return tuple(tiers)


def _method(sector: str, m: Mapping[str, Any]) -> SectorMethod:
    where = f"methods.{sector}"
    given: dict[str, Any] = {"method": m["method"], "status": m.get("status", "")}
    for key in ("coefficient", "factor"):
        if key in m:
            given[key] = _dec(m[key], f"{where}.{key}")
    for key in ("window", "years"):  # else the dataclass's defaults
        if key in m:
            try:
                given[key] = int(m[key])
            except (TypeError, ValueError):
                raise _Bad(f"{where}.{key}", f"{m[key]!r} is not a whole number") from None
    return SectorMethod(**given)


def _power(pdata: Mapping[str, Any] | None) -> PowerRules | None:
    if not pdata:
        return None
    where = "power"
    for old in ("cooling", "heat_ratio_coefficient"):  # one set of factors for every category was wrong (issue 15)
        if old in pdata:
            raise _Bad(f"power.{old}", "correction factors are per category now: put them in a table "
                                       "[power.factors.<code>] and name it in each category's `factors`")
    factors = {code: _factors(code, f) for code, f in pdata.get("factors", {}).items()}
    cats = {}
    for c in pdata.get("categories", []):
        code = c["code"]
        if c.get("factors") not in factors:
            raise _Bad(f"power.categories.{code}.factors",
                       f"{c.get('factors')!r} is not a factor table of this rule set ({', '.join(factors) or 'none'})")
        cats[code] = PowerCategory(
            code=code, name_zh=c.get("name_zh", ""), name_en=c.get("name_en", ""),
            electricity=_dec(c["electricity"], where) if "electricity" in c else None,
            heat=_dec(c["heat"], where) if "heat" in c else None,
            fuels=tuple(c.get("fuels", [])), min_mw=c.get("min_mw"), below_mw=c.get("below_mw"), factors=c["factors"],
            status=str(c.get("status", "")))
    load = tuple(sorted(
        (LoadPiece(_dec(p["minimum"], where), p["kind"], _dec(p["a"], where), _dec(p.get("b", 0), where),
                   _dec(p.get("c", 0), where)) for p in pdata.get("load", [])),
        key=lambda p: -p.minimum))
    if any(f.load for f in factors.values()) and not load:
        raise _Bad("power.load", "a factor table applies the load-factor correction but the rule set has no load pieces")
    basis = pdata.get("output_basis", "supply")
    if basis not in ("supply", "generation"):
        raise _Bad("power.output_basis", f"{basis!r} is not supply or generation")
    return PowerRules(cats, factors, load, basis)


def _factors(code: str, f: Mapping[str, Any]) -> PowerFactors:
    """A factor table: ``heat_ratio_coefficient``, optional ``cooling`` (a table), ``load`` (true: the
    load correction for pure-condensing units), ``calorific`` (a table, or "user-supplied")."""
    where = f"power.factors.{code}"
    if "heat_ratio_coefficient" not in f:
        raise _Bad(f"{where}.heat_ratio_coefficient", "missing")
    calorific: dict[str, Decimal] | None = None
    if "calorific" in f:
        raw = f["calorific"]
        if raw == "user-supplied":
            calorific = {}
        elif isinstance(raw, Mapping):
            calorific = {k: _dec(v, f"{where}.calorific.{k}") for k, v in raw.items()}
        else:
            raise _Bad(f"{where}.calorific", f"{raw!r}: a table of class → factor, or \"user-supplied\"")
    load = f.get("load", False)
    if not isinstance(load, bool):
        raise _Bad(f"{where}.load", f"{load!r} is not true or false")
    return PowerFactors(
        code=code, heat_ratio_coefficient=_dec(f["heat_ratio_coefficient"], f"{where}.heat_ratio_coefficient"),
        cooling={k: _dec(v, f"{where}.cooling.{k}") for k, v in f["cooling"].items()} if "cooling" in f else None,
        load=load, calorific=calorific, status=str(f.get("status", "")))
