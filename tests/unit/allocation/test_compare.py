from datetime import date
from decimal import Decimal as D

import pytest

from openets.allocation.compare import compare
from openets.allocation.plan import ProductionRow
from openets.allocation.rules import allocation_rules
from openets.core.errors import DomainError
from openets.rules.loader import default_rulebook


def test_benchmark_rewards_the_efficient_historical_rewards_the_laggard() -> None:
    rules = allocation_rules(default_rulebook().lookup("CEA", 2017, date(2017, 6, 1), "allocation"))
    rows = [ProductionRow("r2", "early", "S1", "cement", output=D(1_000_000)),
            ProductionRow("r3", "laggard", "S2", "cement", output=D(1_000_000))]
    hist = {("early", "S1"): [D("0.90"), D("0.82"), D("0.78")], ("laggard", "S2"): [D("0.99"), D("0.98"), D("0.97")]}
    got = {c.company: c for c in compare(rows, hist, rules)}
    assert got["early"].benchmark == got["laggard"].benchmark == 853_400  # same output, same benchmark
    assert got["early"].historical == 825_000  # mean(0.90, 0.82, 0.78) = 0.8333… × 0.99 × 1,000,000
    assert got["early"].difference > 0 > got["laggard"].difference  # who gains, who loses
    with pytest.raises(DomainError):
        compare(rows, {("early", "S1"): [D("0.9")]}, rules)  # three years needed
