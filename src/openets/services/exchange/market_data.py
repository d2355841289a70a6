"""Market data: the tape (every trade, oldest first), the book's depth, the reference price."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, bindparam, select

from openets.core.clock import MARKET_TZ, from_us, to_us
from openets.market.data import Bar, Print, daily_bars_raw
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


_SEL_DAYS = select(t.trades.c.at_us, t.trades.c.price_fen, t.trades.c.quantity, t.trades.c.mode).where(
    t.trades.c.instrument == bindparam("instrument")).order_by(t.trades.c.id)


def read_daily_bars(engine: Engine, instrument: str) -> tuple[list[Bar], int]:
    """The instrument's daily bars (listed trades, as :func:`openets.market.data.bars`) and its number of
    trades, from the stored rows without a Print per trade (the dashboard's pages of a long tape)."""
    with autocommit(engine) as c:
        rows = run(c, _SEL_DAYS, {"instrument": instrument}, raw=True)
    return daily_bars_raw(rows), len(rows)


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
