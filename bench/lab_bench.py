"""The policy lab's figure: a lab year of 1,000 firms with linear MACs, 250 trading days, ≥ 100,000
orders through the real exchange and registry (the lab's default database: SQLite in memory), against
the analytic model. Reports wall time, peak memory (ru_maxrss), orders per second, price against the
analytic price, and efficiency. Targets: < 20 s, < 2 GiB.

Beside it, a floor measured in the same run: the same agents quoting the same number of orders a day
into a plain heap book (no registry, no exchange rules, no database; a ±10 % band around the day's
last price, the national market's) — what the agents and matching alone cost on this machine now,
so a figure taken on a loaded machine can be read as a ratio.

    python bench/lab_bench.py [--quick] [--firms 1000] [--days 250] [--orders-per-day 400]
"""

from __future__ import annotations

import argparse
import heapq
import random
import resource
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from openets.core.actor import Actor, Role  # noqa: E402
from openets.core.ids import AccountId, PartyId  # noqa: E402
from openets.simulation.lab import LabRunner  # noqa: E402
from openets.simulation.lab_agents import Agent  # noqa: E402
from openets.simulation.lab_analytic import LabModel  # noqa: E402
from openets.simulation.labfile import Lab, load_lab  # noqa: E402
from openets.testing.lab import write_lab_file  # noqa: E402


def floor(lab: Lab) -> tuple[float, int]:
    """The floor: (seconds, orders) — the lab's agents and a heap book, nothing else."""
    model = LabModel(lab)
    ref = int(model.answer()[0][0] * 100)  # opened at the analytic price (not timed)
    t0 = time.perf_counter()
    h, penalty, bank = lab.head, model.penalty, Fraction(0)
    actor = Actor("floor", PartyId(0), Role.COMPANY)
    agents = [Agent(f.firm_id, f.sector, f.curve(), f.bau, actor, AccountId(i), f.firm_id, 0, slice_t=max(1, f.bau // 200),
                    position=lab.allocation(f, 0)) for i, f in enumerate(lab.firms)]
    rng = random.Random(h.seed)
    orders = 0
    for _day in range(h.trading_days):
        low, high = ref * 9 // 10, ref * 11 // 10
        bids: list[list] = []  # [−price, seq, tonnes, agent]
        asks: list[list] = []
        for seq in range(h.orders_per_day):
            for _try in range(3):
                a = agents[rng.randrange(len(agents))]
                quote = a.quote(rng, ref, low, high, penalty, bank)
                if quote is None:
                    continue
                side, q, price = quote
                orders += 1
                book, other = (bids, asks) if side == "buy" else (asks, bids)
                while q and other and (other[0][0] <= price if side == "buy" else -other[0][0] >= price):
                    top = other[0]
                    take = min(q, top[2])
                    q, top[2] = q - take, top[2] - take
                    buyer, seller = (a, top[3]) if side == "buy" else (top[3], a)
                    buyer.position += take
                    seller.position -= take
                    ref = abs(top[0])
                    if not top[2]:
                        heapq.heappop(other)
                if q:
                    heapq.heappush(book, [-price if side == "buy" else price, seq, q, a])
                break
    return time.perf_counter() - t0, orders


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="100 firms, 25 days, 200 orders a day")
    ap.add_argument("--firms", type=int, default=1000)
    ap.add_argument("--days", type=int, default=250)
    ap.add_argument("--orders-per-day", type=int, default=420)
    ap.add_argument("--ensemble", type=int, default=0, metavar="N",
                    help="instead: an ensemble of N such runs (seeds 1 … N, bau_shock 0.05), target < 4 min for 20")
    ap.add_argument("--workers", type=int, default=2, help="the ensemble's worker processes")
    args = ap.parse_args()
    firms, days, per_day = (100, 25, 200) if args.quick else (args.firms, args.days, args.orders_per_day)
    if args.ensemble:
        ensemble(firms, days, per_day, args.ensemble, args.workers)
        return
    with tempfile.TemporaryDirectory() as tmp:
        lab = load_lab(write_lab_file(Path(tmp), firms, days, per_day, years="[2023]"))
        t0 = time.perf_counter()
        result = LabRunner(lab).run()
        wall = time.perf_counter() - t0
        floor_s, floor_orders = floor(lab)
    (y,) = result.years
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"lab year: {firms:,} firms, {days} trading days, {y.orders:,} orders, {y.trades:,} trades, {y.volume_t:,} t")
    print(f"wall {wall:.1f} s (target < 20 s), {y.orders / wall:,.0f} orders/s, peak memory {peak:,.0f} MiB (target < 2,048)")
    print(f"floor (the same agents into a plain heap book, same run): {floor_s:.1f} s for {floor_orders:,} orders, "
          f"{floor_orders / floor_s:,.0f} orders/s; lab/floor {wall / floor_s:.1f}")
    print(f"price {y.price_yuan} yuan vs analytic {y.analytic_price_yuan} "
          f"({(y.price_yuan / y.analytic_price_yuan - 1) * 100 if y.price_yuan else 0:+.1f} %), efficiency {y.efficiency}, "
          f"compliance {y.compliance_rate}")


def ensemble(firms: int, days: int, per_day: int, runs: int, workers: int) -> None:
    """``lab run --runs N --workers W``'s path (``run_ensemble``), each firm's BAU shocked per seed; beside
    it the floor of one run (the heap book) × runs ÷ workers, what the agents alone would cost spread the
    same way."""
    from openets.simulation.lab_ensemble import run_ensemble, summarise

    with tempfile.TemporaryDirectory() as tmp:
        path = write_lab_file(Path(tmp), firms, days, per_day, years="[2023]")
        path.write_text(path.read_text(encoding="utf-8") + "bau_shock = \"0.05\"\n", encoding="utf-8")
        lab = load_lab(path)
        t0 = time.perf_counter()
        results = run_ensemble(path, runs, workers, lab.head.seed)
        wall = time.perf_counter() - t0
        floor_s, _ = floor(lab)
    (row,) = summarise(results)
    each = sorted(r.seconds for r in results)
    spread = floor_s * runs / workers
    print(f"ensemble: {runs} runs of {firms:,} firms × {days} days, {workers} workers")
    worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the largest worker's, MiB
    parent = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"wall {wall:.1f} s (target < 240 s for 20 runs), runs {each[0]:.1f}–{each[-1]:.1f} s each; peak memory "
          f"{worker:,.0f} MiB a worker, {parent:,.0f} MiB the parent")
    print(f"floor (one run's agents into a heap book, {floor_s:.2f} s, × {runs} ÷ {workers}): {spread:.1f} s; "
          f"ensemble/floor {wall / spread:.1f}")
    price = row["price_yuan"]
    print(f"price median {price['median']} yuan (5–95 %: {price['p5']}–{price['p95']}), analytic median "
          f"{row['analytic_price_yuan']['median']}")


if __name__ == "__main__":
    main()
