"""Market rules as data: sessions and the trading calendar, price bands and their rounding, the close
price (the block-trade and listed-size checks are in :mod:`openets.market.checks`). Pure: the rule
values come from the market's rule set; time is passed in.

Trading days: Chinese working days (chinese-calendar: public holidays and make-up workdays) that fall
on Monday–Friday — exchanges do not open on make-up Saturdays — plus a market's extra days (Beijing:
Saturday and Sunday 10–11 June 2017), minus its closed days (Shanghai: the auction day 30 June 2017).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any

from openets.core.clock import MARKET_TZ as TZ
from openets.core.errors import DomainError
from openets.core.prices import vwap
from openets.market.data import Print
from openets.rules.loader import FieldError, RuleSet


@dataclass(frozen=True, slots=True)
class TradingRules:
    market: str
    tick: int  # fen
    lot: int  # tonnes
    listed_band: Decimal  # ±, of the reference price (previous close)
    block_band: Decimal
    block_min: int  # tonnes
    listed_max: int | None  # a listed trade is below this size (national market: < 100,000 t)
    sessions: tuple[tuple[time, time], ...]
    block_sessions: tuple[tuple[time, time], ...]
    first_reference: int | None  # fen: a new instrument's first reference price
    close_rule: str  # vwap_listed, last
    extra_days: frozenset[date] = field(default_factory=frozenset)
    closed_days: frozenset[date] = field(default_factory=frozenset)
    delivery_days: int = 0  # T+0 or T+1: trading days between a trade and its delivery versus payment
    fee_rate: Decimal = Decimal(0)  # of the turnover, each side; rounded down to the fen per trade
    holding_limit: int | None = None  # most tonnes one account may hold plus have bid for (None: no limit)


def parse_trading_rules(market: str, data: dict[str, Any]) -> TradingRules:
    def sessions(items: Iterable[list[str]]) -> tuple[tuple[time, time], ...]:
        return tuple((time.fromisoformat(a), time.fromisoformat(b)) for a, b in items)

    try:
        return TradingRules(
            market=market, tick=int(data.get("tick_fen", 1)), lot=int(data.get("lot", 1)),
            listed_band=Decimal(str(data["listed_band"])), block_band=Decimal(str(data.get("block_band", "0"))),
            block_min=int(data.get("block_min", 0)), listed_max=data.get("listed_max"),
            sessions=sessions(data["sessions"]), block_sessions=sessions(data.get("block_sessions", data["sessions"])),
            first_reference=data.get("first_reference_fen"), close_rule=data.get("close_rule", "vwap_listed"),
            extra_days=frozenset(date.fromisoformat(str(d)) for d in data.get("extra_days", [])),
            closed_days=frozenset(date.fromisoformat(str(d)) for d in data.get("closed_days", [])),
            delivery_days=_delivery(str(data.get("delivery", "T+0"))), fee_rate=Decimal(str(data.get("fee_rate", "0"))),
            holding_limit=int(data["holding_limit"]) if data.get("holding_limit") is not None else None,
        )
    except (KeyError, ValueError) as exc:
        raise DomainError("rule_set_invalid", f"{market} trading rules: {exc}") from None


def _delivery(text: str) -> int:
    if text not in ("T+0", "T+1"):
        raise ValueError(f"delivery {text!r} is neither T+0 nor T+1")
    return int(text[2:])


def fee(rules: TradingRules, turnover_fen: int) -> int:
    """One side's fee on one trade: turnover × rate, rounded down to the fen — so the fees of an
    order's fills never exceed the fee on its whole reserved amount."""
    return int((turnover_fen * rules.fee_rate).to_integral_value(rounding=ROUND_FLOOR))


def next_trading_day(rules: TradingRules, day: date, n: int = 1) -> date:
    from datetime import timedelta

    while n > 0:
        day += timedelta(days=1)
        if is_trading_day(rules, day):
            n -= 1
    return day


def is_trading_day(rules: TradingRules, day: date) -> bool:
    """A working day on a weekday (the exchanges close on make-up Saturdays), unless the market's rules
    close or open it; a year the holiday calendar does not know raises ``calendar_year_unknown``."""
    from openets.rules.calendar import is_working_day

    if day in rules.closed_days:
        return False
    if day in rules.extra_days:
        return True
    return day.weekday() < 5 and is_working_day(day)


def in_session(rules: TradingRules, at: datetime, *, block: bool = False) -> bool:
    local = at.astimezone(TZ)
    if not is_trading_day(rules, local.date()):
        return False
    t = local.time()
    return any(a <= t < b for a, b in (rules.block_sessions if block else rules.sessions))


def band(reference: int, pct: Decimal, tick: int) -> tuple[int, int]:
    """(low, high) in fen around the reference price, rounded inward to the tick, so that no price
    outside ±pct is ever allowed: low rounded up, high rounded down."""
    if reference <= 0:
        raise DomainError("reference_invalid", "a band needs a positive reference price")
    low = (Decimal(reference) * (1 - pct) / tick).to_integral_value(rounding=ROUND_CEILING) * tick
    high = (Decimal(reference) * (1 + pct) / tick).to_integral_value(rounding=ROUND_FLOOR) * tick
    return int(low), int(high)


def close_price(rules: TradingRules, fills: Iterable[Print], previous: int | None) -> int | None:
    """The day's close: the national market's VWAP of listed (agreement) trades, block trades
    excluded, half-up to the tick; without trades, the previous close (or the first reference)."""
    fills = list(fills)
    if rules.close_rule == "last":
        listed = [f for f in fills if f.mode == "listed"]
        return listed[-1].price if listed else (previous or rules.first_reference)
    avg = vwap((f.price, f.quantity) for f in fills if f.mode == "listed")
    if avg is None:
        return previous if previous is not None else rules.first_reference
    return int((avg / rules.tick).to_integral_value(rounding=ROUND_HALF_UP)) * rules.tick


def parse_trading_section(rs: RuleSet, data: Mapping[str, Any]) -> TradingRules | list[FieldError]:
    """The section parser the rule book runs at load."""
    try:
        return parse_trading_rules(rs.market, dict(data))
    except DomainError as exc:
        return [FieldError("", exc.message)]
