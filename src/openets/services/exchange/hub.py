"""One exchange per instrument for a serving process: built on first use, its book guarded by a lock
(requests run on a thread pool; the matching core is single-threaded by design)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from openets.core.errors import NotFound
from openets.market.data import Bar, Print
from openets.registry.model import UnitKind
from openets.services.exchange import ExchangeService, open_exchange
from openets.services.exchange.market_data import read_daily_bars, read_tape
from openets.services.market_queries import MarketQueries, OpenOrderRow
from openets.services.registry import RegistryService


@dataclass(frozen=True, slots=True)
class InstrumentView:
    instrument: str
    market: str
    vintage: int
    reference_fen: int | None  # the last close, once this process has opened the instrument's exchange


class Exchanges:
    def __init__(self, registry: RegistryService) -> None:
        self.registry = registry
        self.market = MarketQueries(registry.engine)
        self._ex: dict[str, ExchangeService] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, instrument: str) -> ExchangeService:
        ex = self._ex.get(instrument)
        if ex is not None:  # built already: no need to queue on the guard
            return ex
        with self._guard:
            ex = self._ex.get(instrument)
            if ex is None:
                uc = self.registry.unit_class(instrument)  # NotFound for an unknown code
                if uc.kind is not UnitKind.ALLOWANCE and uc.kind is not UnitKind.OFFSET:
                    raise NotFound("instrument", instrument)
                ex = open_exchange(self.registry, instrument)
                self._locks[instrument] = threading.Lock()  # before the exchange: the fast path needs both
                self._ex[instrument] = ex
            return ex

    @contextmanager
    def locked(self, instrument: str) -> Iterator[ExchangeService]:
        """The instrument's exchange, its book held by this process's threads for the block."""
        ex = self.get(instrument)
        with self._locks[instrument]:
            yield ex

    def depth(self, instrument: str, levels: int) -> tuple[ExchangeService, dict[str, list[tuple[int, int]]]]:
        """The book's depth as the database has it now (another worker may have changed the book)."""
        with self.locked(instrument) as ex:
            ex.refresh()
            return ex, ex.depth(levels)

    def tape(self, instrument: str, *, last: int | None = None) -> list[Print]:
        """The instrument's trades, oldest first, whether or not it trades today (an instrument whose
        market has no trading rules in force still has its history to show)."""
        self.registry.unit_class(instrument)  # NotFound for an unknown code
        return read_tape(self.registry.engine, instrument, last=last)

    def daily_bars(self, instrument: str) -> tuple[list[Bar], int]:
        """The instrument's daily bars and its number of trades (:func:`read_daily_bars`)."""
        self.registry.unit_class(instrument)  # NotFound for an unknown code
        return read_daily_bars(self.registry.engine, instrument)

    def instruments(self) -> list[InstrumentView]:
        out = []
        for r in self.market.allowance_instruments():
            ex = self._ex.get(r.code)
            out.append(InstrumentView(r.code, r.market, r.vintage, ex.reference if ex else None))
        return out

    def open_orders(self, instrument: str, party: int) -> list[OpenOrderRow]:
        return self.market.open_orders(instrument, party)
