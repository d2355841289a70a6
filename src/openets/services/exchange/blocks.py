"""Block trades (协议转让 / 大宗协议): an agreement between two named parties, settled at once."""

from __future__ import annotations

from sqlalchemy import Connection, insert

from openets.core.actor import Actor
from openets.core.clock import to_us
from openets.core.errors import DomainError, NotFound
from openets.core.prices import yuan_text
from openets.market.checks import BLOCK_CHECKS, Proposed, first_failure
from openets.registry.commands import Reserve
from openets.services.exchange.base import ExchangeBase
from openets.storage import tables as t
from openets.storage.db import run_in_transaction


class BlockRefused(DomainError):
    """A block trade the market's rules refuse: code ``block_invalid`` (as before), ``reason`` the
    failing check's name (block_too_small, quantity_not_in_lots, block_outside_band, block_outside_session)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__("block_invalid", f"{reason}: {message}")
        self.reason = reason


class BlockTrades(ExchangeBase):
    def block_trade(self, seller: Actor, seller_account: str, buyer: Actor, buyer_account: str, *, price_fen: int,
                    quantity: int) -> int:
        """An agreement trade between two named parties, both of whom have confirmed it (the API
        collects the two confirmations): size, block band and session checked; delivery versus
        payment at once. Block trades do not make the listed close price. Returns the trade id."""
        if type(price_fen) is not int or type(quantity) is not int or price_fen <= 0 or quantity <= 0:
            raise DomainError("order_invalid", "a block trade needs a positive price (fen) and quantity (t)")
        if self.trading is None or self.reference is None:
            raise DomainError("block_not_offered", f"{self.market} has no block-trading rules for {self.instrument}")
        # checked before anything is written: a refused block trade changes nothing
        hit = first_failure(BLOCK_CHECKS, Proposed(self.trading, quantity, self.clock.now(), price_fen, self.reference))
        if hit:
            raise BlockRefused(*hit)

        def work(c: Connection) -> int:
            sa, ba = self._account(seller_account), self._account(buyer_account)
            if sa is None or sa[1] != seller.party_id:
                raise NotFound("account", seller_account)
            if ba is None or ba[1] != buyer.party_id:
                raise NotFound("account", buyer_account)
            if seller.party_id == buyer.party_id:
                raise DomainError("self_trade", "a party cannot trade with itself")
            b = self._batch(c)
            amount = price_fen * quantity
            bf, sf = self._fee(amount), self._fee(amount)
            if b.cash.available(buyer.party_id) < amount + bf:
                raise DomainError("cash_insufficient", f"the buyer's available cash "
                                                       f"{yuan_text(b.cash.available(buyer.party_id))} yuan does not "
                                                       f"cover {yuan_text(amount + bf)}")
            rec = b.session.apply(seller, Reserve(account=sa[0], unit_class=self.unit_class.id,
                                             quantity=quantity, kind="order", note="block trade"))
            b.cash.move(buyer.party_id, 0, amount + bf, "reserve", "block trade")
            row: dict[str, object] = {
                "instrument": self.instrument, "market": self.market, "mode": "block", "buy_order": 0,
                "sell_order": 0, "buyer_id": buyer.party_id, "seller_id": seller.party_id, "price_fen": price_fen,
                "quantity": quantity, "buyer_fee_fen": bf, "seller_fee_fen": sf, "at_us": to_us(self.clock.now()),
                "txn_id": None, "due_day": None, "settled_us": None}
            self._deliver(b, row, ba[0], rec.reservation_id)
            self._flush(b)
            return int(c.execute(insert(t.trades).values(**row).returning(t.trades.c.id)).scalar_one())

        return run_in_transaction(self.engine, work, attempts=5)
