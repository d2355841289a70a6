"""One exchange per instrument for the service: built on first use, its book guarded by a lock
(requests run on a thread pool; the matching core is single-threaded by design)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select

from openets.core.errors import NotFound
from openets.registry.model import UnitKind
from openets.services.exchange import ExchangeService, open_exchange
from openets.services.registry import RegistryService
from openets.storage import tables as t


class Exchanges:
    def __init__(self, registry: RegistryService) -> None:
        self.registry = registry
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

    def instruments(self) -> list[dict[str, object]]:
        with self.registry.engine.connect() as c:
            rows = c.execute(select(t.unit_classes.c.code, t.unit_classes.c.market, t.unit_classes.c.vintage).where(
                t.unit_classes.c.kind == UnitKind.ALLOWANCE.value).order_by(t.unit_classes.c.code)).all()
        out = []
        for r in rows:
            ex = self._ex.get(r.code)
            out.append({"instrument": r.code, "market": r.market, "vintage": r.vintage,
                        "reference_fen": ex.reference if ex else None})
        return out

    def open_orders(self, instrument: str, party: int) -> list[dict[str, object]]:
        o = t.orders
        with self.registry.engine.connect() as c:
            rows = c.execute(select(o.c.id, o.c.side, o.c.price_fen, o.c.quantity, o.c.remaining, o.c.client_id).where(
                o.c.instrument == instrument, o.c.party_id == party, o.c.status == "open").order_by(o.c.id)).all()
        return [{"order_id": r.id, "side": r.side, "price_fen": r.price_fen, "quantity": r.quantity,
                 "remaining": r.remaining, "client_id": r.client_id} for r in rows]
