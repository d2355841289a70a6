"""The exchange service (交易系统): cash accounts (入金/出金), a durable order log, matching in the pure
core, and delivery-versus-payment settlement in the registry.

An order goes through two transactions:

1. **log** — it is appended to ``orders`` as *pending* and committed: only then is it acknowledged
   (bad requests — unknown account, duplicated client order id — are refused here and not logged);
2. **process** — pending orders are taken in log order, matched in the in-memory book and settled:
   a buy reserves cash (limit price × quantity + fee), a sell reserves its units in the registry
   (reservation kind "order"), each fill moves units out of that reservation to the buyer and cash
   the other way, fees booked to the exchange. All of a batch's effects commit together; trades are
   published only after that commit.

A crash between the two leaves pending orders in the log; on start the book is rebuilt from the
open orders and the pending ones are processed again, in the same order, with the same result.
Matching decisions depend only on the log and committed state, so the rebuilt book equals the
one the crashed process had in memory.

Delivery T+0 settles each fill inside the batch; T+1 (data) keeps the seller's units and the buyer's
cash reserved and :meth:`ExchangeService.settle_due` delivers them on the next trading day.

One matching process per instrument: the book lives in this object; every failed transaction
rebuilds it from the database, so the two never differ.

The rooms: :mod:`.orders` (the order log, pre-trade checks, cancel), :mod:`.matching` (batch
matching, the book in step with the database, the day's close), :mod:`.settlement` (fills, cash and
units, T+1, fees, the cash desk), :mod:`.blocks`, :mod:`.market_data`, :mod:`.reconcile`,
:mod:`.cash` (the cash ledger, shared with primary auctions), :mod:`.service` (the facade).
"""

from openets.market.orderbook import BUY, LIMIT, MARKET, SELL
from openets.market.orders import OrderStatus
from openets.services.exchange.base import _crash_point, require_operator
from openets.services.exchange.blocks import BlockRefused
from openets.services.exchange.cash import CashLedger
from openets.services.exchange.orders import SELECT, OrderRequest, Placed
from openets.services.exchange.service import ExchangeService, open_exchange

__all__ = ["BUY", "LIMIT", "MARKET", "SELECT", "SELL", "BlockRefused", "CashLedger", "ExchangeService", "OrderRequest", "OrderStatus",
           "Placed", "_crash_point", "open_exchange", "require_operator"]
