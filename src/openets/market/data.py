"""Market data from the trade tape: OHLCV bars (daily or intraday, the 碳 K 线), VWAP over any window,
daily and cumulative volume and turnover. Pure; prices in fen, volumes in tonnes, turnover in fen."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from openets.core.clock import MARKET_TZ as TZ
from openets.core.prices import vwap as volume_weighted


@dataclass(frozen=True, slots=True)
class Print:
    """One trade on the tape."""

    at: datetime
    instrument: str
    price: int
    quantity: int
    mode: str = "listed"  # listed, block, auction

    @property
    def day(self) -> date:
        """The trading day, in the markets' zone."""
        return self.at.astimezone(TZ).date()


@dataclass(frozen=True, slots=True)
class Bar:
    start: datetime
    open: int
    high: int
    low: int
    close: int
    volume: int
    turnover: int  # fen

    @property
    def vwap(self) -> Decimal:
        return Decimal(self.turnover) / self.volume


def bars(prints: Iterable[Print], *, minutes: int | None = None, modes: tuple[str, ...] = ("listed",)) -> list[Bar]:
    """OHLCV bars in Asia/Shanghai time: daily (``minutes=None``) or of ``minutes`` each; block trades
    left out unless asked for (they do not make the national market's price)."""
    buckets: dict[datetime, list[Print]] = {}
    for p in sorted(prints, key=lambda x: x.at):
        if p.mode not in modes:
            continue
        local = p.at.astimezone(TZ)
        if minutes is None:
            start = datetime(local.year, local.month, local.day, tzinfo=TZ)
        else:
            m = (local.hour * 60 + local.minute) // minutes * minutes
            start = datetime(local.year, local.month, local.day, tzinfo=TZ) + timedelta(minutes=m)
        buckets.setdefault(start, []).append(p)
    out = []
    for start, ps in sorted(buckets.items()):
        prices = [p.price for p in ps]
        out.append(Bar(start, ps[0].price, max(prices), min(prices), ps[-1].price, sum(p.quantity for p in ps),
                       sum(p.price * p.quantity for p in ps)))
    return out


def vwap(prints: Iterable[Print], start: datetime, end: datetime, *, modes: tuple[str, ...] = ("listed",)) -> Decimal | None:
    return volume_weighted((p.price, p.quantity) for p in prints if start <= p.at <= end and p.mode in modes)


@dataclass(frozen=True, slots=True)
class DayStats:
    day: date
    volume: int
    turnover: int
    cumulative_volume: int
    cumulative_turnover: int


def daily_stats(prints: Iterable[Print]) -> list[DayStats]:
    """Per day (all trade modes): volume and turnover, and their running totals (the seed's
    cumulative figures: Beijing 17.88 Mt by 10 June 2017 …)."""
    per: dict[date, list[int]] = {}
    for p in prints:
        d = p.day
        v = per.setdefault(d, [0, 0])
        v[0] += p.quantity
        v[1] += p.price * p.quantity
    out, cv, ct = [], 0, 0
    for d in sorted(per):
        cv += per[d][0]
        ct += per[d][1]
        out.append(DayStats(d, per[d][0], per[d][1], cv, ct))
    return out
