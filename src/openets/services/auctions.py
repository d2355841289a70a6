"""Auction settlement: a cleared auction's units delivered from the market's auction account to the
winners' compliance accounts in one atomic registry batch, restricted as the notice says (Shanghai
2017: only surrender, for 2016); revenue recorded for the treasury; the public result stored."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select

from openets.core.actor import Actor
from openets.core.errors import DomainError
from openets.market.auction import AuctionResult
from openets.registry.engine import to_us
from openets.registry.model import AccountType
from openets.services.ops import Op
from openets.services.registry import RegistryService
from openets.storage import tables as t
from openets.storage.db import run_in_transaction


class AuctionService:
    def __init__(self, registry: RegistryService) -> None:
        self.registry = registry

    def settle(self, actor: Actor, *, market: str, document: str, unit_class: str, restriction_id: int,
               result: AuctionResult) -> int:
        actor.require_regulator(market)
        if result.cancelled:
            raise DomainError("auction_cancelled", f"the auction was cancelled: {result.cancelled}")
        uc = self.registry.unit_class(unit_class)
        auction_account = self.registry.account(f"{market}-AUCTION")
        won: dict[int, int] = {}
        for (bidder, _), qty in result.fills.items():
            won[bidder] = won.get(bidder, 0) + qty

        def work(c: Connection) -> int:
            accounts = {r.party_id: r.id for r in c.execute(
                select(t.accounts.c.id, t.accounts.c.party_id).where(
                    t.accounts.c.party_id.in_(list(won)), t.accounts.c.market == market,
                    t.accounts.c.type == AccountType.COMPLIANCE.value).order_by(t.accounts.c.id.desc()))}
            missing = sorted(set(won) - set(accounts))
            if missing:
                raise DomainError("account_missing", f"winners without a {market} compliance account: {missing}")
            price = result.clearing_price or 0
            aid = c.execute(insert(t.auctions).values(
                market=market, document=document, unit_class_id=uc.id, restriction_id=restriction_id,
                clearing_price_fen=result.clearing_price, volume_sold=result.sold, bidders=result.bidders,
                winners=result.winners, cover_ratio=str(result.cover_ratio), revenue_fen=price * result.sold,
                settled_by=actor.user, settled_us=to_us(self.registry.clock.now()),
            ).returning(t.auctions.c.id)).scalar_one()
            ops = [Op("auction_delivery", key=f"auction-{aid}-{party}", from_account=auction_account.id,
                      to_account=accounts[party], unit_class=uc.id, quantity=qty, restriction=restriction_id)
                   for party, qty in sorted(won.items())]
            outcomes = self.registry.submit_in(c, actor, ops)
            c.execute(insert(t.auction_fills), [
                {"auction_id": aid, "party_id": party, "quantity": qty, "paid_fen": qty * price,
                 "txn_id": o.record.id if o.record else None}
                for (party, qty), o in zip(sorted(won.items()), outcomes)])
            return aid

        return run_in_transaction(self.registry.engine, work)
