"""End to end through the exchange service on SQLite: every order durably logged, matched, and every
trade settled delivery-versus-payment in the registry (units, cash, fees), commits batched.

    python bench/exchange_bench.py [--quick] [--batch 1000]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from openets.core.clock import FixedClock  # noqa: E402
from openets.market.orderbook import BUY, SELL  # noqa: E402
from openets.market.rules import parse_trading_rules  # noqa: E402
from openets.rules.loader import default_rulebook  # noqa: E402
from openets.services.exchange import ExchangeService, OrderRequest  # noqa: E402
from openets.storage.db import make_engine  # noqa: E402
from openets.storage.migrate import upgrade  # noqa: E402
from openets.testing.builders import build_world  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--batch", type=int, default=5000)
    ap.add_argument("--companies", type=int, default=200)
    ap.add_argument("--orders", type=int, default=0)
    args = ap.parse_args()
    n = args.orders or (20_000 if args.quick else 200_000)
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/bench.db")
        upgrade(engine)
        clock = FixedClock(datetime(2017, 6, 1, 2, 0, tzinfo=UTC))
        w = build_world(engine, clock, market="BJ", companies=args.companies, cap=args.companies * 10_000_000,
                        issue=args.companies * 10_000_000,
                        allocate=10_000_000)
        rs = default_rulebook().lookup("BJ", 2016, date(2017, 6, 1), "trading")
        ex = ExchangeService(w.svc, market="BJ", instrument=w.unit_class.code,
                             trading=parse_trading_rules("BJ", rs.raw["trading"]))
        ex.reference = 5000
        ex._rebuild()
        for co in w.companies:
            ex.deposit(co, 10**12)
        rng = random.Random(1)
        reqs = []
        for _ in range(n):  # ~25 % marketable around a mid of 50.00 yuan
            k = rng.randrange(len(w.companies))
            side = BUY if rng.random() < 0.5 else SELL
            off = rng.randint(1, 20) * 5
            cross = rng.random() < 0.25
            price = (5000 + off if side == BUY else 5000 - off) if cross else (5000 - off if side == BUY else 5000 + off)
            reqs.append(OrderRequest(w.companies[k], w.accounts[k].number, side, rng.randint(1, 10) * 10, price))
        t0 = time.perf_counter()
        statuses: dict[str, int] = {}
        lat = []
        for i in range(0, n, args.batch):
            s0 = time.perf_counter()
            for p in ex.submit_many(reqs[i:i + args.batch]):
                statuses[str(p.status)] = statuses.get(str(p.status), 0) + 1
            lat.append(time.perf_counter() - s0)
        dt = time.perf_counter() - t0
        with engine.connect() as c:
            from sqlalchemy import text

            trades = c.execute(text("SELECT count(*) FROM trades")).scalar_one()
        problems = ex.reconcile()
        print(f"exchange end to end (SQLite, batches of {args.batch}): {n / dt:,.0f} orders/s (target ≥ 5,000; "
              f"{n:,} orders, {trades:,} trades settled in the registry, {statuses}; a batch acknowledged in "
              f"{sorted(lat)[len(lat) // 2] * 1000:,.0f} ms at the median); reconciliation: "
              f"{'clean' if not problems else problems[:3]}")
        if problems:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
