"""The policy lab through the real exchange and registry: economic agents with linear MACs reach
the analytic competitive price and near-least cost (Gode & Sunder), and a seed gives the same trades
and holdings on the in-memory database and on a SQLite file."""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path

import pytest

from openets.simulation.lab import LabRunner
from openets.simulation.labfile import load_lab
from openets.testing.lab import write_lab_file


def lab_file(tmp: Path, n: int, days: int, orders: int, *, seed: int = 7, years: str = "[2021]") -> Path:
    return write_lab_file(tmp, n, days, orders, seed=seed, years=years)


def test_agents_reach_the_competitive_price(tmp_path: Path) -> None:
    lab = load_lab(lab_file(tmp_path, 50, 25, 120))
    result = LabRunner(lab).run()
    (y,) = result.years
    assert y.price_yuan is not None
    # the analytic price of these firms: p* = Σ(BAU − allocation) / Σ(1/k), checked by hand in
    # tests/unit/simulation/test_economics.py; here the market must land within ±5 % of it
    assert abs(y.price_yuan / y.analytic_price_yuan - 1) <= Decimal("0.05"), (y.price_yuan, y.analytic_price_yuan)
    assert y.efficiency is not None and y.efficiency >= Decimal("0.97"), y.efficiency
    assert y.compliance_rate == 1 and y.abatement_t <= y.analytic_abatement_t + len(lab.firms)
    assert y.least_cost_yuan <= y.cost_yuan < y.no_trade_cost_yuan
    assert y.orders >= 25 * 100 and y.trades > 0


def test_same_seed_same_trades_in_memory_and_on_sqlite(tmp_path: Path) -> None:
    lab = load_lab(lab_file(tmp_path, 12, 3, 40))
    a = LabRunner(lab).run()
    b = LabRunner(lab, url=f"sqlite:///{tmp_path / 'lab.db'}").run()
    assert a.years[0].trades > 0
    assert a.digest == b.digest  # every trade (orders, price, tonnes) and every firm's final holding
    assert [f["banked_t"] for f in a.years[0].firms] == [f["banked_t"] for f in b.years[0].firms]
    c = LabRunner(lab, seed=2).run()
    assert c.digest != a.digest


def test_banking_three_years_price_grows_at_the_discount_rate(tmp_path: Path) -> None:
    """Three years, allocations tightening (× 1, 0.97, 0.94), r = 5 %: the analytic path grows at 5 % a
    year while the market holds a bank (hand case: tests/unit/simulation/test_economics.py); the
    market's price must grow within ±2 percentage points of it, the bank positive in between.

    The agents value a banked tonne at the analytic path's next price, discounted (rational
    expectations), and the first reference is the first year's analytic price: started at the
    national market's 48 yuan, no holder sells below ~75 yuan, the ±10 % band around 48 never
    reaches that, no trade happens and the close never moves (a real friction of bands, named here)."""
    path = lab_file(tmp_path, 30, 40, 100, years="[2021, 2022, 2023]")
    path.write_text(path.read_text(encoding="utf-8") + 'allocation_factor = ["1", "0.97", "0.94"]\n', encoding="utf-8")
    first = LabRunner(load_lab(path)).analytic()[0][0]
    path.write_text(path.read_text(encoding="utf-8") + f'start_price_yuan = "{round(float(first))}"\n', encoding="utf-8")
    result = LabRunner(load_lab(path)).run()
    y = result.years
    a = [x.analytic_price_yuan for x in y]
    assert abs(a[1] / a[0] - Decimal("1.05")) < Decimal("0.001") and abs(a[2] / a[1] - Decimal("1.05")) < Decimal("0.001")
    assert y[0].banked_t > 0 and y[1].banked_t > 0
    for t in (1, 2):
        p0, p1 = y[t - 1].price_yuan, y[t].price_yuan
        assert p0 is not None and p1 is not None
        assert abs(p1 / p0 - Decimal("1.05")) <= Decimal("0.02"), [x.price_yuan for x in y]


def test_independence_of_the_allocation_method(tmp_path: Path) -> None:
    """The same 24 firms, grandfathered (92 % of BAU) or by benchmark × output (output = BAU ÷ the
    firm's own intensity, one benchmark = total ÷ Σ output, so the totals agree to rounding): the
    market prices agree within ±5 %, while firms' net costs differ (policy-lab.md §1)."""
    rng = random.Random(3)
    firms = [(f"F{i:03d}", rng.randint(50_000, 500_000), rng.uniform(0.7, 1.1), rng.uniform(0.5, 2)) for i in range(24)]
    grand = {f: int(bau * 0.92) for f, bau, _, _ in firms}
    output = {f: Decimal(bau) / Decimal(f"{i:.4f}") for f, bau, i, _ in firms}
    bench = (Decimal(sum(grand.values())) / sum(output.values())).quantize(Decimal("0.000001"))
    results = []
    for name, alloc in (("grand", lambda f: f"{grand[f]},,"), ("bench", lambda f: f",{bench},{output[f]:.2f}")):
        d = tmp_path / name
        d.mkdir()
        lines = ["firm_id,sector,bau_t,allocation_t,benchmark,output,mac_slope"]
        lines += [f"{f},cement,{bau},{alloc(f)},{600 / bau * k:.8f}" for f, bau, _, k in firms]
        (d / "firms.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        (d / "lab.toml").write_text('[lab]\nname = "i"\nyears = [2021]\ntrading_days = 40\norders_per_day = 100\n'
                                    'penalty_yuan = "300"\nfirms = "firms.csv"\n', encoding="utf-8")
        results.append(LabRunner(load_lab(d / "lab.toml")).run().years[0])
    g, b = results
    assert g.price_yuan is not None and b.price_yuan is not None
    assert abs(g.analytic_price_yuan / b.analytic_price_yuan - 1) < Decimal("0.001")  # totals equal to rounding
    assert abs(g.price_yuan / b.price_yuan - 1) <= Decimal("0.05"), (g.price_yuan, b.price_yuan)
    cost_g = {f["firm_id"]: f["cost_yuan"] for f in g.firms}
    cost_b = {f["firm_id"]: f["cost_yuan"] for f in b.firms}
    assert sum(cost_g[f] != cost_b[f] for f in cost_g) >= len(firms) // 2  # who pays whom moves


def test_a_lab_run_on_a_database_in_use_is_refused_before_it_writes(tmp_path: Path) -> None:
    """The fuzz harness's finding: a second `lab run --db FILE` failed half-way with "lab-cea-reg-1 already
    represents party 1" (and on a real registry's database the lab would have added its users, parties and
    units to it). Now refused before anything is written."""
    from sqlalchemy import text

    from openets.core.errors import DomainError
    from openets.storage.db import make_engine

    lab = load_lab(lab_file(tmp_path, 2, 1, 4))
    url = f"sqlite:///{tmp_path / 'lab.db'}"
    LabRunner(lab, url=url).run()
    eng = make_engine(url)
    with eng.connect() as c:
        before = [c.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in ("users", "parties", "transactions")]
    eng.dispose()
    with pytest.raises(DomainError) as e:
        LabRunner(lab, url=url).run()
    assert e.value.code == "lab_database_in_use"
    assert f"this one has {before[0]} users already" in e.value.message
    eng = make_engine(url)
    with eng.connect() as c:
        assert [c.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in ("users", "parties", "transactions")] == before
    eng.dispose()
