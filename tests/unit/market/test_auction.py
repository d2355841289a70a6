"""The Shanghai 2017 auction as a worked scenario, undersubscription, limits and tie-breaks."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

from openets.market.auction import AuctionRules, Bid, ReserveRule, clear
from openets.market.data import Print

OPEN = datetime(2017, 6, 30, 1, 30, tzinfo=UTC)  # 9:30 in Shanghai
CLOSE = OPEN + timedelta(hours=1)


def at(minutes: int) -> datetime:
    return OPEN + timedelta(minutes=minutes)


def test_shanghai_2017() -> None:
    # reserve: 1.2 × VWAP of the listed SHEA trades 18 Nov 2016 – 29 Jun 2017, capped at 42 yuan
    def on(day: date, price: int, qty: int, mode: str = "listed") -> Print:
        return Print(datetime(day.year, day.month, day.day, 3, tzinfo=UTC), "SHEA-2016", price, qty, mode)

    history = [on(date(2016, 11, 20), 3000, 10_000), on(date(2017, 3, 1), 3500, 30_000),
               on(date(2017, 6, 29), 3800, 10_000), on(date(2017, 6, 29), 1000, 50_000, "block"),
               on(date(2016, 11, 1), 1, 1_000_000)]  # outside the window
    rule = ReserveRule(D("1.2"), 4200, (date(2016, 11, 18), date(2017, 6, 29)))
    reserve = rule.reserve(history)
    assert reserve == 4152  # VWAP (3,000 × 1 + 3,500 × 3 + 3,800 × 1) / 5 = 3,460 fen × 1.2 = 4,152 < 4,200
    rules = AuctionRules(volume=2_000_000, closes_at=CLOSE, reserve=reserve, eligible=frozenset({1, 2, 3, 4, 5}))
    bids = [
        Bid(1, "a", 4500, 800_000, at(5)),
        Bid(2, "a", 4300, 700_000, at(10)),
        Bid(3, "a", 4300, 600_000, at(3)),  # same price as bidder 2, earlier: ranks first
        Bid(3, "a", 4300, 700_000, at(20)),  # … but revised at minute 20: now later than bidder 2
        Bid(4, "a", 4100, 500_000, at(1)),  # below the reserve
        Bid(9, "a", 5000, 100_000, at(1)),  # not a Shanghai covered company
        Bid(5, "a", 4600, 100_000, at(61)),  # after the close
    ]
    r = clear(bids, rules)
    assert r.rejected == {(4, "a"): "below_reserve (4152 fen)", (9, "a"): "bidder_not_eligible", (5, "a"): "after_close"}
    # 1: 800,000 @ 45.00; 2: 700,000 @ 43.00 (time 10); 3: the marginal bid, 500,000 of its 700,000
    assert r.fills == {(1, "a"): 800_000, (2, "a"): 700_000, (3, "a"): 500_000}
    assert r.clearing_price == 4300 and r.sold == 2_000_000 and r.winners == 3
    assert r.published()["cover_ratio"] == "1.10" and "fills" not in r.published()


def test_undersubscribed_sells_what_was_bid_unless_the_rules_cancel() -> None:
    bids = [Bid(1, "a", 4500, 300_000, at(1)), Bid(2, "a", 4400, 200_000, at(2))]
    r = clear(bids, AuctionRules(volume=1_000_000, closes_at=CLOSE, reserve=4000))
    assert (r.sold, r.clearing_price, r.cover_ratio) == (500_000, 4400, D("0.5"))
    eu = clear(bids, AuctionRules(volume=1_000_000, closes_at=CLOSE, cancel_if_undersubscribed=True, lot=500))
    assert eu.cancelled and eu.sold == 0


def test_guangdong_limits_and_eu_random_ties() -> None:
    gd = AuctionRules(volume=10_000, closes_at=CLOSE, min_bid=1_000, max_share_per_bidder=D("0.5"))
    r = clear([Bid(1, "a", 1700, 4_000, at(1)), Bid(1, "b", 1600, 2_000, at(2)), Bid(2, "a", 1650, 500, at(3))], gd)
    assert r.rejected == {(2, "a"): "below_minimum (1000 t)", (1, "b"): "over_bidder_limit (5000 t)"}
    ties = [Bid(i, "a", 2000, 500, at(1)) for i in range(1, 6)]
    one = clear(ties, AuctionRules(volume=1_000, closes_at=CLOSE, lot=500, tie_break="random", random_seed=42))
    two = clear(ties, AuctionRules(volume=1_000, closes_at=CLOSE, lot=500, tie_break="random", random_seed=42))
    assert one.fills == two.fills and len(one.fills) == 2  # the draw is fixed before the auction
