from datetime import UTC, datetime
from decimal import Decimal as D

from openets.market.data import Print, bars, daily_stats, vwap


def p(h: int, m: int, price: int, qty: int, mode: str = "listed", day: int = 16) -> Print:
    return Print(datetime(2021, 7, day, h - 8, m, tzinfo=UTC), "CEA", price, qty, mode)


TAPE = [p(9, 30, 4800, 100), p(9, 45, 5100, 300), p(10, 10, 5000, 200), p(14, 0, 4500, 100_000, "block"),
        p(9, 31, 5200, 50, day=19)]


def test_daily_and_intraday_bars_leave_block_trades_out() -> None:
    day = bars(TAPE)
    assert [(b.open, b.high, b.low, b.close, b.volume) for b in day] == [(4800, 5100, 4800, 5000, 600),
                                                                           (5200, 5200, 5200, 5200, 50)]
    assert day[0].vwap == D(4800 * 100 + 5100 * 300 + 5000 * 200) / 600
    hourly = bars(TAPE, minutes=60)
    assert [(b.start.hour, b.volume) for b in hourly] == [(9, 400), (10, 200), (9, 50)]


def test_vwap_window_and_cumulative_stats() -> None:
    # (4,800 × 100 + 5,100 × 300 + 5,000 × 200) / 600
    assert vwap(TAPE, datetime(2021, 7, 16, tzinfo=UTC), datetime(2021, 7, 17, tzinfo=UTC)) == D(3_010_000) / 600
    assert vwap(TAPE, datetime(2021, 8, 1, tzinfo=UTC), datetime(2021, 8, 2, tzinfo=UTC)) is None
    stats = daily_stats(TAPE)
    assert (stats[0].volume, stats[1].cumulative_volume) == (100_600, 100_650)  # block trades count in volume
