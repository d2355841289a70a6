"""The unit of work behind :meth:`RegistryService.submit`: idempotency, load, check and apply, persist.

One submit is one database transaction. Its steps, in order (the order of the statements matters to
the hot path: each step is about one round trip, and PostgreSQL's row locks are taken in id order):

1. :meth:`UnitOfWork.replay_repeats` — client keys seen before return what the first request did;
2. :meth:`UnitOfWork.load_originals` — the transactions that decisions and reversals act on;
3. :meth:`UnitOfWork.load_working_set` — reservations, accounts (locked), unit classes, restrictions
   and positions, into the engine's :class:`WorkingSet`;
4. :meth:`UnitOfWork.apply_all` — each command checked and applied in memory, in order;
5. the repository writes what changed (transactions, journal, positions, keys) in one go.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, select

from openets.core.actor import Actor
from openets.core.clock import to_us
from openets.core.errors import DomainError, IdempotencyConflict, NotFound
from openets.ledger.book import Book, LedgerError, PositionKey
from openets.offsets.issuance import refusal
from openets.registry.checks import flex_key
from openets.registry.commands import (
    Approve,
    Command,
    Decision,
    EnteredMove,
    Freeze,
    Issue,
    Move,
    Release,
    Reserve,
    Reversal,
    Surrender,
    Unfreeze,
    Withdraw,
)
from openets.registry.engine import Registry, WorkingSet
from openets.registry.model import Account, AccountType, Reservation, UnitKind
from openets.registry.transactions import SPECS, ReceiverRule, TxRecord, TxType
from openets.services import rulebook
from openets.services.registry.base import person_of
from openets.storage import tables as t
from openets.storage.registry_repo import RegistryRepo

if TYPE_CHECKING:
    from openets.services.registry.service import RegistryService

_MARKET_RECEIVER = {
    ReceiverRule.MARKET_SURRENDER: AccountType.SURRENDER,
    ReceiverRule.MARKET_RETIREMENT: AccountType.RETIREMENT,
    ReceiverRule.MARKET_DELETION: AccountType.DELETION,
}


def market_receiver(op: Command) -> AccountType | None:
    """The market's own account type that receives ``op`` (surrender, cancel, delete), or None."""
    spec = SPECS.get(op.tx_type) if op.tx_type is not None else None
    return _MARKET_RECEIVER.get(spec.receiver_rule) if spec is not None else None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one command: the transaction, or the domain error that refused it."""

    op: Command
    record: TxRecord | None = None
    error: DomainError | None = None
    replayed: bool = False  # an idempotent repeat: nothing new happened

    @property
    def ok(self) -> bool:
        return self.error is None


LIMITED_OPS = (Surrender,)  # the only op load_limits reads anything for (its flex limits)


def load_limits(repo: RegistryRepo, ws: WorkingSet, ops: Sequence[Command], now: datetime) -> None:
    """What the checks of surrenders need beyond positions, for ``ops`` (a unit of work's, or one op of
    a session; what ``ws`` already holds is kept): the account limits (borrowing, carry-over) they count
    against with what the accounts' earlier surrenders (not reversed) used of them (``within_flex_limit``).
    Nothing is read for a market whose rules state no such limit, nor for any other operation. (When units
    arrived, for ``not_before_arrival``, comes with the positions: ``positions.last_in_us``.)"""
    if not any(isinstance(op, LIMITED_OPS) for op in ops):
        return  # an exchange batch's reservations, releases and deliveries: nothing to read (nor to build)
    registry, wanted = Registry(ws), set[tuple[int, str, int]]()
    for op in ops:
        uc = ws.unit_classes.get(op.unit_class) if isinstance(op, Surrender) else None
        acc = ws.accounts.get(op.from_account) if op.from_account is not None else None
        if uc is None or acc is None:
            continue
        try:
            key = flex_key(uc.kind, uc.vintage, op.compliance_year,
                           registry.rules(acc.market, op.compliance_year or uc.vintage, now))
        except DomainError:
            continue  # the engine refuses it with the rule lookup's own error
        if key is not None and (acc.id, *key) not in ws.flex:
            wanted.add((acc.id, *key))
    if not wanted:
        return
    limits, rows = repo.flex({a for a, _, _ in wanted})
    used: dict[tuple[int, str, int], int] = {}
    for r in rows:
        key = flex_key(UnitKind(r.kind), r.vintage, r.compliance_year, registry.rules(r.market, r.compliance_year, now))
        if key is not None:
            used[(r.sender_id, *key)] = used.get((r.sender_id, *key), 0) + int(r.quantity)
    for want in wanted:
        ws.flex[want] = [limits.get(want), used.get(want, 0)]


class UnitOfWork:
    """One submit of ``ops`` on ``conn``; :meth:`run` does the steps of the module's docstring."""

    def __init__(self, svc: RegistryService, conn: Connection, actor: Actor, ops: Sequence[Command],
                 all_or_nothing: bool) -> None:
        actor.require_may_act()  # an auditor moves nothing, whatever the command
        self.svc = svc
        self.repo = RegistryRepo(conn)
        self.actor = actor
        self.ops = ops
        self.all_or_nothing = all_or_nothing
        self.now = svc.clock.now()
        self.outcomes: list[Outcome | None] = [None] * len(ops)
        self.hashes: dict[int, str] = {}  # op index → payload hash, for ops with a client key
        self.originals: dict[int, TxRecord] = {}  # transactions acted on, by id
        self.market_receiver: dict[int, AccountType] = {}  # op index → its market-owned receiver's type
        self.persons: dict[str, str] = {}  # proposers of the transactions decided → their natural persons

    def run(self) -> list[Outcome]:
        if len(self.ops) == 1:
            self.prefetch(self.ops[0])
        todo = self.replay_repeats()
        todo = self.load_originals(todo)
        ws = self.load_working_set(todo)
        idem_rows = self.apply_all(ws, [i for i in todo if self.outcomes[i] is None])
        self.repo.persist(ws, idem_rows)
        return [o for o in self.outcomes if o is not None]

    def prefetch(self, op: Command) -> None:
        """One move between two named accounts (the common request): read what it needs in one round
        trip (the steps below then find the answers already there). Not on SQLite: its reads cost no
        round trip."""
        repo = self.repo
        if (repo.sqlite or not isinstance(op, Move) or op.reservation is not None or op.from_account is None
                or op.to_account is None):
            return
        repo.prefetch(party_id=self.actor.party_id, operation=op.action, keys=[op.key] if op.key is not None else [],
                      account_ids=(op.from_account, op.to_account),
                      positions=(PositionKey(op.from_account, op.unit_class, op.restriction),
                                 PositionKey(op.to_account, op.unit_class, op.restriction)), txn_ids=1)

    # -- 1. idempotency --------------------------------------------------------------------------
    def replay_repeats(self) -> list[int]:
        """Repeats return what the first request did; the same key with another payload is refused.
        Returns the indexes of the ops still to do."""
        ops, outcomes = self.ops, self.outcomes
        by_action: dict[str, list[int]] = {}
        for i, op in enumerate(ops):
            if op.key is not None:
                by_action.setdefault(op.action, []).append(i)
        seen: dict[tuple[str, str], tuple[str, int | None]] = {}
        for action, idxs in by_action.items():
            keys = [k for k in (ops[i].key for i in idxs) if k is not None]
            hits = self.repo.idempotent_hits(self.actor.party_id, action, keys)
            for i in idxs:
                op = ops[i]
                assert op.key is not None
                h = self.hashes[i] = op.payload_hash()
                prior = hits.get(op.key) or seen.get((action, op.key))
                if prior is None:
                    seen[(action, op.key)] = (h, None)
                    continue
                if prior[0] != h:
                    outcomes[i] = Outcome(op, error=IdempotencyConflict(op.key))
                else:
                    first = self.repo.txn(prior[1]) if prior[1] is not None else None
                    outcomes[i] = Outcome(op, record=first, replayed=True)
        return [i for i in range(len(ops)) if outcomes[i] is None]

    # -- 2. what the ops act on ------------------------------------------------------------------
    def load_originals(self, todo: list[int]) -> list[int]:
        """The transactions decisions and reversals act on (PostgreSQL: row-locked)."""
        for i in todo:
            op = self.ops[i]
            if op.txn is not None:
                rec = self.repo.txn(op.txn, lock=True)
                if rec is None:
                    self.outcomes[i] = Outcome(op, error=NotFound("transaction", op.txn))
                    continue
                self.originals[rec.id] = rec
        if self.originals:  # the proposers' persons, for four eyes (a decision is rare: one small read)
            self.persons = {r.actor_user: person_of(self.repo.conn, r.actor_user) for r in self.originals.values()}
        return [i for i in todo if self.outcomes[i] is None]

    # -- 3. the working set ----------------------------------------------------------------------
    def load_working_set(self, todo: list[int]) -> WorkingSet:
        ops, originals, repo = self.ops, self.originals, self.repo
        res_ids = {r for r in (ops[i].reservation for i in todo) if r is not None}
        res_ids |= {o.reservation_id for o in originals.values() if o.reservation_id is not None}
        reservations = repo.reservations(res_ids)
        accounts, heads = self._lock_accounts(todo, reservations)
        # the time of the entries is read once their accounts are locked: on PostgreSQL another writer may
        # have committed units into them meanwhile, and entries on an account run forward in time
        # (not_before_arrival); a fixed (simulated) clock gives the same instant again
        self.now = max(self.now, self.svc.clock.now())

        uc_ids: set[int] = {u for u in (ops[i].unit_class for i in todo) if u is not None}
        uc_ids |= {o.unit_class_id for o in originals.values() if o.unit_class_id is not None}
        uc_ids |= {r.unit_class_id for r in reservations.values()}
        issuing = any(isinstance(ops[i], Issue) or ((txn := ops[i].txn) is not None and txn in originals
                                                    and originals[txn].type is TxType.ISSUE) for i in todo)
        unit_classes = self.svc._unit_classes(repo, uc_ids, issuing)
        restr_ids = {ops[i].restriction for i in todo} | {o.restriction_id for o in originals.values()}
        restr_ids |= {r.restriction_id for r in reservations.values()}

        ws = WorkingSet(self.svc.rulebook, accounts=accounts, unit_classes=unit_classes,
                        restrictions=repo.restrictions(restr_ids),
                        market_accounts=dict(self.svc._market_accounts or {}), reservations=reservations,
                        book=Book(source=repo), persons=self.persons)
        for acc_id, (count, head) in heads.items():
            ws.book.load_head(acc_id, count, head)
        # one op: fetch only the blocks it touches (lowest ones, neighbours); a batch loads its
        # positions whole in one query, which is cheaper than a query per op
        repo.load_positions(ws, self._position_keys(ws, todo, reservations), complete=len(todo) > 1)
        load_limits(self.repo, ws, [self.ops[i] for i in todo], self.now)
        return ws

    def _lock_accounts(self, todo: list[int], reservations: dict[int, Reservation]
                       ) -> tuple[dict[int, Account], dict[int, tuple[int, str | None]]]:
        """The accounts the ops name (PostgreSQL: row locks, in id order), with their journal heads.
        Ops whose receiver is the market's own account need their sender's market first."""
        ops, repo = self.ops, self.repo
        account_ids: set[int] = set()
        for i in todo:
            op = ops[i]
            account_ids.update(a for a in (op.from_account, op.to_account) if a is not None)
        for o in self.originals.values():
            account_ids.update(a for a in (o.sender_id, o.receiver_id) if a is not None)
        account_ids.update(r.account_id for r in reservations.values())
        accounts: dict[int, Account] = {}
        heads: dict[int, tuple[int, str | None]] = {}
        for i in todo:
            kind = market_receiver(ops[i])
            if kind is not None:
                self.market_receiver[i] = kind
        if self.market_receiver:  # their markets are needed before the locking read
            accounts, heads = repo.accounts(account_ids)
            for i, kind in self.market_receiver.items():
                op = ops[i]
                if op.from_account in accounts:
                    try:
                        account_ids.add(self.svc._gov(repo, accounts[op.from_account].market, kind))
                    except DomainError as exc:
                        self.outcomes[i] = Outcome(op, error=exc)
        if not self.market_receiver or not repo.sqlite or account_ids - set(accounts):
            accounts, heads = repo.accounts(account_ids, lock=True)
        return accounts, heads

    def _position_keys(self, ws: WorkingSet, todo: list[int], reservations: dict[int, Reservation]
                       ) -> set[PositionKey]:
        ops, accounts = self.ops, ws.accounts
        keys: set[PositionKey] = set()
        for i in todo:
            op = ops[i]
            uc = op.unit_class
            if uc is None:
                continue
            for acc in (op.from_account, op.to_account):
                if acc is not None:
                    keys.add(PositionKey(acc, uc, op.restriction))
            frm: int | None = op.from_account
            if i in self.market_receiver and frm is not None and frm in accounts:
                gov = ws.market_accounts.get((accounts[frm].market, self.market_receiver[i]))
                if gov is not None:
                    keys.add(PositionKey(gov, uc, op.restriction))
        for o in self.originals.values():
            for side in (o.sender_id, o.receiver_id):
                if side is not None and o.unit_class_id is not None:
                    keys.add(PositionKey(side, o.unit_class_id, o.restriction_id))
        for r in reservations.values():
            keys.add(PositionKey(r.account_id, r.unit_class_id, r.restriction_id))
        return keys

    # -- 4. apply, in order ----------------------------------------------------------------------
    def apply_all(self, ws: WorkingSet, todo: list[int]) -> list[dict[str, object]]:
        """Check and apply each op in memory; returns the idempotency rows to write. With
        all_or_nothing, the first refusal is raised (nothing is written)."""
        ops, outcomes, actor, now, repo = self.ops, self.outcomes, self.actor, self.now, self.repo
        ids = iter(repo.allocate_txn_ids(sum(1 for i in todo if not isinstance(ops[i], Decision))))
        reg = Registry(ws)
        idem_rows: list[dict[str, object]] = []
        for i in todo:
            op = ops[i]
            try:
                if isinstance(op, Approve):
                    self.check_issuance_suspension(ws, self.originals[op.txn])
                rec = apply_command(reg, repo, actor, now, op, ids, self.originals)
            except DomainError as exc:
                if self.all_or_nothing:
                    raise
                outcomes[i] = Outcome(op, error=exc)
                continue
            except LedgerError as exc:  # the domain checks should have prevented this: stop everything
                raise AssertionError(f"ledger refused a checked operation: {exc}") from exc
            outcomes[i] = Outcome(op, record=rec)
            if op.key is not None:
                idem_rows.append({"party_id": actor.party_id, "operation": op.action, "key": op.key,
                                  "payload_hash": self.hashes[i], "txn_id": rec.id, "created_us": to_us(now)})
        if self.all_or_nothing:
            for o in outcomes:
                if o is not None and o.error is not None:
                    raise o.error
        return idem_rows


    def check_issuance_suspension(self, ws: WorkingSet, rec: TxRecord) -> None:
        """An offset issue approved while its project's issuance is suspended is refused, as its proposal
        would be then (``offsets.issuance.refusal``: a proposal made the day before the March 2017
        suspension and approved after it gets no credits). The day is the market's, at the approval."""
        uc = ws.unit_classes.get(rec.unit_class_id) if rec.unit_class_id is not None else None
        if (rec.type is not TxType.ISSUE or uc is None or uc.kind is not UnitKind.OFFSET or uc.standard is None
                or uc.project_id is None):
            return
        tags = self.repo.conn.execute(select(t.offset_projects.c.tags).where(
            t.offset_projects.c.standard == uc.standard, t.offset_projects.c.project_id == uc.project_id)).scalar()
        today = self.now.astimezone(self.svc.rulebook.market(uc.market).timezone).date()
        why = refusal(rulebook.issuance_suspensions(self.svc.rulebook), uc.standard,
                      [x for x in (tags or "").split(";") if x], today)
        if why:
            raise DomainError("issuance_suspended", why)


def _need(value: object, what: str) -> None:
    if value is None:
        raise DomainError("argument_missing", f"a {what} is needed")


def apply_command(reg: Registry, repo: RegistryRepo, actor: Actor, now: datetime, op: Command, ids: Iterator[int],
                  originals: dict[int, TxRecord]) -> TxRecord:
    """One command through the engine (which runs the named checks); ``originals`` holds the
    transactions decisions and reversals name."""
    if isinstance(op, Decision):
        rec = originals[op.txn]
        if isinstance(op, Approve):
            reversed_ = repo.txn(rec.reverses_id) if rec.type is TxType.REVERSAL and rec.reverses_id else None
            return reg.approve(rec=rec, actor=actor, now=now, reverses=reversed_.type if reversed_ else None)
        return reg.reject(rec=rec, actor=actor, now=now, withdraw=isinstance(op, Withdraw))
    if isinstance(op, Move):
        if op.from_account is None:  # a session fills it in from the reservation
            raise DomainError("argument_missing", "a sending account is needed")
        return reg.move(txn_id=next(ids), type=op.tx_type, actor=actor, now=now, from_account_id=op.from_account,
                        unit_class_id=op.unit_class, quantity=op.quantity,
                        to_account_id=op.to_account if isinstance(op, EnteredMove) else None,
                        restriction_id=op.restriction, compliance_year=op.compliance_year,
                        reservation_id=op.reservation, note=op.note)
    if isinstance(op, Issue):
        return reg.issue(txn_id=next(ids), actor=actor, now=now, unit_class_id=op.unit_class,
                         to_account_id=op.to_account, quantity=op.quantity, restriction_id=op.restriction,
                         note=op.note)
    if isinstance(op, Reserve | Freeze):
        return reg.reserve(txn_id=next(ids), actor=actor, now=now, account_id=op.account,
                           unit_class_id=op.unit_class, quantity=op.quantity,
                           kind="freeze" if isinstance(op, Freeze) else op.kind,
                           restriction_id=op.restriction, note=op.note)
    if isinstance(op, Release | Unfreeze):
        return reg.release(txn_id=next(ids), actor=actor, now=now, reservation_id=op.reservation,
                           quantity=op.quantity)
    if isinstance(op, Reversal):
        return reg.reverse(txn_id=next(ids), actor=actor, now=now, original=originals[op.txn],
                           already_reversed=repo.is_reversed(op.txn), note=op.note)
    raise DomainError("action_unknown", f"unknown action {getattr(op, 'action', op)!r}")
