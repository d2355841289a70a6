"""Primary auctions end to end as a service: the Shanghai 2017 notice (reserve from the exchange's own
trades, bids revised in the window, ties on price by time, the marginal bid partly filled, deposits,
the treasury's revenue, compliance-only units the exchange refuses to sell), an undersubscribed
auction, and Guangdong's PHCER auction (irrevocable bids of ≥ 1,000 t, ≤ 50 % each, reserve = the
3-month average)."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from openets.core.errors import DomainError
from openets.market.orderbook import SELL
from openets.registry.commands import Approve, CentralTransfer, Issue
from openets.registry.model import UnitKind
from openets.services.auctions import AuctionService
from openets.services.exchange import open_exchange
from openets.testing.builders import build_world

AUCTIONS = Path(__file__).resolve().parents[2] / "src" / "openets" / "rules" / "data" / "auctions"


def rules(name: str, **override):  # type: ignore[no-untyped-def]
    data = tomllib.loads((AUCTIONS / f"{name}.toml").read_text(encoding="utf-8"))["auction"]
    return {**data, **override}


def stock_auction_account(w, quantity: int, uc=None, *, bound_year: int | None = 2016) -> int:  # type: ignore[no-untyped-def]
    svc, uc = w.svc, uc or w.unit_class
    rid = svc.create_restriction(w.reg, allowed_types=["issue", "central_transfer", "auction_delivery", "surrender"],
                                 bound_market=w.market, bound_year=bound_year, note="auctioned: compliance only")
    rec = svc.one(w.reg, Issue(to_account=w.issuance.id, unit_class=uc.id, quantity=quantity, restriction=rid))
    if rec.status.value == "awaiting_approval":
        svc.one(w.reg2, Approve(txn=rec.id))
    svc.one(w.reg, CentralTransfer(from_account=w.issuance.id, to_account=svc.account(f"{w.market}-AUCTION").id,
                      unit_class=uc.id, quantity=quantity, restriction=rid))
    return rid


def test_shanghai_2017_as_a_service(engine, clock) -> None:  # type: ignore[no-untyped-def]
    clock.at = datetime(2017, 5, 2, 3, 0, tzinfo=UTC)  # Tuesday 11:00 in Shanghai: trading
    w = build_world(engine, clock, market="SH", companies=4, issue=3_000_000, allocate=100_000)
    a, b, c, d = w.companies
    ex = open_exchange(w.svc, w.unit_class.code)
    ex.reference = 3500
    ex._rebuild()
    for co in w.companies:
        ex.deposit(co, 10_000_000_000)
    # the trade history the reserve comes from: 1,000 t at 34.00 and 1,000 t at 36.00 → VWAP 35.00
    for price in (3400, 3600):
        ex.submit(a, account=w.accounts[0].number, side=SELL, quantity=1000, price_fen=price)
        ex.submit(b, account=w.accounts[1].number, side="buy", quantity=1000, price_fen=price)
    rid = stock_auction_account(w, 2_000_000)
    svc = AuctionService(w.svc)
    clock.at = datetime(2017, 6, 29, 8, 0, tzinfo=UTC)
    nid = svc.announce(w.reg, rules("shanghai-2017"), unit_class=w.unit_class.code, restriction_id=rid)
    assert svc.publish_reserve(w.reg, nid) == 4200  # min(1.2 × 35.00 = 42.00, 42)
    with pytest.raises(DomainError) as e:
        svc.bid(c, nid, bid_id="1", price_fen=4300, quantity=100)
    assert e.value.code == "auction_not_open"
    from datetime import timedelta

    at = lambda m: datetime(2017, 6, 30, 1, 30, tzinfo=UTC) + timedelta(minutes=m)  # noqa: E731  (9:30 + m, Shanghai)
    clock.at = at(1)
    svc.bid(a, nid, bid_id="1", price_fen=4300, quantity=500_000)
    clock.at = at(5)
    svc.bid(b, nid, bid_id="1", price_fen=4250, quantity=900_000)
    clock.at = at(8)
    svc.bid(c, nid, bid_id="1", price_fen=4250, quantity=900_000)  # same price, later: filled after b
    svc.bid(d, nid, bid_id="1", price_fen=4100, quantity=300_000)  # below the reserve: invalid at the close
    clock.at = at(10)
    svc.bid(a, nid, bid_id="1", price_fen=4400, quantity=400_000)  # a revision: the last version counts
    assert ex.cash(a.party_id)[1] == 4400 * 400_000  # the deposit follows the bid
    clock.at = at(61)
    with pytest.raises(DomainError) as e:
        svc.bid(c, nid, bid_id="2", price_fen=4300, quantity=100)
    assert e.value.code == "auction_closed"
    with pytest.raises(DomainError):
        svc.close(a, nid)  # a company does not close auctions
    before = ex.cash(a.party_id)[0]
    out = svc.close(w.reg, nid)
    # ranked 44.00 (a, 400,000), 42.50 (b, 900,000, earlier), 42.50 (c, 700,000 of 900,000): price 42.50
    assert (out["clearing_price_fen"], out["volume_sold_t"], out["winners"]) == (4250, 2_000_000, 3)
    assert out["revenue_fen"] == 4250 * 2_000_000
    pub = svc.results(nid)
    assert pub["clearing_price_fen"] == 4250 and "fills" not in pub  # no individual bid disclosed
    assert ex.cash(a.party_id) == (before - 4250 * 400_000, 0)  # paid the clearing price, not its bid; deposit back
    assert ex.cash(d.party_id) == (10_000_000_000, 0)  # the invalid bid's deposit given back
    assert ex.cash(w.svc.registry_party("SH")) == (4250 * 2_000_000, 0)  # revenue to the treasury
    # that day the SHEA market is closed (rule data); after it, the bought units are compliance-only
    assert ex.submit(c, account=w.accounts[2].number, side=SELL, quantity=1, price_fen=3500).reason == "market_closed"
    clock.at = datetime(2017, 7, 3, 3, 0, tzinfo=UTC)
    placed = ex.submit(c, account=w.accounts[2].number, side=SELL, quantity=100_001, price_fen=3500)
    assert (placed.status, placed.reason) == ("rejected", "available_balance")  # 100,000 free t, 700,000 restricted
    with pytest.raises(DomainError):
        svc.close(w.reg, nid)  # settled once


def test_undersubscribed_sells_what_was_bid(engine, clock) -> None:  # type: ignore[no-untyped-def]
    w = build_world(engine, clock, market="SH", companies=2, issue=3_000_000, allocate=0)
    rid = stock_auction_account(w, 2_000_000)
    svc = AuctionService(w.svc)
    ex = open_exchange(w.svc, w.unit_class.code)
    ex.deposit(w.companies[0], 10**11)
    data = rules("shanghai-2017", reserve_fen=4000)
    data.pop("reserve")
    clock.at = datetime(2017, 6, 29, 8, 0, tzinfo=UTC)
    nid = svc.announce(w.reg, data, unit_class=w.unit_class.code, restriction_id=rid)
    clock.at = datetime(2017, 6, 30, 1, 40, tzinfo=UTC)
    svc.bid(w.companies[0], nid, bid_id="x", price_fen=4100, quantity=300_000)
    clock.at = datetime(2017, 6, 30, 3, 0, tzinfo=UTC)
    out = svc.close(w.reg, nid)
    assert (out["volume_sold_t"], out["clearing_price_fen"], out["cover_ratio"]) == (300_000, 4100, "0.15")
    held = w.svc.account("SH-AUCTION")
    from openets.services.queries import RegistryQueries

    left = [b for b in RegistryQueries(engine).balances(held.number) if b.unit_class == w.unit_class.code]
    assert sum(b.total for b in left) == 1_700_000  # unsold units stay in the auction account


def test_guangdong_phcer_auction(engine, clock) -> None:  # type: ignore[no-untyped-def]
    """The seed's result, reproduced: lot A (project A, 26,284 t) went whole to one bidder at 14.71 yuan,
    lot B (project B, 11,328 t) to another at 14.75 — no 50 % bidder cap and no reserve in these files
    (those belong to Guangdong's allowance auctions)."""
    clock.at = datetime(2017, 3, 1, 2, 0, tzinfo=UTC)
    w = build_world(engine, clock, market="GD", companies=3, issue=1_000_000, allocate=50_000)
    svc_r = w.svc
    a, b, c = w.companies
    ex = open_exchange(svc_r, w.unit_class.code)  # the bidders' cash for the full deposit
    for co in w.companies:
        ex.deposit(co, 10**10)
    svc = AuctionService(svc_r)
    lots = {}
    for name, project, volume in (("guangdong-phcer-2017", "A", 26_284), ("guangdong-phcer-2017-b", "B", 11_328)):
        phcer = svc_r.create_unit_class(w.reg, kind=UnitKind.OFFSET, market="GD", vintage=2016, standard="PHCER",
                                        project_id=f"GD-PH-00{project}", project_type="inclusion", location="440100",
                                        cap=100_000)
        rid = stock_auction_account(w, volume, phcer, bound_year=None)
        data = rules(name)
        assert "reserve" not in data and "max_share_per_bidder" not in data and data["volume"] == volume
        lots[project] = svc.announce(w.reg, data, unit_class=phcer.code, restriction_id=rid)
    clock.at = datetime(2017, 6, 8, 2, 10, tzinfo=UTC)
    with pytest.raises(DomainError):
        svc.bid(c, lots["A"], bid_id="1", price_fen=1500, quantity=999)  # below 1,000 t
    svc.bid(a, lots["A"], bid_id="1", price_fen=1471, quantity=26_284)  # 广州微碳: the whole lot A
    svc.bid(c, lots["A"], bid_id="1", price_fen=1460, quantity=10_000)  # a lower bid: nothing
    with pytest.raises(DomainError) as e:
        svc.bid(a, lots["A"], bid_id="1", price_fen=1480, quantity=26_284)
    assert e.value.code == "bid_irrevocable"
    svc.bid(b, lots["B"], bid_id="1", price_fen=1475, quantity=11_328)  # 杭州超腾: lot B
    clock.at = datetime(2017, 6, 8, 3, 5, tzinfo=UTC)
    got_a, got_b = svc.close(w.reg, lots["A"]), svc.close(w.reg, lots["B"])
    assert (got_a["volume_sold_t"], got_a["clearing_price_fen"], got_a["winners"]) == (26_284, 1471, 1)
    assert (got_b["volume_sold_t"], got_b["clearing_price_fen"], got_b["winners"]) == (11_328, 1475, 1)


def test_eu_and_wci_rule_files_clear() -> None:
    from openets.market.auction import Bid, clear
    from openets.services.auctions import rules_of

    eu = rules(name="eu-2019")
    r = rules_of(eu, reserve=None, eligible=None)
    assert (r.lot, r.tie_break, r.cancel_if_undersubscribed) == (500, "random", True)
    t0 = datetime(2019, 3, 5, 9, 0, tzinfo=UTC)
    short = clear([Bid(1, "a", 2000, 1_000_000, t0)], r)
    assert short.cancelled and short.sold == 0  # bids do not cover the volume: cancelled
    ties = [Bid(i, "a", 2000, 1_000_000, t0) for i in range(1, 5)]  # 4,000,000 t at one price for 3,000,000
    got = clear(ties, r)
    assert got.sold == 3_000_000 and got == clear(list(reversed(ties)), r)  # the fixed draw, not the order
    data = rules(name="wci-2019")
    # the reserve in fen of yuan: US$15.62 × 6.74 CNY/USD = 105.2788 yuan → 10,528 fen (not 1,562 "fen")
    assert data["reserve_fen"] == round(1562 * Decimal("6.74")) == 10_528
    wci = rules_of(data, reserve=data["reserve_fen"], eligible=None)
    t1 = datetime(2019, 2, 20, 18, 30, tzinfo=UTC)  # 10:30 in California
    big = clear([Bid(1, "a", 11_000, 3_000_000, t1), Bid(2, "a", 10_800, 2_000_000, t1),
                 Bid(3, "b", 1_800, 1_000_000, t1)], wci)  # 18 yuan: the old 1,562-fen reserve would admit it
    assert "over_bidder_limit" in big.rejected[(1, "a")] and big.sold == 2_000_000  # 25 % of 10,000,000 at most
    assert (3, "b") in big.rejected  # below the 105.28-yuan reserve
    with pytest.raises(DomainError, match="currency 'USD'"):
        rules_of({**data, "currency": "USD", "reserve_fen": 1562}, reserve=1562, eligible=None)
