"""Stage 5, the auction (Shanghai's, by the bundled notice named in the scenario): the units issued
under the notice's restriction and moved to the auction account, the notice and reserve published
the day before, sealed bids from part of the short companies, the close."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from openets.core.errors import DomainError
from openets.registry.commands import Approve, CentralTransfer, Issue
from openets.services.auctions import AuctionService
from openets.simulation.schema import MarketSpec
from openets.simulation.state import Market

AUCTION_RULES = Path(__file__).resolve().parents[1] / "rules" / "data" / "auctions"


def auction_rules(spec: MarketSpec) -> dict[str, Any]:
    """The ``[auction]`` table of the bundled auction rule file the market's spec names."""
    assert spec.auction is not None
    path = AUCTION_RULES / f"{spec.auction.rules}.toml"
    if not path.is_file():
        raise DomainError("scenario_invalid", f"{spec.code}: auction rules {spec.auction.rules!r} not found")
    rules: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))["auction"]
    return rules


def run_auction(m: Market) -> None:
    a = auction_rules(m.spec)
    assert m.spec.auction is not None
    svc, code = m.svc, m.spec.code
    opens, closes = datetime.fromisoformat(a["opens_at"]), datetime.fromisoformat(a["closes_at"])
    m.clock.at = opens.astimezone(UTC) - timedelta(hours=18)  # the notice and reserve: the day before
    r = a["restriction"]
    rid = svc.create_restriction(m.r1, allowed_types=["issue", "central_transfer", "auction_delivery", *r["allowed_types"]],
                                 bound_market=r.get("bound_market"), bound_year=r.get("bound_year"),
                                 note=a["document"])
    m.auction_restriction = rid
    volume = int(a["volume"])
    rec = svc.one(m.r1, Issue(key=f"{code}-auction", to_account=svc.account(f"{code}-ISSUANCE").id,
                           unit_class=m.uc.id, quantity=volume, restriction=rid))
    if rec.status.value == "awaiting_approval":
        svc.one(m.r2, Approve(txn=rec.id))
    svc.one(m.r1, CentralTransfer(from_account=svc.account(f"{code}-ISSUANCE").id,
                     to_account=svc.account(f"{code}-AUCTION").id, unit_class=m.uc.id, quantity=volume,
                     restriction=rid))
    svc_a = AuctionService(svc)
    nid = svc_a.announce(m.r1, a, unit_class=m.uc.code, restriction_id=rid)
    reserve = svc_a.publish_reserve(m.r1, nid)
    # companies short of their allocation bid for part of that gap: what they win they surrender
    # first (it may only be surrendered), banking the allowances it frees
    rng = m.rng
    short = [c for c in m.companies if c.obligation > c.allocated]
    bidders = [c for c in short if rng.random() < float(m.spec.auction.bidders_share)]
    for k, c in enumerate(bidders):
        m.clock.at = opens.astimezone(UTC) + timedelta(seconds=30 + 7 * k)
        gap = max((c.obligation - c.allocated) * rng.randint(3, 8) // 10, 100)
        price = reserve + rng.randint(0, 12) * 10
        try:
            svc_a.bid(c.actor, nid, bid_id="1", price_fen=price, quantity=gap)
        except DomainError as exc:  # a bidder without the cash for its deposit stays out
            if exc.code != "cash_insufficient":
                raise
    m.clock.at = closes.astimezone(UTC) + timedelta(minutes=1)
    m.auction = svc_a.close(m.r1, nid)
    m.auction_delivered = m.clock.now()
