"""The exchange with each market's rules as data: batches, fees, T+1 delivery, client order ids,
restricted units, market and listed-agreement orders, block trades, the day's close, reconciliation."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from openets.core.errors import DomainError
from openets.market.orderbook import BUY, MARKET, SELL
from openets.market.rules import parse_trading_rules
from openets.registry.commands import Allocate, Approve, Issue
from openets.rules.loader import default_rulebook
from openets.services.exchange import SELECT, ExchangeService, OrderRequest
from openets.services.queries import RegistryQueries
from openets.testing.builders import build_world


def rules_of(market: str, year: int, on: date):  # type: ignore[no-untyped-def]
    rs = default_rulebook().lookup(market, year, on, "trading")
    return parse_trading_rules(market, rs.raw["trading"])


def exchange(w, market: str, year: int, on: date, reference: int) -> ExchangeService:  # type: ignore[no-untyped-def]
    ex = ExchangeService(w.svc, market=market, instrument=w.unit_class.code, trading=rules_of(market, year, on))
    ex.reference = reference  # the previous close: the band is ±10 % around it
    ex._rebuild()
    return ex


def units(engine, number: str) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    b = RegistryQueries(engine).balances(number)
    return (b[0].total, b[0].reserved) if b else (0, 0)


def test_batch_with_fees_in_time_order(engine, clock) -> None:  # type: ignore[no-untyped-def]
    w = build_world(engine, clock, market="BJ", companies=3)  # Thursday 1 June 2017, 10:00 in Beijing
    ex = exchange(w, "BJ", 2016, date(2017, 6, 1), 5000)
    a, b, c = w.companies
    for co in w.companies:
        ex.deposit(co, 10_000_000)
    out = ex.submit_many([
        OrderRequest(a, w.accounts[0].number, SELL, 100, 5000, client_id="a1"),
        OrderRequest(b, w.accounts[1].number, SELL, 100, 5000, client_id="b1"),  # same price, later
        OrderRequest(c, w.accounts[2].number, BUY, 150, 5100, client_id="c1"),
    ])
    assert [p.status for p in out] == ["open", "open", "filled"]
    assert out[2].trades == [(5000, 100), (5000, 50)]  # time priority: a first, then half of b
    assert out[1].remaining == 100  # b's answer was given before c arrived … its order now holds 50
    assert ex.depth()["asks"] == [(5000, 50)]
    fee = 5000 * 100 * 5 // 10_000  # 0.05 % of 5,000 yuan: 2.50 yuan = 250 fen, rounded down
    assert ex.cash(a.party_id) == (10_000_000 + 500_000 - fee, 0)
    assert ex.cash(b.party_id) == (10_000_000 + 250_000 - fee // 2, 0)
    assert ex.cash(c.party_id) == (10_000_000 - 750_000 - fee - fee // 2, 0)
    assert ex.cash(ex.exchange_party) == (2 * (fee + fee // 2), 0)
    assert units(engine, w.accounts[2].number) == (10_150, 0)
    assert units(engine, w.accounts[1].number) == (9_950, 50)
    assert ex.reconcile() == []
    # a client order id is used once per party: the repeat is refused and changes nothing
    again = ex.submit(a, account=w.accounts[0].number, side=SELL, quantity=5, price_fen=5000, client_id="a1")
    assert (again.status, again.reason) == ("rejected", "duplicate_client_order_id")
    assert ex.depth()["asks"] == [(5000, 50)] and units(engine, w.accounts[0].number) == (9_900, 0)


def test_bad_orders_are_refused_with_a_reason_and_change_nothing(engine, clock) -> None:  # type: ignore[no-untyped-def]
    w = build_world(engine, clock, market="BJ", companies=2)
    ex = exchange(w, "BJ", 2016, date(2017, 6, 1), 5000)
    a, b = w.companies
    ex.deposit(b, 100_000)
    acc = w.accounts[0].number
    cases = [
        (OrderRequest(a, acc, SELL, 0, 5000), "quantity_invalid"),
        (OrderRequest(a, acc, SELL, 1.5, 5000), "quantity_invalid"),  # type: ignore[arg-type]
        (OrderRequest(a, acc, SELL, 10, 7000), "price_outside_band"),  # BJ band ±20 % (unverified): 40–60 yuan
        (OrderRequest(a, acc, SELL, 20_000, 5000), "available_balance"),
        (OrderRequest(b, w.accounts[1].number, BUY, 100, 5000), "cash_insufficient"),
        (OrderRequest(a, "BJ-NOPE", SELL, 1, 5000), "account_not_found"),
        (OrderRequest(b, acc, SELL, 1, 5000), "account_not_found"),  # someone else's account
        (OrderRequest(a, acc, "hold", 1, 5000), "order_invalid"),
    ]
    out = ex.submit_many([r for r, _ in cases])
    assert [p.reason for p in out] == [why for _, why in cases]
    assert ex.depth() == {"bids": [], "asks": []}
    assert units(engine, acc) == (10_000, 0) and ex.cash(b.party_id) == (100_000, 0)
    assert ex.reconcile() == []


def test_restricted_units_never_trade(engine, clock) -> None:  # type: ignore[no-untyped-def]
    w = build_world(engine, clock, market="SH", companies=1, allocate=0)
    svc = w.svc
    rid = svc.create_restriction(w.reg, allowed_types=["issue", "allocate", "surrender"], bound_year=2016,
                                 note="compliance only: auctioned units")
    rec = svc.one(w.reg, Issue(to_account=w.issuance.id, unit_class=w.unit_class.id, quantity=500,
                            restriction=rid))
    if rec.status.value == "awaiting_approval":
        svc.one(w.reg2, Approve(txn=rec.id))
    svc.submit(w.reg, [Allocate(from_account=w.issuance.id, to_account=w.accounts[0].id,
                          unit_class=w.unit_class.id, quantity=500, restriction=rid)])
    ex = exchange(w, "SH", 2016, date(2017, 6, 1), 3000)
    clock.at = datetime(2017, 6, 1, 2, 45, tzinfo=UTC)  # Shanghai trades from 10:30
    out = ex.submit(w.companies[0], account=w.accounts[0].number, side=SELL, quantity=100, price_fen=3000)
    assert (out.status, out.reason) == ("rejected", "available_balance")  # its 500 t are compliance-only


def test_t_plus_one_delivery(engine, clock) -> None:  # type: ignore[no-untyped-def]
    w = build_world(engine, clock, market="HB", companies=2)  # Hubei: delivery T+1 (rule data)
    ex = exchange(w, "HB", 2016, date(2017, 6, 1), 1800)
    seller, buyer = w.companies
    ex.deposit(buyer, 1_000_000)
    ex.submit(seller, account=w.accounts[0].number, side=SELL, quantity=200, price_fen=1800)
    placed = ex.submit(buyer, account=w.accounts[1].number, side=BUY, quantity=200, price_fen=1850)
    assert placed.trades == [(1800, 200)]
    cost = 1800 * 200 + 1800 * 200 * 5 // 10_000
    # traded, not delivered: the units stay reserved with the seller, the cost reserved with the buyer
    assert units(engine, w.accounts[0].number) == (10_000, 200) and units(engine, w.accounts[1].number) == (10_000, 0)
    assert ex.cash(buyer.party_id) == (1_000_000, cost)
    assert ex.reconcile() == []
    assert ex.settle_due() == 0  # due on Friday 2 June, the next trading day
    clock.at = datetime(2017, 6, 2, 1, 0, tzinfo=UTC)
    assert ex.settle_due() == 1
    assert units(engine, w.accounts[0].number) == (9_800, 0) and units(engine, w.accounts[1].number) == (10_200, 0)
    assert ex.cash(buyer.party_id) == (1_000_000 - cost, 0)
    assert ex.reconcile() == []


def test_market_orders_and_the_close(engine, clock) -> None:  # type: ignore[no-untyped-def]
    w = build_world(engine, clock, market="BJ", companies=3)
    ex = exchange(w, "BJ", 2016, date(2017, 6, 1), 5000)
    a, b, c = w.companies
    ex.deposit(c, 10_000_000)
    ex.submit(a, account=w.accounts[0].number, side=SELL, quantity=100, price_fen=5100)
    ex.submit(b, account=w.accounts[1].number, side=SELL, quantity=100, price_fen=5300)
    out = ex.submit(c, account=w.accounts[2].number, side=BUY, quantity=150, type=MARKET)
    assert out.trades == [(5100, 100), (5300, 50)] and out.status == "filled"
    rest = ex.submit(c, account=w.accounts[2].number, side=BUY, quantity=100, type=MARKET)
    assert rest.trades == [(5300, 50)] and (rest.status, rest.reason) == ("cancelled", "ioc_remainder")
    assert ex.cash(c.party_id)[1] == 0  # what the remainder held is back
    ex.submit(c, account=w.accounts[2].number, side=BUY, quantity=10, price_fen=4900)
    close = ex.close_day()
    assert close == round((5100 * 100 + 5300 * 100) / 200)  # the day's VWAP of listed trades
    assert ex.depth() == {"bids": [], "asks": []} and ex.cash(c.party_id)[1] == 0
    assert ex.book_rules().band_high == 5200 * 12 // 10  # the band moves with the new reference
    assert ex.reconcile() == []


def test_listed_agreement_and_block_trades(engine, clock) -> None:  # type: ignore[no-untyped-def]
    clock.at = datetime(2021, 7, 16, 2, 0, tzinfo=UTC)  # the national market's first day, 10:00
    w = build_world(engine, clock, market="CEA", vintage=2021, companies=4, issue=3_000_000, allocate=500_000)
    ex = ExchangeService(w.svc, market="CEA", instrument=w.unit_class.code,
                         trading=rules_of("CEA", 2021, date(2021, 7, 16)))
    assert ex.reference == 4800  # the first reference price: 48 yuan/t
    a, b, c, d = w.companies
    ex.deposit(d, 1_000_000_000)
    for co, acc, price in ((a, w.accounts[0], 5000), (b, w.accounts[1], 5100), (c, w.accounts[2], 5200)):
        ex.submit(co, account=acc.number, side=SELL, quantity=100, price_fen=price)
    taken = ex.submit(d, account=w.accounts[3].number, side=BUY, quantity=150, type=SELECT, level=2)
    assert taken.trades == [(5100, 100)] and taken.reason == "ioc_remainder"  # the quote at level 2 only
    assert ex.submit(d, account=w.accounts[3].number, side=BUY, quantity=1, type=SELECT, level=6).reason \
        == "level_outside_best_five"
    with pytest.raises(DomainError) as e:  # block trades: at least 100,000 t, in the afternoon session
        ex.block_trade(a, w.accounts[0].number, d, w.accounts[3].number, price_fen=5000, quantity=100_000)
    assert e.value.code == "block_invalid"
    clock.at = datetime(2021, 7, 16, 6, 0, tzinfo=UTC)  # 14:00
    with pytest.raises(DomainError):  # ±30 % of 48 yuan: at most 62.40
        ex.block_trade(a, w.accounts[0].number, d, w.accounts[3].number, price_fen=6300, quantity=100_000)
    tid = ex.block_trade(a, w.accounts[0].number, d, w.accounts[3].number, price_fen=5000, quantity=100_000)
    assert tid > 0 and units(engine, w.accounts[3].number) == (600_100, 0)
    assert ex.close_day() == 5100  # block trades do not make the close
    assert ex.reconcile() == []


def test_any_sequence_conserves_units_and_cash(_template, db_url, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Random batches of orders and cancels (hypothesis): every trade inside the band and at a resting
    order's price, cash (with fees) and units conserved, the exchange and the registry agreeing."""
    import shutil

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from sqlalchemy import text

    from openets.storage.db import make_engine
    from openets.storage.tables import metadata

    order = st.tuples(st.integers(0, 3), st.sampled_from([BUY, SELL]), st.integers(1, 40).map(lambda q: q * 10),
                      st.integers(40, 62).map(lambda p: p * 100), st.booleans())

    @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(st.lists(order, min_size=1, max_size=12), min_size=1, max_size=5))
    def check(batches) -> None:  # type: ignore[no-untyped-def]
        if db_url.startswith("sqlite"):  # a fresh world for each example: a copy of the empty schema
            path = tmp_path / "example.db"
            shutil.copy(_template, path)
            engine = make_engine(f"sqlite:///{path}")
        else:
            engine = make_engine(db_url)
            with engine.begin() as c:
                names = ", ".join(t.name for t in metadata.sorted_tables)
                c.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
                c.execute(text("ALTER SEQUENCE txn_ids RESTART WITH 1"))
        try:
            run_example(engine, clock, batches)
        finally:
            engine.dispose()

    check()


def run_example(engine, clock, batches) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    w = build_world(engine, clock, market="BJ", companies=4)
    ex = exchange(w, "BJ", 2016, date(2017, 6, 1), 5000)
    for co in w.companies:
        ex.deposit(co, 5_000_000)
    low, high = ex.rules.band_low, ex.rules.band_high
    placed: list[tuple[int, int]] = []
    for batch in batches:
        reqs = [OrderRequest(w.companies[k], w.accounts[k].number, side, q, p) for k, side, q, p, _ in batch]
        for (k, *_rest, cancel), p in zip(batch, ex.submit_many(reqs)):
            assert all(low <= price <= high for price, _q in p.trades)
            if p.status == "open":
                placed.append((k, p.order_id))
            if cancel and placed:
                who, oid = placed.pop(0)
                if oid in ex.book.orders:
                    ex.cancel(w.companies[who], oid)
    assert ex.reconcile() == []
    with engine.connect() as c:
        cash = c.execute(text("SELECT sum(balance_fen) FROM cash_accounts")).scalar_one()
        bad_price = c.execute(text(
            "SELECT count(*) FROM trades t JOIN orders b ON b.id = t.buy_order JOIN orders s ON s.id = t.sell_order "
            "WHERE t.price_fen NOT IN (b.price_fen, s.price_fen)")).scalar_one()
    assert cash == 4 * 5_000_000 and bad_price == 0  # fees only move cash to the exchange
    totals = [x for x in RegistryQueries(engine).totals() if x.unit_class == w.unit_class.code][0]
    assert totals.conserved and totals.in_circulation == 1_000_000


def test_holding_limit_where_a_market_sets_one(engine, clock) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    w = build_world(engine, clock, market="BJ", companies=2)  # each account holds 10,000 t
    rules = replace(rules_of("BJ", 2016, date(2017, 6, 1)), holding_limit=10_100)
    ex = ExchangeService(w.svc, market="BJ", instrument=w.unit_class.code, trading=rules)
    a, b = w.companies
    ex.deposit(b, 10_000_000)
    assert ex.submit(b, account=w.accounts[1].number, side=BUY, quantity=60, price_fen=5000).status == "open"
    assert ex.submit(b, account=w.accounts[1].number, side=BUY, quantity=40, price_fen=4900).status == "open"
    over = ex.submit(b, account=w.accounts[1].number, side=BUY, quantity=1, price_fen=4900)
    assert (over.status, over.reason) == ("rejected", "holding_limit")  # 10,000 held + 100 bid for
    assert ex.submit(a, account=w.accounts[0].number, side=SELL, quantity=10, price_fen=5000).trades == [(5000, 10)]
    assert ex.submit(b, account=w.accounts[1].number, side=BUY, quantity=1, price_fen=4900).reason == "holding_limit"


def test_two_processes_serve_one_instrument(engine, clock) -> None:  # type: ignore[no-untyped-def]
    """Two services (two API workers) on one instrument: each write resyncs under the instrument's lock,
    and a read refreshes first, so neither book drifts from the database."""
    w = build_world(engine, clock, market="BJ", companies=2)
    one = exchange(w, "BJ", 2016, date(2017, 6, 1), 5000)
    two = exchange(w, "BJ", 2016, date(2017, 6, 1), 5000)
    a, b = w.companies
    one.deposit(b, 10_000_000)
    one.submit(a, account=w.accounts[0].number, side=SELL, quantity=100, price_fen=5000)
    two.refresh()
    assert two.depth()["asks"] == [(5000, 100)]  # a read sees the other worker's order
    placed = two.submit(b, account=w.accounts[1].number, side=BUY, quantity=60, price_fen=5000)
    assert placed.trades == [(5000, 60)]  # the write matched against it
    one.refresh()
    assert one.depth()["asks"] == [(5000, 40)]
    one.cancel(a, next(iter(one.book.orders)))
    two.refresh()
    assert two.depth() == {"bids": [], "asks": []} and one.reconcile() == []
