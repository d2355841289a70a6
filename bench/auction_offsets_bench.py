"""Auction and offsets figures: clearing 100,000 bids; eligibility of 100,000 credits.

    python bench/auction_offsets_bench.py [--quick]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from openets.market.auction import AuctionRules, Bid, clear  # noqa: E402
from openets.offsets.eligibility import Credit, check, parse_offset_rules  # noqa: E402
from openets.rules.loader import default_rulebook  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    n = 10_000 if ap.parse_args().quick else 100_000
    rng = random.Random(3)
    start = datetime(2017, 6, 30, 1, 30, tzinfo=UTC)
    bids = [Bid(rng.randint(1, 5_000), f"b{i}", rng.randint(3800, 4800), rng.randint(1, 100) * 100,
                start + timedelta(seconds=rng.randint(0, 3700))) for i in range(n)]
    rules = AuctionRules(volume=n * 2_000, closes_at=start + timedelta(hours=1), reserve=4152)
    t0 = time.perf_counter()
    result = clear(bids, rules)
    t1 = time.perf_counter()
    print(f"auction: {n:,} bids cleared in {t1 - t0:.2f} s (target < 1 s); price {result.clearing_price} fen, "
          f"{result.winners:,} winners, {len(result.rejected):,} rejected")

    rs = default_rulebook().lookup("HB", 2016, date(2017, 6, 15), "offsets")
    hb = parse_offset_rules("HB", 2016, rs.document, rs.raw["offsets"])
    tags = frozenset({"hubei_key_poverty_county_yangtze_cluster"})
    credits = [Credit(f"c{i}", "CCER", f"P{i % 500}", rng.choice(["rural_biogas", "forestry", "wind"]),
                      rng.choice(["42", "42", "44"]), "421100", date(rng.randint(2012, 2016), 1, 1),
                      date(rng.randint(2013, 2016), 12, 31), rng.randint(1, 10_000), frozenset(), tags)
               for i in range(n)]
    t0 = time.perf_counter()
    verdicts = check(credits, "HB1", hb, basis=10**12, applied_on=date(2017, 6, 15))
    t1 = time.perf_counter()
    print(f"offsets: eligibility of {n:,} credits in {t1 - t0:.2f} s (target < 2 s); "
          f"{sum(1 for v in verdicts if v.usable):,} usable")


if __name__ == "__main__":
    main()
