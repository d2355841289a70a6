"""A registry session: many commands inside one transaction the caller holds, written by one flush."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from sqlalchemy import Connection, func, select

from openets.core.actor import Actor
from openets.ledger.book import Book, LedgerError, PositionKey
from openets.registry.commands import Command, Move
from openets.registry.engine import Registry, WorkingSet
from openets.registry.transactions import TxRecord
from openets.services.registry.service import RegistryService
from openets.services.registry.submit import apply_command, load_limits, market_receiver
from openets.storage import tables as t
from openets.storage.registry_repo import RegistryRepo


class RegistrySession:
    """Many ops inside one transaction the caller holds, each checked and applied at once, all written
    by one :meth:`flush` — for a caller whose own decisions interleave with registry ops (the
    exchange's batch: reserve for a sell order, then deliver its fills). A refused op raises its
    DomainError and changes nothing; the ops before it stand. Do not mix with ``submit_in`` on the
    same connection before :meth:`flush` (transaction ids come from the session's own pool)."""

    def __init__(self, svc: RegistryService, conn: Connection, *, complete: bool = False) -> None:
        """``complete``: load each position with all its blocks at once (cheaper when a batch moves
        an account's units many times); otherwise the book fetches the few blocks each op needs."""
        self.svc = svc
        self.complete = complete
        self.repo = RegistryRepo(conn)
        if svc._market_accounts is None:
            svc._market_accounts = self.repo.market_accounts()
        self.ws = WorkingSet(svc.rulebook, market_accounts=dict(svc._market_accounts),
                             book=Book(source=self.repo))
        self.reg = Registry(self.ws)
        self._pool: list[int] = []
        self._next_sqlite: int | None = None

    def _ids(self) -> Iterator[int]:
        while True:
            if self.repo.sqlite:  # the write lock is held: count on from the highest id
                if self._next_sqlite is None:
                    self._next_sqlite = self.repo.allocate_txn_ids(1)[0]
                self._next_sqlite += 1
                yield self._next_sqlite - 1
            else:
                if not self._pool:
                    self._pool = self.repo.allocate_txn_ids(64)[::-1]
                yield self._pool.pop()

    def load(self, account_ids: set[int], unit_class_ids: set[int], restriction_ids: set[int] | None = None) -> None:
        """Bring accounts (PostgreSQL: row-locked), unit classes and their positions into the working set."""
        ws = self.ws
        missing = account_ids - ws.accounts.keys()
        if missing:
            accounts, heads = self.repo.accounts(missing, lock=True)
            ws.accounts.update(accounts)
            for acc_id, (count, head) in heads.items():
                ws.book.load_head(acc_id, count, head)
        missing_uc = unit_class_ids - ws.unit_classes.keys()
        if missing_uc:
            ws.unit_classes.update(self.svc._unit_classes(self.repo, missing_uc, False))
        restrictions = (restriction_ids or set()) - ws.restrictions.keys()
        if restrictions - {0}:
            ws.restrictions.update(self.repo.restrictions(restrictions))
        self.repo.load_positions(ws, {PositionKey(a, u, r) for a in account_ids for u in unit_class_ids
                                      for r in (restriction_ids or {0})}, complete=self.complete)

    def preload(self, account_ids: set[int], unit_class_ids: set[int], reservation_ids: set[int] | None = None) -> None:
        """What a batch's ops will need, read up front in a few queries (accounts, positions, the
        reservations they draw on) instead of one round per op as :meth:`apply` meets them; the same
        rows either way (nothing is written before :meth:`flush`)."""
        missing = (reservation_ids or set()) - self.ws.reservations.keys()
        if missing:
            self.ws.reservations.update(self.repo.reservations(missing))
        if account_ids:
            self.load(set(account_ids), set(unit_class_ids))

    def apply(self, actor: Actor, op: Command) -> TxRecord:
        ws = self.ws
        restriction = op.restriction
        if op.reservation is not None and op.reservation not in ws.reservations:
            ws.reservations.update(self.repo.reservations({op.reservation}))
        res = ws.reservations.get(op.reservation) if op.reservation is not None else None
        if res is not None and op.from_account is None and isinstance(op, Move):  # out of a reservation: from its account
            op = replace(op, from_account=res.account_id)
        uc = op.unit_class
        accounts: list[int] = [a for a in (op.from_account, op.to_account) if a is not None]
        if res is not None:
            accounts.append(res.account_id)
            uc = res.unit_class_id if uc is None else uc
            restriction = res.restriction_id
        gov_type = market_receiver(op)
        if gov_type is not None and op.from_account is not None:
            self.load({op.from_account}, set())
            acc = ws.accounts.get(op.from_account)
            if acc is not None:
                accounts.append(self.svc._gov(self.repo, acc.market, gov_type))
        positions = ws.book.positions
        if uc is None or any(a not in ws.accounts or PositionKey(a, uc, restriction) not in positions
                             for a in accounts) or uc not in ws.unit_classes:
            self.load(set(accounts), {uc} if uc is not None else set(), {restriction})
        load_limits(self.repo, ws, [op], self.svc.clock.now())
        try:
            return apply_command(self.reg, self.repo, actor, self.svc.clock.now(), op, self._ids(), {})
        except LedgerError as exc:  # the domain checks should have prevented this
            raise AssertionError(f"ledger refused a checked operation: {exc}") from exc

    def total(self, account_id: int, unit_class_id: int) -> int:
        """What the account holds of the unit class, restricted units included, as of this session."""
        self.load({account_id}, {unit_class_id})
        own = self.ws.book.position(PositionKey(account_id, unit_class_id, 0)).total
        restricted = self.repo.conn.execute(select(func.coalesce(func.sum(t.positions.c.total), 0)).where(
            t.positions.c.account_id == account_id, t.positions.c.unit_class_id == unit_class_id,
            t.positions.c.restriction_id != 0)).scalar_one()
        return own + int(restricted)

    def flush(self) -> None:
        self.repo.persist(self.ws)
        self.ws = WorkingSet(self.svc.rulebook, market_accounts=self.ws.market_accounts, book=Book(source=self.repo))
        self.reg = Registry(self.ws)
