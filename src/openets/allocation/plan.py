"""An allocation run over many companies: per generating unit or installation, summed per company.

Pure: rows in (already parsed), allocations out, or every problem found with its row. Whole tonnes
are taken once per company, from the exact sum of its rows, with the rule set's rounding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from openets.allocation.methods import (
    PowerUnitOutput,
    benchmark_allowance,
    grandfathering_allowance,
    historical_intensity_allowance,
    power_allowance,
    to_tonnes,
)
from openets.allocation.rules import AllocationRules
from openets.core.errors import DomainError

D = Decimal


@dataclass(frozen=True, slots=True)
class ProductionRow:
    """One installation's product output, or one generating unit's supply, for the year."""

    where: str  # "file row N", for messages
    company: str  # registration id
    source_id: str  # installation or unit id
    sector: str  # power, cement, aluminium …
    output: Decimal = D(0)  # products: tonnes of product
    local_factor: Decimal = D(1)
    # power units
    fuel: str = ""
    capacity_mw: int = 0
    cooling: str = ""
    electricity_mwh: Decimal = D(0)
    heat_gj: Decimal = D(0)
    heat_supply_ratio: Decimal = D(0)
    load_factor: Decimal = D(1)  # the load rate while running (methods.load_rate), not hours ÷ 8760
    calorific: str = ""  # fuel calorific class, where the rule set's factors correct for it
    category: str = ""  # optional: else derived from fuel and capacity
    history: tuple[Decimal, ...] = ()  # historical methods: intensities (or emissions), oldest first
    generation_mwh: Decimal | None = None  # electricity generated (发电量), where the plan allocates on generation
    waste_t: Decimal = D(0)  # cement: waste co-processed in the kiln in the year (t), for the benchmark uplift
    headers: tuple[tuple[str, str], ...] = ()  # (field, the header the file wrote): messages name the user's own

    def problem(self, message: str) -> str:
        """A check's "field: …" message as the file's row and column ('row 3, column "供电量": …')."""
        name, sep, rest = message.partition(": ")
        written = dict(self.headers)
        if sep and (name in written or name in _FIELDS):
            return f'{self.where}, column "{written.get(name, name)}": {rest}'
        return f"{self.where}: {message}"


class ConfirmedOutput(Protocol):
    """Where the true-up reads confirmed actual output: a CSV file until MRV reports confirmed by the
    regulator feed it."""

    def confirmed_output(self, market: str, year: int) -> list[ProductionRow]: ...


_FIELDS = frozenset(ProductionRow.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class RowAllocation:
    row: ProductionRow
    method: str
    exact: Decimal  # tonnes, before rounding
    detail: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CompanyAllocation:
    company: str
    sectors: tuple[str, ...]
    exact: Decimal
    tonnes: int
    rows: tuple[RowAllocation, ...]


@dataclass(frozen=True, slots=True)
class PlanResult:
    kind: str  # "pre" (pre-allocation from base-year output) or "final" (actual output)
    companies: tuple[CompanyAllocation, ...]
    problems: tuple[str, ...]

    @property
    def total(self) -> int:
        return sum(c.tonnes for c in self.companies)


def allocate(rows: Sequence[ProductionRow], rules: AllocationRules, *, kind: str = "final") -> PlanResult:
    """Allocate every row; collect every problem (row and column named) instead of stopping at one.

    kind="pre": share × base-year output × benchmark, the share per sector from the rule set
    (power 70 %, cement and aluminium 50 % in the 2017 draft)."""
    if kind not in ("pre", "final"):
        raise DomainError("kind_invalid", f"an allocation is 'pre' or 'final', not {kind!r}")
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    per_company: dict[str, list[RowAllocation]] = {}
    for row in rows:
        key = (row.company, row.source_id)
        if key in seen:
            problems.append(row.problem(f"source_id: {row.company} / {row.source_id} appears twice"))
            continue
        seen.add(key)
        try:
            got = _one(row, rules)
            if kind == "pre":
                share = rules.pre_allocation.get(row.sector)
                if share is None:
                    raise DomainError("pre_allocation_missing",
                                      f"sector: the rule set has no pre-allocation share for {row.sector!r}")
                got = RowAllocation(row, got.method, got.exact * share, {**got.detail, "pre_share": str(share)})
        except DomainError as exc:
            problems.append(row.problem(exc.message))
            continue
        per_company.setdefault(row.company, []).append(got)
    companies = []
    for company in sorted(per_company):
        allocs = per_company[company]
        exact = sum((a.exact for a in allocs), D(0))
        companies.append(CompanyAllocation(company, tuple(sorted({a.row.sector for a in allocs})), exact,
                                           to_tonnes(exact, rules.rounding), tuple(allocs)))
    return PlanResult(kind, tuple(companies), tuple(problems))


def _historical(row: ProductionRow, rules: AllocationRules) -> RowAllocation:
    m = rules.methods[row.sector]
    if not row.history:
        raise DomainError("history_missing", f"history: sector {row.sector} is allocated by {m.method}: give the "
                                             f"last {m.window} years")
    if m.method == "historical_intensity":
        if m.coefficient is None:
            raise DomainError("rule_value_missing", f"the rule set has no reduction coefficient for {row.sector}")
        try:
            exact = historical_intensity_allowance(row.history, row.output, coefficient=m.coefficient, years=m.years,
                                                   window=m.window)
        except DomainError as exc:
            raise DomainError(exc.code, f"history: {exc.message}") from None
        return RowAllocation(row, "historical_intensity", exact, {"coefficient": str(m.coefficient),
                                                                  "window": str(m.window)})
    if m.method == "grandfathering":
        if m.factor is None:
            raise DomainError("rule_value_missing", f"the control factor of {row.sector} is user-supplied: give a "
                                                    "rule set file with its value")
        return RowAllocation(row, "grandfathering", grandfathering_allowance(row.history[-m.window:], m.factor),
                             {"factor": str(m.factor), "window": str(m.window)})
    raise DomainError("method_unknown", f"unknown allocation method {m.method!r}")


def _one(row: ProductionRow, rules: AllocationRules) -> RowAllocation:
    if row.sector in rules.methods:
        return _historical(row, rules)
    if not D(0) < row.local_factor <= D(1):
        raise DomainError("local_factor_invalid", f"local_factor: {row.local_factor} is not in (0, 1]: a local "
                                                  "adjustment factor may only make the benchmark stricter")
    if row.sector == "power":
        if rules.power is None:
            raise DomainError("sector_unknown", "sector: this rule set has no power benchmarks")
        category = row.category or rules.power.category_for(row.fuel, row.capacity_mw).code
        unit = PowerUnitOutput(row.source_id, category, row.cooling, row.electricity_mwh, row.heat_gj,
                               row.heat_supply_ratio, row.load_factor, row.calorific, row.generation_mwh)
        for name in ("electricity_mwh", "heat_gj"):
            if getattr(row, name) < 0:
                raise DomainError("value_negative", f"{name}: cannot be negative")
        p = power_allowance(unit, rules.power, row.local_factor)
        return RowAllocation(row, "power_benchmark", p.total, {
            "category": p.category, "electricity": str(p.electricity_part), "heat": str(p.heat_part),
            "cooling_factor": str(p.cooling_factor), "heat_factor": str(p.heat_factor),
            "load_factor_correction": str(p.load_factor_correction), "calorific_factor": str(p.calorific_factor)})
    product = rules.products.get(row.sector)
    if product is None:
        known = ", ".join(sorted([*rules.products, *(["power"] if rules.power else [])]))
        raise DomainError("sector_unknown", f"sector: unknown sector {row.sector!r} (this rule set: {known})")
    if row.output < 0:
        raise DomainError("value_negative", f"output: cannot be negative ({row.output})")
    if row.waste_t < 0:
        raise DomainError("value_negative", f"waste_t: cannot be negative ({row.waste_t})")
    uplift = product.uplift(row.waste_t)
    if row.waste_t and not product.co_processing:
        raise DomainError("rule_value_missing", f"waste_t: this rule set gives {row.sector} no co-processing uplift")
    # the uplift raises the benchmark itself (2017 draft: +1/2/3 % by tonnes of waste co-processed)
    benchmark = product.benchmark * (1 + uplift)
    exact = benchmark_allowance(benchmark, row.output, row.local_factor)
    detail = {"benchmark": str(product.benchmark), "unit": product.unit}
    if product.co_processing:
        detail["co_processing_uplift"] = str(uplift)
    return RowAllocation(row, "product_benchmark", exact, detail)
