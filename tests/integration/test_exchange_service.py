"""Orders reserve cash or units; a fill settles delivery versus payment in the registry; nothing is
lost or invented; a refused order changes nothing and the book follows the database."""

from __future__ import annotations

from openets.core.errors import DomainError
from openets.market.orderbook import BUY, SELL, BookRules
from openets.services.exchange import ExchangeService
from openets.services.queries import RegistryQueries
from openets.testing.builders import build_world


def test_dvp_settlement_and_cancel(engine, clock) -> None:  # type: ignore[no-untyped-def]
    w = build_world(engine, clock)  # two Beijing companies, 10,000 t of BEA-2016 each
    seller, buyer = w.companies
    sa, ba = w.accounts
    ex = ExchangeService(w.svc, market="BJ", instrument="BEA-2016", rules=BookRules(band_low=4000, band_high=6000))
    ex.deposit(buyer, 1_000_000)  # 10,000.00 yuan
    s = ex.submit(seller, account=sa.number, side=SELL, price_fen=5000, quantity=300)
    assert s.status == "open"
    q = RegistryQueries(engine)
    assert [(b.total, b.reserved) for b in q.balances(sa.number)] == [(10_000, 300)]
    b = ex.submit(buyer, account=ba.number, side=BUY, price_fen=5200, quantity=100)  # crosses at the resting 50.00
    assert b.status == "filled" and b.trades == [(5000, 100)]
    assert [(x.total, x.reserved) for x in q.balances(sa.number)] == [(9_900, 200)]
    assert [x.total for x in q.balances(ba.number)] == [10_100]
    assert ex.cash(buyer.party_id) == (1_000_000 - 500_000, 0)  # paid 50.00 × 100; the 2.00 margin released
    assert ex.cash(seller.party_id) == (500_000, 0)
    short = ex.submit(buyer, account=ba.number, side=BUY, price_fen=5000, quantity=200)  # not enough cash
    assert (short.status, short.reason) == ("rejected", "cash_insufficient")
    assert ex.book.depth()["asks"] == [(5000, 200)] and ex.cash(buyer.party_id) == (500_000, 0)
    rejected = ex.submit(buyer, account=ba.number, side=BUY, price_fen=7000, quantity=1)
    assert rejected.status == "rejected" and rejected.reason == "price_outside_band"
    ex.cancel(seller, s.order_id)
    assert [(x.total, x.reserved) for x in q.balances(sa.number)] == [(9_900, 0)]
    # a restart rebuilds the book from the open orders
    ex.submit(seller, account=sa.number, side=SELL, price_fen=5100, quantity=50)
    again = ExchangeService(w.svc, market="BJ", instrument="BEA-2016", rules=BookRules(band_low=4000, band_high=6000))
    assert again.book.depth()["asks"] == [(5100, 50)]
    totals = [x for x in q.totals() if x.unit_class == "BEA-2016"][0]
    assert totals.conserved


def test_only_own_accounts(engine, clock) -> None:  # type: ignore[no-untyped-def]
    w = build_world(engine, clock)
    ex = ExchangeService(w.svc, market="BJ", instrument="BEA-2016", rules=BookRules())
    placed = ex.submit(w.companies[1], account=w.accounts[0].number, side=SELL, price_fen=5000, quantity=1)
    assert (placed.status, placed.reason) == ("rejected", "account_not_found")


def test_units_and_cash_conserved_across_random_orders(engine, clock) -> None:  # type: ignore[no-untyped-def]
    import random

    from sqlalchemy import text

    w = build_world(engine, clock, companies=4)
    ex = ExchangeService(w.svc, market="BJ", instrument="BEA-2016", rules=BookRules(band_low=4000, band_high=6000))
    for co in w.companies:
        ex.deposit(co, 2_000_000)
    rng = random.Random(5)
    open_orders: list[tuple[object, int]] = []
    for _ in range(80):
        i = rng.randrange(4)
        co, acc = w.companies[i], w.accounts[i]
        if open_orders and rng.random() < 0.15:
            who, oid = open_orders.pop(rng.randrange(len(open_orders)))
            try:
                ex.cancel(who, oid)  # type: ignore[arg-type]
            except DomainError:
                pass  # already filled
            continue
        placed = ex.submit(co, account=acc.number, side=rng.choice([BUY, SELL]),
                           price_fen=rng.randint(45, 55) * 100, quantity=rng.randint(1, 30) * 10)
        if placed.status == "rejected":
            assert placed.reason in ("cash_insufficient", "available_balance")
            continue
        if placed.status == "open":
            open_orders.append((co, placed.order_id))
    with engine.connect() as c:
        cash, reserved = c.execute(text("SELECT sum(balance_fen), sum(reserved_fen) FROM cash_accounts")).one()
        open_buys = c.execute(text("SELECT coalesce(sum(price_fen * remaining), 0) FROM orders "
                                   "WHERE side = 'buy' AND status = 'open'")).scalar_one()
        open_sells = c.execute(text("SELECT coalesce(sum(remaining), 0) FROM orders "
                                    "WHERE side = 'sell' AND status = 'open'")).scalar_one()
        units_reserved = c.execute(text("SELECT sum(reserved) FROM positions")).scalar_one()
        traded = c.execute(text("SELECT count(*) FROM trades")).scalar_one()
    assert traded > 0
    assert cash == 4 * 2_000_000  # cash only changes hands
    assert reserved == open_buys and units_reserved == open_sells  # what is held back is what is still offered
    totals = [x for x in RegistryQueries(engine).totals() if x.unit_class == "BEA-2016"][0]
    assert totals.conserved and totals.in_circulation == 1_000_000


def test_orders_outside_sessions_are_rejected(engine, clock) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, date, datetime

    from openets.market.rules import parse_trading_rules
    from openets.rules.loader import default_rulebook

    w = build_world(engine, clock)
    rs = default_rulebook().lookup("BJ", 2016, date(2017, 6, 1), "trading")
    ex = ExchangeService(w.svc, market="BJ", instrument="BEA-2016", rules=BookRules(),
                         trading=parse_trading_rules("BJ", rs.raw["trading"]))
    clock.at = datetime(2017, 6, 10, 2, 0, tzinfo=UTC)  # Saturday 10 June 2017, 10:00: an extra trading day
    assert ex.submit(w.companies[0], account=w.accounts[0].number, side=SELL, price_fen=5000, quantity=1).status == "open"
    clock.at = datetime(2017, 6, 17, 2, 0, tzinfo=UTC)  # the next Saturday: closed
    placed = ex.submit(w.companies[0], account=w.accounts[0].number, side=SELL, price_fen=5000, quantity=1)
    assert (placed.status, placed.reason) == ("rejected", "market_closed")
    clock.at = datetime(2017, 6, 12, 4, 0, tzinfo=UTC)  # Monday 12:00, between the sessions
    assert ex.submit(w.companies[0], account=w.accounts[0].number, side=SELL, price_fen=5000,
                     quantity=1).reason == "market_closed"


def test_tape_reads_the_last_trades_oldest_first(engine, clock) -> None:  # type: ignore[no-untyped-def]
    w = build_world(engine, clock)
    seller, buyer = w.companies
    sa, ba = w.accounts
    ex = ExchangeService(w.svc, market="BJ", instrument="BEA-2016", rules=BookRules(band_low=4000, band_high=6000))
    ex.deposit(buyer, 10_000_000)
    for i, price in enumerate((5000, 5010, 5020, 5030)):
        ex.submit(seller, account=sa.number, side=SELL, price_fen=price, quantity=10 + i)
        ex.submit(buyer, account=ba.number, side=BUY, price_fen=price, quantity=10 + i)
    tape = ex.prints()
    assert [(p.price, p.quantity) for p in tape] == [(5000, 10), (5010, 11), (5020, 12), (5030, 13)]
    assert ex.prints(last=2) == tape[-2:]
    assert ex.prints(last=10) == tape
    assert ex.prints(since=tape[-1].at) == [p for p in tape if p.at >= tape[-1].at]
    assert ex.prints(since=tape[-1].at, last=1) == tape[-1:]
