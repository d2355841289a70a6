"""The dashboard's daily bars, aggregated in SQL, are the bars of the tape (market.data.bars over every
print): same days in Beijing time, open, high, low, close, volume and turnover; block trades left out."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert

from openets.core.clock import to_us
from openets.market.data import bars
from openets.services.exchange.market_data import read_daily_bars, read_tape
from openets.storage import tables as t
from openets.testing.builders import build_world


def test_sql_daily_bars_match_the_bars_of_the_tape(engine, clock) -> None:  # type: ignore[no-untyped-def]
    build_world(engine, clock)
    # trades as stored: 31 May 23:59 and 1 June 00:00 in Beijing (15:59Z / 16:00Z) fall on two days
    at = [datetime(2017, 5, 31, 15, 59, tzinfo=UTC), datetime(2017, 5, 31, 16, 0, tzinfo=UTC),
          datetime(2017, 6, 1, 2, 0, tzinfo=UTC), datetime(2017, 6, 1, 3, 0, tzinfo=UTC),
          datetime(2017, 6, 1, 6, 0, tzinfo=UTC), datetime(2017, 6, 2, 2, 0, tzinfo=UTC)]
    rows = [(at[0], 4000, 10, "listed"), (at[1], 5000, 100, "listed"), (at[2], 5200, 50, "listed"),
            (at[3], 9000, 999, "block"), (at[4], 4900, 50, "listed"), (at[5], 5100, 5, "listed")]
    with engine.begin() as c:
        c.execute(insert(t.trades), [_trade(i, *r) for i, r in enumerate(rows)])
    got, count = read_daily_bars(engine, "BEA-2016")
    assert count == 6
    assert got == bars(read_tape(engine, "BEA-2016"))
    one = got[1]  # 1 June: open 5000, high 5200, low 4900, close 4900, 200 t, 500,000 + 260,000 + 245,000 fen
    assert [b.start.date().isoformat() for b in got] == ["2017-05-31", "2017-06-01", "2017-06-02"]
    assert (one.open, one.high, one.low, one.close, one.volume, one.turnover) == (5000, 5200, 4900, 4900, 200, 1_005_000)


def _trade(i: int, at: datetime, price: int, qty: int, mode: str) -> dict[str, object]:
    return {"id": i + 1, "instrument": "BEA-2016", "buy_order": 0, "sell_order": 0, "price_fen": price, "quantity": qty,
            "at_us": to_us(at), "market": "BJ", "mode": mode}
