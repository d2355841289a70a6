"""Benchmark against historical intensity for the same companies: who gains, who loses (鞭打快牛:
under the historical method a company that cut early has a low history and gets less; under the
benchmark it is rewarded)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from openets.allocation.methods import benchmark_allowance, historical_intensity_allowance, to_tonnes
from openets.allocation.plan import ProductionRow
from openets.allocation.rules import AllocationRules
from openets.core.errors import DomainError


@dataclass(frozen=True, slots=True)
class Comparison:
    company: str
    benchmark: int  # tonnes under the benchmark method
    historical: int  # tonnes under the historical-intensity method
    latest_intensity: Decimal  # tCO2 per unit, the last year of its history
    sector_benchmark: Decimal

    @property
    def difference(self) -> int:
        """benchmark − historical: > 0 the benchmark gives more (an efficient company), < 0 less."""
        return self.benchmark - self.historical


def compare(rows: Sequence[ProductionRow], histories: dict[tuple[str, str], list[Decimal]],
            rules: AllocationRules) -> list[Comparison]:
    """``histories``: (company, source id) → intensities of the last years, oldest first."""
    if rules.historical_coefficient is None:
        raise DomainError("rule_missing", f"{rules.rule_set.document} has no historical-intensity method")
    window = rules.historical_window or 3
    per: dict[str, list[tuple[Decimal, Decimal, Decimal, Decimal]]] = {}
    for row in rows:
        product = rules.products.get(row.sector)
        if product is None:
            raise DomainError("sector_unknown", f"{row.where}: sector: the comparison covers products "
                                                f"({', '.join(rules.products)}), not {row.sector!r}")
        history = histories.get((row.company, row.source_id))
        if not history:
            raise DomainError("history_missing", f"{row.where}: column history: no intensities given")
        try:
            hist = historical_intensity_allowance(history, row.output, coefficient=rules.historical_coefficient,
                                                  window=window)
        except DomainError as exc:
            raise DomainError(exc.code, f"{row.where}: column history: {exc.message}") from None
        bench = benchmark_allowance(product.benchmark, row.output, row.local_factor)
        per.setdefault(row.company, []).append((bench, hist, history[-1], product.benchmark))
    out = []
    for company in sorted(per):
        parts = per[company]
        out.append(Comparison(company, to_tonnes(sum((p[0] for p in parts), Decimal(0)), rules.rounding),
                              to_tonnes(sum((p[1] for p in parts), Decimal(0)), rules.rounding),
                              parts[-1][2], parts[-1][3]))
    return out
