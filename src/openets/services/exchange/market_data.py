"""Market data: the tape (every trade, oldest first), the book's depth, the reference price."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Engine, bindparam, func, select

from openets.core.clock import MARKET_TZ, from_us, to_us
from openets.market.data import Bar, Print
from openets.market.rules import close_price
from openets.services.exchange.base import ExchangeBase
from openets.storage import tables as t
from openets.storage.db import autocommit
from openets.storage.fastsql import run

# the reads every market-data request makes, built once (the driver runs them directly)
_tape = select(t.trades.c.at_us, t.trades.c.price_fen, t.trades.c.quantity, t.trades.c.mode).where(
    t.trades.c.instrument == bindparam("instrument"), t.trades.c.at_us >= bindparam("since"))
_SEL_TAPE = _tape.order_by(t.trades.c.id)
_SEL_TAPE_LAST = _tape.order_by(t.trades.c.id.desc()).limit(bindparam("last"))


def read_tape(engine: Engine, instrument: str, since: datetime | None = None, *,
              last: int | None = None) -> list[Print]:
    """The tape, oldest first: every trade since ``since``, or only the ``last`` N of them (read
    from the newest end, so the cost does not grow with the tape's length). Needs no trading rules:
    the tape of an instrument not traded today is still its history."""
    params = {"instrument": instrument, "since": -(2**62) if since is None else to_us(since)}
    with autocommit(engine) as c:
        if last is None:
            rows = run(c, _SEL_TAPE, params, raw=True)
        else:
            rows = run(c, _SEL_TAPE_LAST, {**params, "last": last}, raw=True)
            rows.reverse()
    return [Print(from_us(at), instrument, price, qty, mode) for at, price, qty, mode in rows]


_DAY_US = 86_400_000_000


def read_daily_bars(engine: Engine, instrument: str) -> tuple[list[Bar], int]:
    """The instrument's daily bars of listed trades (:func:`openets.market.data.bars`) and its number of
    trades, aggregated in SQL (a page of a 30,000-trade tape needs its 40 days, not its prints): the day
    in the markets' zone (a fixed offset: no daylight saving in China since 1991), open and close the
    day's first and last trade in stored order (trades are stored as they happen)."""
    tr = t.trades
    off = int((datetime.now(MARKET_TZ).utcoffset() or timedelta()).total_seconds()) * 1_000_000
    day = ((tr.c.at_us + off) // _DAY_US).label("d")  # floor division, rendered as integer division by SQLAlchemy
    listed = (tr.c.instrument == instrument) & (tr.c.mode == "listed")
    with autocommit(engine) as c:
        days = c.execute(select(day, func.min(tr.c.price_fen), func.max(tr.c.price_fen), func.sum(tr.c.quantity),
                                func.sum(tr.c.price_fen * tr.c.quantity), func.min(tr.c.id), func.max(tr.c.id))
                         .where(listed).group_by(day).order_by(day)).all()
        ends = [i for d in days for i in (d[5], d[6])]
        price = dict(c.execute(select(tr.c.id, tr.c.price_fen).where(tr.c.id.in_(ends))).all()) if ends else {}
        count = c.execute(select(func.count()).select_from(tr).where(tr.c.instrument == instrument)).scalar_one()
    out = []
    for d, low, high, volume, turnover, first, last in days:
        local = date(1970, 1, 1) + timedelta(days=int(d))
        out.append(Bar(datetime(local.year, local.month, local.day, tzinfo=MARKET_TZ), price[first], int(high), int(low),
                       price[last], int(volume), int(turnover)))
    return out, int(count)


class MarketData(ExchangeBase):
    def prints(self, since: datetime | None = None, *, last: int | None = None) -> list[Print]:
        """The tape of this instrument (:func:`read_tape`)."""
        return read_tape(self.engine, self.instrument, since, last=last)

    def depth(self, levels: int = 5) -> dict[str, list[tuple[int, int]]]:
        return self.book.depth(levels)

    def _reference(self) -> int | None:
        """The previous close: by the market's close rule from the last day with listed trades, else
        the instrument's first reference price."""
        prints = self.prints()
        days = sorted({p.day for p in prints if p.mode == "listed"})
        today = self.clock.now().astimezone(MARKET_TZ).date()
        past = [d for d in days if d < today]
        first = self.trading.first_reference if self.trading else None
        if not past or self.trading is None:
            return first
        return close_price(self.trading, [p for p in prints if p.day == past[-1]], first)
