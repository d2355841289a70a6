"""The policy lab's figure: a lab year of 1,000 firms with linear MACs, 250 trading days, ≥ 100,000
orders through the real exchange and registry (the lab's default database: SQLite in memory), against
the analytic model. Reports wall time, peak memory (ru_maxrss), orders per second, price against the
analytic price, and efficiency. Targets: < 20 s, < 2 GiB.

    python bench/lab_bench.py [--quick] [--firms 1000] [--days 250] [--orders-per-day 400]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from openets.simulation.lab import LabRunner  # noqa: E402
from openets.simulation.labfile import load_lab  # noqa: E402
from openets.testing.lab import write_lab_file  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="100 firms, 25 days, 200 orders a day")
    ap.add_argument("--firms", type=int, default=1000)
    ap.add_argument("--days", type=int, default=250)
    ap.add_argument("--orders-per-day", type=int, default=420)
    args = ap.parse_args()
    firms, days, per_day = (100, 25, 200) if args.quick else (args.firms, args.days, args.orders_per_day)
    with tempfile.TemporaryDirectory() as tmp:
        lab = load_lab(write_lab_file(Path(tmp), firms, days, per_day, years="[2023]"))
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
