"""Matching core figures: pre-built orders (parsing excluded) through the exact book the service will
use, events included, beside a plain heap-based book with no rules as the floor.

    python bench/matching_bench.py [--quick] [--rounds N] [--retain]

Both are timed on the process's CPU clock (time.process_time), so other processes on a shared machine
do not count against either, in alternating rounds; the figures are the best round of each (the least
disturbed), the ratio theirs, and each round's own ratio is printed too.
"""

from __future__ import annotations

import argparse
import heapq
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from openets.market.orderbook import BUY, LIMIT, SELL, BookRules, Order, OrderBook  # noqa: E402


def make(n: int, seed: int = 1) -> list[tuple[int, int, str, int, int]]:
    """~25 % marketable: prices around a mid of 5,000 fen; a quarter cross the spread."""
    rng = random.Random(seed)
    out = []
    for i in range(1, n + 1):
        side = BUY if rng.random() < 0.5 else SELL
        cross = rng.random() < 0.25
        off = rng.randint(1, 20)
        price = (5000 + off if side == BUY else 5000 - off) if cross else (5000 - off if side == BUY else 5000 + off)
        out.append((i, rng.randint(1, 1000), side, price, rng.randint(1, 10) * 10))
    return out


def ours(specs: list[tuple[int, int, str, int, int]], retain: bool = False) -> tuple[float, int]:
    # Every event is built and handed to the sink, which reads it and lets it go, as the exchange
    # service does (it settles a batch's fills and drops them); retaining millions of events would
    # measure the garbage collector rescanning them instead of the book.
    # (--retain keeps them all, as this bench did before 2026-12-02.)
    trades = [0]
    kept: list[object] = []

    def sink(e: object) -> None:
        if retain:
            kept.append(e)
        if e.kind == "trade":  # type: ignore[attr-defined]  # every event has a kind
            trades[0] += 1

    book = OrderBook("CEA", BookRules(band_low=4500, band_high=5500), sink)
    orders = [Order(i, p, s, LIMIT, price, q) for i, p, s, price, q in specs]
    t0 = time.process_time()
    for o in orders:
        book.submit(o)
    return time.process_time() - t0, trades[0]


def floor(specs: list[tuple[int, int, str, int, int]]) -> float:
    """A heap per side, no checks, no events, no self-trade rule: the least matching can cost."""
    bids: list[list[int]] = []
    asks: list[list[int]] = []
    t0 = time.process_time()
    for i, _p, side, price, q in specs:
        if side == BUY:
            while q and asks and asks[0][0] <= price:
                top = asks[0]
                take = min(q, top[2])
                q -= take
                top[2] -= take
                if not top[2]:
                    heapq.heappop(asks)
            if q:
                heapq.heappush(bids, [-price, i, q])
        else:
            while q and bids and -bids[0][0] >= price:
                top = bids[0]
                take = min(q, top[2])
                q -= take
                top[2] -= take
                if not top[2]:
                    heapq.heappop(bids)
            if q:
                heapq.heappush(asks, [price, i, q])
    return time.process_time() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--retain", action="store_true", help="keep every event (the garbage collector then rescans them)")
    args = ap.parse_args()
    n = 100_000 if args.quick else 1_000_000
    specs = make(n)
    ts: list[float] = []
    fs: list[float] = []
    n_trades = 0
    for r in range(args.rounds):  # alternate which goes first
        if r % 2:
            fs.append(floor(specs))
        t, n_trades = ours(specs, args.retain)
        ts.append(t)
        if not r % 2:
            fs.append(floor(specs))
    t, f = min(ts), min(fs)
    print(f"matching core: {n / t:,.0f} orders/s (target ≥ 100,000; {n:,} orders, {n_trades:,} trades, events "
          f"included{', all retained' if args.retain else ''}); heap floor {n / f:,.0f} orders/s; ratio {f / t:.2f} "
          f"(best of {args.rounds} rounds each; "
          f"each round's ratio: {', '.join(f'{b / a:.2f}' for a, b in zip(ts, fs))})")


if __name__ == "__main__":
    main()
