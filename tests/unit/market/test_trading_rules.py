from datetime import UTC, date, datetime
from decimal import Decimal as D

from openets.market.checks import check_block
from openets.market.data import Print
from openets.market.orderbook import BUY, LIMIT, SELL, BookRules, Order, OrderBook, TradeExecuted
from openets.market.rules import band, close_price, in_session, is_trading_day, parse_trading_rules
from openets.rules.loader import default_rulebook


def rules(market: str, year: int, on: date):  # type: ignore[no-untyped-def]
    rs = default_rulebook().lookup(market, year, on, "trading")
    return parse_trading_rules(market, rs.raw["trading"])


def test_band_rounds_inward() -> None:
    assert band(4800, D("0.10"), 1) == (4320, 5280)  # 48 yuan ± 10 %
    assert band(4805, D("0.10"), 1) == (4325, 5285)  # 4,324.5 → 4,325 up; 5,285.5 → 5,285 down
    assert band(4805, D("0.10"), 10) == (4330, 5280)  # on a 0.10-yuan tick
    assert band(4800, D("0.30"), 1) == (3360, 6240)  # the block band


def test_calendar_sessions_extra_and_closed_days() -> None:
    bj = rules("BJ", 2016, date(2017, 6, 1))
    assert is_trading_day(bj, date(2017, 6, 10)) and is_trading_day(bj, date(2017, 6, 11))  # extra weekend days
    assert not is_trading_day(bj, date(2017, 5, 30))  # Dragon Boat festival
    assert not is_trading_day(bj, date(2017, 5, 27))  # a make-up workday, but a Saturday: exchanges stay shut
    sh = rules("SH", 2016, date(2017, 6, 1))
    assert not is_trading_day(sh, date(2017, 6, 30))  # the auction day
    cea = rules("CEA", 2021, date(2021, 7, 16))
    morning = datetime(2021, 7, 16, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    assert in_session(cea, morning) and not in_session(cea, morning, block=True)  # block trades: afternoon only
    assert in_session(cea, datetime(2021, 7, 16, 6, 0, tzinfo=UTC), block=True)


def test_close_is_vwap_of_listed_trades_only() -> None:
    cea = rules("CEA", 2021, date(2021, 7, 16))
    day = datetime(2021, 7, 16, 3, tzinfo=UTC)
    fills = [Print(day, "CEA", 5100, 100, "listed"), Print(day, "CEA", 5200, 300, "listed"),
             Print(day, "CEA", 4000, 1_000_000, "block")]
    assert close_price(cea, fills, 4800) == 5175  # (5,100 × 100 + 5,200 × 300) / 400
    assert close_price(cea, [], None) == 4800  # no trades on the first day: the first reference price
    at = datetime(2021, 7, 16, 6, 0, tzinfo=UTC)
    assert check_block(cea, price=6000, quantity=100_000, reference=5175, at=at) is None
    assert "at least" in (check_block(cea, price=6000, quantity=99_999, reference=5175, at=at) or "")
    assert "outside the block band" in (check_block(cea, price=6800, quantity=100_000, reference=5175, at=at) or "")


def test_listed_agreement_quote_selection() -> None:
    ev: list = []  # type: ignore[type-arg]
    b = OrderBook("CEA", BookRules(band_low=4320, band_high=5280), ev.append)
    for i, price in enumerate([5000, 5010, 5020, 5030, 5040, 5050], start=1):
        b.submit(Order(i, 10 + i, SELL, LIMIT, price, 100))
    b.select_quote(Order(20, 99, BUY, LIMIT, None, 150), level=3)  # picks 50.20, not the best
    assert [(e.sell_id, e.price, e.quantity) for e in ev if isinstance(e, TradeExecuted)] == [(3, 5020, 100)]
    assert ev[-1].reason == "ioc_remainder" and ev[-1].remaining == 50  # the level had only 100 t
    b.select_quote(Order(21, 99, BUY, LIMIT, None, 10), level=6)
    assert ev[-1].reason == "level_outside_best_five"
