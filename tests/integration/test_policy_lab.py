"""The policy lab through the real exchange and registry: economic agents with linear MACs reach
the analytic competitive price and near-least cost (Gode & Sunder), and a seed gives the same trades
and holdings on the in-memory database and on a SQLite file."""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path

from openets.simulation.lab import LabRunner
from openets.simulation.labfile import load_lab


def lab_file(tmp: Path, n: int, days: int, orders: int, *, seed: int = 7, years: str = "[2021]") -> Path:
    """n firms: BAU 50–500 kt, allocation 85–100 % of it, MAC slope 600 / BAU × U(0.5, 2) yuan/t/t
    (so a firm abates 1/600 × U(0.5, 2)⁻¹ of its BAU per yuan of price: ~8 % at 50 yuan)."""
    rng = random.Random(seed)
    lines = ["firm_id,sector,bau_t,allocation_t,mac_slope"]
    for i in range(n):
        bau = rng.randint(50_000, 500_000)
        lines.append(f"F{i:04d},{['cement', 'power', 'steel'][i % 3]},{bau},{int(bau * rng.uniform(0.85, 1.0))},"
                     f"{600 / bau * rng.uniform(0.5, 2):.8f}")
    (tmp / "firms.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    lab = tmp / "lab.toml"
    lab.write_text(f'[lab]\nname = "t"\nmarket = "CEA"\nyears = {years}\ntrading_days = {days}\n'
                   f'orders_per_day = {orders}\npenalty_yuan = "300"\nseed = 1\nfirms = "firms.csv"\n', encoding="utf-8")
    return lab


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
