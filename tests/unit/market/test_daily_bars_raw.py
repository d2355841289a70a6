"""The dashboard's fast daily bars (from stored rows, no Print per trade) are the bars of the tape:
the same days, opens, highs, lows, closes, volumes and turnovers as :func:`openets.market.data.bars`,
on a tape crossing Beijing's midnight (16:00 UTC), with block trades left out and ties in time."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from openets.core.clock import from_us, to_us
from openets.market.data import Print, bars, daily_bars_raw


def test_raw_daily_bars_match_the_bars_of_the_prints() -> None:
    rng = random.Random(7)
    start = to_us(datetime(2017, 6, 1, 1, 30, tzinfo=UTC))
    rows = []
    for _ in range(3000):
        at = start + rng.randrange(0, 20 * 86_400_000_000)  # 20 days, any hour: midnight in Beijing too
        rows.append((at, rng.randrange(4000, 6000), rng.randrange(1, 500), rng.choice(("listed", "listed", "block"))))
    rows.append(rows[10][:1] + (4321, 7, "listed"))  # a tie in time: the stored order decides open/close
    prints = [Print(from_us(at), "BEA-2016", p, q, m) for at, p, q, m in rows]
    assert daily_bars_raw(rows) == bars(prints)
    assert daily_bars_raw(rows, modes=("listed", "block")) == bars(prints, modes=("listed", "block"))


def test_a_hand_computed_day() -> None:
    # 2017-06-01 in Beijing runs from 2017-05-31T16:00Z: the 15:59Z trade is still 31 May's
    day = [(to_us(datetime(2017, 5, 31, 15, 59, tzinfo=UTC)), 4000, 10, "listed"),
           (to_us(datetime(2017, 5, 31, 16, 0, tzinfo=UTC)), 5000, 100, "listed"),
           (to_us(datetime(2017, 6, 1, 2, 0, tzinfo=UTC)), 5200, 50, "listed"),
           (to_us(datetime(2017, 6, 1, 3, 0, tzinfo=UTC)), 9000, 999, "block"),  # left out
           (to_us(datetime(2017, 6, 1, 6, 0, tzinfo=UTC)), 4900, 50, "listed")]
    got = daily_bars_raw(day)
    assert [b.start.date().isoformat() for b in got] == ["2017-05-31", "2017-06-01"]
    one = got[1]
    # open 5000, high 5200, low 4900, close 4900; volume 100 + 50 + 50 = 200;
    # turnover 5000×100 + 5200×50 + 4900×50 = 500,000 + 260,000 + 245,000 = 1,005,000 fen
    assert (one.open, one.high, one.low, one.close, one.volume, one.turnover) == (5000, 5200, 4900, 4900, 200, 1_005_000)
