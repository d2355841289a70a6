"""The policy lab's figure: a lab year of 1,000 firms with linear MACs, 250 trading days, ≥ 100,000
orders through the real exchange and registry (the lab's default database: SQLite in memory), against
the analytic model. Reports wall time, peak memory (ru_maxrss), orders per second, price against the
analytic price, and efficiency. Targets: < 20 s, < 2 GiB.

    python bench/lab_bench.py [--quick] [--firms 1000] [--days 250] [--orders-per-day 400]
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from openets.simulation.lab import LabRunner  # noqa: E402
from openets.simulation.labfile import load_lab  # noqa: E402


def write_lab(folder: Path, firms: int, days: int, per_day: int, seed: int) -> Path:
    """Firms as in tests/integration/test_policy_lab.py: BAU 50–500 kt, allocation 85–100 % of it,
    MAC slope 600 / BAU × U(0.5, 2) yuan per tonne per tonne."""
    rng = random.Random(seed)
    lines = ["firm_id,sector,bau_t,allocation_t,mac_slope"]
    for i in range(firms):
        bau = rng.randint(50_000, 500_000)
        lines.append(f"F{i:05d},{['cement', 'power', 'steel'][i % 3]},{bau},{int(bau * rng.uniform(0.85, 1.0))},"
                     f"{600 / bau * rng.uniform(0.5, 2):.8f}")
    (folder / "firms.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    lab = folder / "lab.toml"
    lab.write_text(f'[lab]\nname = "bench"\nmarket = "CEA"\nyears = [2023]\ntrading_days = {days}\n'
                   f'orders_per_day = {per_day}\npenalty_yuan = "300"\nseed = 1\nfirms = "firms.csv"\n', encoding="utf-8")
    return lab


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="100 firms, 25 days, 200 orders a day")
    ap.add_argument("--firms", type=int, default=1000)
    ap.add_argument("--days", type=int, default=250)
    ap.add_argument("--orders-per-day", type=int, default=420)
    args = ap.parse_args()
    firms, days, per_day = (100, 25, 200) if args.quick else (args.firms, args.days, args.orders_per_day)
    with tempfile.TemporaryDirectory() as tmp:
        lab = load_lab(write_lab(Path(tmp), firms, days, per_day, 7))
        t0 = time.perf_counter()
        result = LabRunner(lab).run()
        wall = time.perf_counter() - t0
    (y,) = result.years
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"lab year: {firms:,} firms, {days} trading days, {y.orders:,} orders, {y.trades:,} trades, {y.volume_t:,} t")
    print(f"wall {wall:.1f} s (target < 20 s), {y.orders / wall:,.0f} orders/s, peak memory {peak:,.0f} MiB (target < 2,048)")
    print(f"price {y.price_yuan} yuan vs analytic {y.analytic_price_yuan} "
          f"({(y.price_yuan / y.analytic_price_yuan - 1) * 100 if y.price_yuan else 0:+.1f} %), efficiency {y.efficiency}, "
          f"compliance {y.compliance_rate}")


if __name__ == "__main__":
    main()
