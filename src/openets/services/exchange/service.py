"""The exchange service for one instrument: the facade composing the rooms, and how to open it with
the market's rules in force today."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select

from openets.core.clock import MARKET_TZ, to_us
from openets.core.errors import DomainError
from openets.market.orderbook import BookRules
from openets.market.rules import TradingRules
from openets.registry.model import PartyKind
from openets.services.exchange.blocks import BlockTrades
from openets.services.exchange.market_data import MarketData
from openets.services.exchange.matching import Matching
from openets.services.exchange.orders import OrderLog
from openets.services.exchange.reconcile import Reconciliation
from openets.services.exchange.settlement import Settlement
from openets.services.registry import RegistryService
from openets.storage import tables as t
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
        self.exchange_party = self._exchange_party()
        self.reference = self._reference()
        self._recover()

    def _exchange_party(self) -> int:
        def work(c: Connection) -> int:
            pid = c.execute(select(t.parties.c.id).where(t.parties.c.kind == PartyKind.EXCHANGE.value,
                                                         t.parties.c.market == self.market)).scalar()
            if pid is None:
                market = self.registry.rulebook.market(self.market)
                pid = c.execute(insert(t.parties).values(
                    kind=PartyKind.EXCHANGE.value, name=f"{market.name_zh}交易所", name_en=f"{market.name_en} exchange",
                    market=self.market, created_us=to_us(self.clock.now())).returning(t.parties.c.id)).scalar_one()
            return int(pid)

        return run_in_transaction(self.engine, work)


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
