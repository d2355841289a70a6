"""The exchange service for one instrument: the facade composing the rooms, and how to open it with
the market's rules in force today."""

from __future__ import annotations

from openets.core.clock import MARKET_TZ
from openets.core.errors import DomainError
from openets.market.orderbook import BookRules
from openets.market.rules import TradingRules
from openets.services.exchange.blocks import BlockTrades
from openets.services.exchange.market_data import MarketData
from openets.services.exchange.matching import Matching
from openets.services.exchange.orders import OrderLog
from openets.services.exchange.reconcile import Reconciliation
from openets.services.exchange.settlement import Settlement
from openets.services.registry import RegistryService
from openets.storage.db import run_in_transaction


class ExchangeService(OrderLog, Matching, Settlement, BlockTrades, MarketData, Reconciliation):
    """Cash, the order log, batch matching, settlement (T+0 / T+1), block trades, market data and
    reconciliation for one instrument. One matching process per instrument: the book lives in this
    object (see :mod:`.matching`)."""

    def __init__(self, registry: RegistryService, *, market: str, instrument: str, rules: BookRules | None = None,
                 trading: TradingRules | None = None) -> None:
        """``trading``: the market's rules (sessions, band, delivery, fees); ``rules`` overrides the
        book's tick, lot and band (tests). The band follows the reference price: the previous close."""
        if rules is None and trading is None:
            raise DomainError("rules_missing", "an exchange needs trading rules or book rules")
        self.registry = registry
        self.engine = registry.engine
        self.clock = registry.clock
        self.market = market
        self.instrument = instrument
        self.unit_class = registry.unit_class(instrument)
        self.trading = trading
        self._fixed_rules = rules
        self.on_trade = []
        self._events = []
        self.exchange_party = None  # looked up by the rebuild below
        self.reference = self._reference()
        self._recover()

    def ensure_exchange_party(self) -> int:
        """The market's exchange party, created now if it does not exist yet (set-up: e.g. to make its
        operator a user); otherwise it is created by the first fee it is paid, in that transaction."""
        pid = run_in_transaction(self.engine, lambda c: self._exchange_party_in(c, create=True))
        assert pid is not None
        self.exchange_party = pid
        return pid


def open_exchange(registry: RegistryService, instrument: str) -> ExchangeService:
    """The exchange for one instrument with its market's trading rules in force today (looked up by
    market, the instrument's vintage as compliance year, and today's date)."""
    from openets.services.rulebook import trading_rules

    uc = registry.unit_class(instrument)
    market = uc.market
    if market is None:
        raise DomainError("instrument_not_traded", f"{instrument} is not traded on a market's exchange")
    today = registry.clock.now().astimezone(MARKET_TZ).date()
    rs = registry.rulebook.lookup(market, uc.vintage or today.year, today, "trading")
    return ExchangeService(registry, market=market, instrument=instrument,
                           trading=trading_rules(rs))
