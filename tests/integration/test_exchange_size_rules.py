"""The national market's size rules through the exchange service: a listed order of 100,000 t or
more is rejected (listed_too_large) and holds nothing; a block trade is refused by name
(block_too_small, block_outside_session, block_outside_band) and writes nothing; a pilot keeps
its own rules (no listed cap)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from openets.market.orderbook import BUY, MARKET, SELL
from openets.market.rules import parse_trading_rules
from openets.rules.loader import default_rulebook
from openets.services.exchange import SELECT, BlockRefused, ExchangeService
from openets.services.queries import RegistryQueries
from openets.storage import tables as t
from openets.testing.builders import build_world


def rules_of(market: str, year: int, on: date):  # type: ignore[no-untyped-def]
    rs = default_rulebook().lookup(market, year, on, "trading")
    return parse_trading_rules(market, rs.raw["trading"])


def units(engine, number: str) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    b = RegistryQueries(engine).balances(number)
    return (b[0].total, b[0].reserved) if b else (0, 0)


def count(engine, table) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(table)).scalar_one())


def test_national_listed_orders_below_100000_t(engine, clock) -> None:  # type: ignore[no-untyped-def]
    clock.at = datetime(2021, 7, 16, 2, 0, tzinfo=UTC)  # the national market's first day, 10:00
    w = build_world(engine, clock, market="CEA", vintage=2021, companies=2, issue=3_000_000, allocate=600_000)
    ex = ExchangeService(w.svc, market="CEA", instrument=w.unit_class.code, trading=rules_of("CEA", 2021, date(2021, 7, 16)))
    a, b = w.companies
    ex.deposit(b, 10_000_000_000)
    cash_before = ex.cash(b.party_id)
    # the audit's case: a 549,470 t listed sell order was accepted; now it is rejected and holds nothing
    big = ex.submit(a, account=w.accounts[0].number, side=SELL, quantity=549_470, price_fen=4800)
    assert (big.status, big.reason, big.trades) == ("rejected", "listed_too_large", [])
    assert units(engine, w.accounts[0].number) == (600_000, 0)  # nothing reserved
    # a refusal leaves no order row (issue 19 item 9): its rule's name is in the audit trail instead
    assert big.order_id == 0 and count(engine, t.orders) == 0
    with engine.connect() as c:
        paths = c.execute(select(t.audit_log.c.path).where(t.audit_log.c.method == "ORDER")).scalars().all()
    assert paths == [f"/market/{w.unit_class.code}/orders refused: listed_too_large (party {a.party_id})"]
    # the boundary: 100,000 t is a block; 99,999 t is listed
    assert ex.submit(b, account=w.accounts[1].number, side=BUY, quantity=100_000, price_fen=4800).reason == "listed_too_large"
    assert ex.cash(b.party_id) == cash_before  # no cash held for the refused bid
    ok = ex.submit(a, account=w.accounts[0].number, side=SELL, quantity=99_999, price_fen=4800)
    assert ok.status == "open"
    # market and select orders are listed orders too
    assert ex.submit(b, account=w.accounts[1].number, side=BUY, quantity=100_000, type=MARKET).reason == "listed_too_large"
    assert ex.submit(b, account=w.accounts[1].number, side=BUY, quantity=150_000, type=SELECT, level=1).reason \
        == "listed_too_large"
    assert ex.depth()["asks"] == [(4800, 99_999)] and ex.depth()["bids"] == []
    taken = ex.submit(b, account=w.accounts[1].number, side=BUY, quantity=99_999, type=SELECT, level=1)
    assert taken.trades == [(4800, 99_999)]
    assert ex.reconcile() == []


def test_national_block_refusals_change_nothing(engine, clock) -> None:  # type: ignore[no-untyped-def]
    clock.at = datetime(2021, 7, 16, 2, 0, tzinfo=UTC)  # 10:00: the morning session
    w = build_world(engine, clock, market="CEA", vintage=2021, companies=2, issue=3_000_000, allocate=600_000)
    ex = ExchangeService(w.svc, market="CEA", instrument=w.unit_class.code, trading=rules_of("CEA", 2021, date(2021, 7, 16)))
    a, b = w.companies
    ex.deposit(b, 10_000_000_000)
    sa, ba = w.accounts[0].number, w.accounts[1].number
    before = (units(engine, sa), units(engine, ba), ex.cash(a.party_id), ex.cash(b.party_id), count(engine, t.trades))

    def refused(price: int, quantity: int) -> str:
        with pytest.raises(BlockRefused) as e:
            ex.block_trade(a, sa, b, ba, price_fen=price, quantity=quantity)
        assert e.value.code == "block_invalid" and e.value.message.startswith(e.value.reason)
        return e.value.reason

    assert refused(5000, 100_000) == "block_outside_session"  # afternoon only
    clock.at = datetime(2021, 7, 16, 6, 0, tzinfo=UTC)  # 14:00
    assert refused(5000, 99_999) == "block_too_small"
    assert refused(6241, 100_000) == "block_outside_band"  # 48 yuan × 1.3 = 62.40: 6,241 fen is over
    assert refused(3359, 100_000) == "block_outside_band"  # 48 × 0.7 = 33.60
    assert (units(engine, sa), units(engine, ba), ex.cash(a.party_id), ex.cash(b.party_id), count(engine, t.trades)) == before
    tid = ex.block_trade(a, sa, b, ba, price_fen=6240, quantity=549_470)  # the audit's quantity, as a block trade
    assert tid > 0 and units(engine, ba) == (600_000 + 549_470, 0)
    clock.at = datetime(2021, 7, 16, 7, 0, tzinfo=UTC)  # 15:00: the session has ended
    assert refused(5000, 100_000) == "block_outside_session"
    assert ex.reconcile() == []


def test_pilot_keeps_its_own_rules(engine, clock) -> None:  # type: ignore[no-untyped-def]
    w = build_world(engine, clock, market="BJ", companies=2, issue=3_000_000, allocate=600_000)  # 1 June 2017, 10:00
    ex = ExchangeService(w.svc, market="BJ", instrument=w.unit_class.code, trading=rules_of("BJ", 2016, date(2017, 6, 1)))
    ex.reference = 5000
    ex._rebuild()
    a, _ = w.companies
    big = ex.submit(a, account=w.accounts[0].number, side=SELL, quantity=549_470, price_fen=5000)
    assert big.status == "open"  # no listed cap in the Beijing pilot
    assert units(engine, w.accounts[0].number) == (600_000, 549_470)
