"""Registry use cases. Every value-moving request goes through :meth:`RegistryService.submit`:
one database transaction, idempotent per client key, checked by the domain before anything moves."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Connection, Engine, insert, select, update

from openets.core.actor import Actor, Role
from openets.core.batching import gc_paused
from openets.core.clock import Clock, SystemClock
from openets.core.errors import DomainError, IdempotencyConflict, NotFound
from openets.ledger.book import Book, LedgerError, PositionKey
from openets.registry.engine import Registry, WorkingSet, to_us
from openets.registry.model import (
    GOVERNMENT_ACCOUNTS,
    Account,
    AccountStatus,
    AccountType,
    PartyKind,
    UnitClass,
    UnitKind,
)
from openets.registry.transactions import SPECS, ReceiverRule, TxRecord, TxType
from openets.rules.loader import RuleBook
from openets.services.ops import Op
from openets.services.rulebook import default_rulebook
from openets.storage import tables as t
from openets.storage.db import run_in_transaction
from openets.storage.registry_repo import RegistryRepo, account_from_row

_MARKET_RECEIVER = {
    ReceiverRule.MARKET_SURRENDER: AccountType.SURRENDER,
    ReceiverRule.MARKET_RETIREMENT: AccountType.RETIREMENT,
    ReceiverRule.MARKET_DELETION: AccountType.DELETION,
}
_MOVES = {TxType.ALLOCATE, TxType.CENTRAL_TRANSFER, TxType.AUCTION_DELIVERY, TxType.TRANSFER, TxType.SURRENDER,
          TxType.CANCEL, TxType.DELETE, TxType.RETURN_EXCESS}
_DECISIONS = {"approve", "reject", "withdraw"}
_TYPES = {x.value for x in TxType}


@dataclass(frozen=True, slots=True)
class AccountRef:
    id: int
    number: str
    party_id: int
    market: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one op: the transaction, or the domain error that refused it."""

    op: Op
    record: TxRecord | None = None
    error: DomainError | None = None
    replayed: bool = False  # an idempotent repeat: nothing new happened

    @property
    def ok(self) -> bool:
        return self.error is None


class RegistryService:
    def __init__(self, engine: Engine, *, clock: Clock | None = None, rulebook: RuleBook | None = None) -> None:
        self.engine = engine
        self.clock = clock or SystemClock()
        self.rulebook = rulebook or default_rulebook()
        self._market_accounts: dict[tuple[str, AccountType], int] | None = None
        self._uc_cache: dict[int, UnitClass] = {}

    # -- actors ----------------------------------------------------------------------------------
    def actor(self, user: str, party_id: int | None = None) -> Actor:
        with self.engine.connect() as conn:
            q = select(t.representatives).where(t.representatives.c.user_name == user)
            if party_id is not None:
                q = q.where(t.representatives.c.party_id == party_id)
            rows = conn.execute(q).all()
        if not rows:
            raise DomainError("not_a_representative", f"user {user!r} does not represent "
                              + (f"party {party_id}" if party_id is not None else "any party"))
        if len(rows) > 1:
            raise DomainError("party_ambiguous", f"user {user!r} represents several parties: name one")
        r = rows[0]
        return Actor(user, r.party_id, Role(r.role), r.market)

    # -- the one way value moves -----------------------------------------------------------------
    def submit(self, actor: Actor, ops: Sequence[Op], *, all_or_nothing: bool = True) -> list[Outcome]:
        """Run ``ops`` in one database transaction.

        all_or_nothing: the first refusal rolls everything back and is raised. Otherwise refused
        ops are reported in their outcome and the rest commit.
        """
        with gc_paused():
            return run_in_transaction(self.engine, lambda conn: self._submit(conn, actor, ops, all_or_nothing))

    def submit_in(self, conn: Connection, actor: Actor, ops: Sequence[Op], *,
                  all_or_nothing: bool = True) -> list[Outcome]:
        """As :meth:`submit`, inside a transaction the caller already holds (a larger unit of work)."""
        return self._submit(conn, actor, ops, all_or_nothing)

    def one(self, actor: Actor, op: Op) -> TxRecord:
        outcome = self.submit(actor, [op])[0]
        assert outcome.record is not None
        return outcome.record

    def _gov(self, repo: RegistryRepo, market: str, type_: AccountType) -> int:
        if self._market_accounts is None or (market, type_) not in self._market_accounts:
            self._market_accounts = repo.market_accounts()
        acc = self._market_accounts.get((market, type_))
        if acc is None:
            raise DomainError("receiver_missing", f"market {market} has no {type_} account")
        return acc

    def _unit_classes(self, repo: RegistryRepo, ids: set[int], issuing: bool) -> dict[int, UnitClass]:
        """Unit classes never change but for their issued count, which only issuing reads: others come
        from a per-service cache; issuing reads (and on PostgreSQL locks) the rows."""
        if issuing:
            fresh = repo.unit_classes(ids, lock=True)
            self._uc_cache.update(fresh)
            return fresh
        missing = ids - self._uc_cache.keys()
        if missing:
            self._uc_cache.update(repo.unit_classes(missing))
        return {i: self._uc_cache[i] for i in ids if i in self._uc_cache}

    @staticmethod
    def _prefetch(repo: RegistryRepo, actor: Actor, op: Op) -> None:
        """One move between two named accounts (the common request): read what it needs in one round
        trip (the steps below then find the answers already there). Not on SQLite: its reads cost no
        round trip."""
        if (repo.sqlite or op.action not in _TYPES or TxType(op.action) not in _MOVES or op.txn is not None
                or op.reservation is not None or op.from_account is None or op.to_account is None
                or op.unit_class is None):
            return
        repo.prefetch(party_id=actor.party_id, operation=op.action, keys=[op.key] if op.key is not None else [],
                      account_ids=(op.from_account, op.to_account),
                      positions=(PositionKey(op.from_account, op.unit_class, op.restriction),
                                 PositionKey(op.to_account, op.unit_class, op.restriction)), txn_ids=1)

    def _submit(self, conn: Connection, actor: Actor, ops: Sequence[Op], all_or_nothing: bool) -> list[Outcome]:
        repo = RegistryRepo(conn)
        now = self.clock.now()
        outcomes: list[Outcome | None] = [None] * len(ops)
        if len(ops) == 1:
            self._prefetch(repo, actor, ops[0])

        # 1. idempotency: repeats return what the first request did
        by_action: dict[str, list[int]] = {}
        for i, op in enumerate(ops):
            if op.key is not None:
                by_action.setdefault(op.action, []).append(i)
        seen: dict[tuple[str, str], tuple[str, int | None]] = {}
        hashes: dict[int, str] = {}
        for action, idxs in by_action.items():
            hits = repo.idempotent_hits(actor.party_id, action, [ops[i].key for i in idxs])  # type: ignore[misc]
            for i in idxs:
                op = ops[i]
                assert op.key is not None
                h = hashes[i] = op.payload_hash()
                prior = hits.get(op.key) or seen.get((action, op.key))
                if prior is None:
                    seen[(action, op.key)] = (h, None)
                    continue
                if prior[0] != h:
                    outcomes[i] = Outcome(op, error=IdempotencyConflict(op.key))
                else:
                    rec = repo.txn(prior[1]) if prior[1] is not None else None
                    outcomes[i] = Outcome(op, record=rec, replayed=True)
        todo = [i for i in range(len(ops)) if outcomes[i] is None]

        # 2. what the ops refer to
        originals: dict[int, TxRecord] = {}
        for i in todo:
            op = ops[i]
            if op.txn is not None:
                rec = repo.txn(op.txn, lock=True)
                if rec is None:
                    outcomes[i] = Outcome(op, error=NotFound("transaction", op.txn))
                    continue
                originals[rec.id] = rec
        todo = [i for i in todo if outcomes[i] is None]
        res_ids = {ops[i].reservation for i in todo if ops[i].reservation is not None}
        res_ids |= {r.reservation_id for r in originals.values() if r.reservation_id is not None}
        reservations = repo.reservations(res_ids)

        account_ids: set[int] = set()
        for i in todo:
            op = ops[i]
            account_ids.update(a for a in (op.from_account, op.to_account) if a is not None)
        for r in originals.values():
            account_ids.update(a for a in (r.sender_id, r.receiver_id) if a is not None)
        account_ids.update(r.account_id for r in reservations.values())
        # ops whose receiver is the market's own surrender / retirement / deletion account
        market_receiver = {}
        for i in todo:
            spec = SPECS.get(TxType(ops[i].action)) if ops[i].action in _TYPES else None
            if spec is not None and spec.receiver_rule in _MARKET_RECEIVER:
                market_receiver[i] = _MARKET_RECEIVER[spec.receiver_rule]
        if market_receiver:  # their markets are needed before the locking read
            accounts, heads = repo.accounts(account_ids)
            for i, kind in market_receiver.items():
                op = ops[i]
                if op.from_account in accounts:
                    try:
                        account_ids.add(self._gov(repo, accounts[op.from_account].market, kind))
                    except DomainError as exc:
                        outcomes[i] = Outcome(op, error=exc)
        if not market_receiver or not repo.sqlite or account_ids - set(accounts):
            accounts, heads = repo.accounts(account_ids, lock=True)  # PostgreSQL: row locks, in id order

        uc_ids = {ops[i].unit_class for i in todo if ops[i].unit_class is not None}
        uc_ids |= {r.unit_class_id for r in originals.values() if r.unit_class_id is not None}
        uc_ids |= {r.unit_class_id for r in reservations.values()}
        issuing = any(ops[i].action == TxType.ISSUE.value or
                      (ops[i].txn in originals and originals[ops[i].txn].type is TxType.ISSUE) for i in todo)
        unit_classes = self._unit_classes(repo, uc_ids, issuing)
        restr_ids = {ops[i].restriction for i in todo} | {r.restriction_id for r in originals.values()}
        restr_ids |= {r.restriction_id for r in reservations.values()}

        ws = WorkingSet(self.rulebook, accounts=accounts, unit_classes=unit_classes,
                        restrictions=repo.restrictions(restr_ids),
                        market_accounts=dict(self._market_accounts or {}), reservations=reservations,
                        book=Book(source=repo))
        for acc_id, (count, head) in heads.items():
            ws.book.load_head(acc_id, count, head)
        keys: set[PositionKey] = set()
        for i in todo:
            op = ops[i]
            if op.unit_class is None:
                continue
            for acc in (op.from_account, op.to_account):
                if acc is not None:
                    keys.add(PositionKey(acc, op.unit_class, op.restriction))
            if i in market_receiver and op.from_account in accounts:
                gov = ws.market_accounts.get((accounts[op.from_account].market, market_receiver[i]))
                if gov is not None:
                    keys.add(PositionKey(gov, op.unit_class, op.restriction))
        for r in originals.values():
            for acc in (r.sender_id, r.receiver_id):
                if acc is not None and r.unit_class_id is not None:
                    keys.add(PositionKey(acc, r.unit_class_id, r.restriction_id))
        for r in reservations.values():
            keys.add(PositionKey(r.account_id, r.unit_class_id, r.restriction_id))
        # one op: fetch only the blocks it touches (lowest ones, neighbours); a batch loads its
        # positions whole in one query, which is cheaper than a query per op
        repo.load_positions(ws, keys, complete=len(todo) > 1)

        # 3. apply, in order
        todo = [i for i in todo if outcomes[i] is None]
        ids = iter(repo.allocate_txn_ids(sum(1 for i in todo if ops[i].action not in _DECISIONS)))
        reg = Registry(ws)
        idem_rows: list[dict[str, object]] = []
        for i in todo:
            op = ops[i]
            try:
                rec = self._apply(reg, repo, actor, now, op, ids, originals)
            except DomainError as exc:
                if all_or_nothing:
                    raise
                outcomes[i] = Outcome(op, error=exc)
                continue
            except LedgerError as exc:  # the domain checks should have prevented this: stop everything
                raise AssertionError(f"ledger refused a checked operation: {exc}") from exc
            outcomes[i] = Outcome(op, record=rec)
            if op.key is not None:
                idem_rows.append({"party_id": actor.party_id, "operation": op.action, "key": op.key,
                                  "payload_hash": hashes[i], "txn_id": rec.id, "created_us": to_us(now)})
        if all_or_nothing:
            for o in outcomes:
                if o is not None and o.error is not None:
                    raise o.error
        repo.persist(ws, idem_rows)
        return [o for o in outcomes if o is not None]

    def _apply(self, reg: Registry, repo: RegistryRepo, actor: Actor, now: datetime, op: Op, ids,  # type: ignore[no-untyped-def]
               originals: dict[int, TxRecord]) -> TxRecord:
        action = op.action
        if action in _DECISIONS:
            assert op.txn is not None
            rec = originals[op.txn]
            if action == "approve":
                return reg.approve(rec=rec, actor=actor, now=now)
            return reg.reject(rec=rec, actor=actor, now=now, withdraw=action == "withdraw")
        try:
            type_ = TxType(action)
        except ValueError:
            raise DomainError("action_unknown", f"unknown action {action!r}") from None
        if op.quantity is None and type_ not in (TxType.RELEASE, TxType.UNFREEZE, TxType.REVERSAL):
            raise DomainError("quantity_missing", "a quantity is needed")
        if type_ is TxType.ISSUE:
            _need(op.unit_class, "unit class")
            _need(op.to_account, "receiving account")
            return reg.issue(txn_id=next(ids), actor=actor, now=now, unit_class_id=op.unit_class,  # type: ignore[arg-type]
                             to_account_id=op.to_account, quantity=op.quantity,  # type: ignore[arg-type]
                             restriction_id=op.restriction, note=op.note)
        if type_ in _MOVES:
            _need(op.from_account, "sending account")
            _need(op.unit_class, "unit class")
            return reg.move(txn_id=next(ids), type=type_, actor=actor, now=now, from_account_id=op.from_account,  # type: ignore[arg-type]
                            unit_class_id=op.unit_class, quantity=op.quantity,  # type: ignore[arg-type]
                            to_account_id=op.to_account, restriction_id=op.restriction,
                            compliance_year=op.compliance_year, reservation_id=op.reservation, note=op.note)
        if type_ in (TxType.RESERVE, TxType.FREEZE):
            _need(op.from_account, "account")
            _need(op.unit_class, "unit class")
            return reg.reserve(txn_id=next(ids), actor=actor, now=now, account_id=op.from_account,  # type: ignore[arg-type]
                               unit_class_id=op.unit_class, quantity=op.quantity,  # type: ignore[arg-type]
                               kind="freeze" if type_ is TxType.FREEZE else op.kind,
                               restriction_id=op.restriction, note=op.note)
        if type_ in (TxType.RELEASE, TxType.UNFREEZE):
            _need(op.reservation, "reservation")
            return reg.release(txn_id=next(ids), actor=actor, now=now, reservation_id=op.reservation,  # type: ignore[arg-type]
                               quantity=op.quantity)
        if type_ is TxType.REVERSAL:
            _need(op.txn, "transaction")
            return reg.reverse(txn_id=next(ids), actor=actor, now=now, original=originals[op.txn],  # type: ignore[index]
                               already_reversed=repo.is_reversed(op.txn), note=op.note)  # type: ignore[arg-type]
        raise DomainError("action_unknown", f"unknown action {action!r}")

    # -- set-up: parties, users, accounts, unit classes -----------------------------------------
    def init_markets(self) -> list[Account]:
        """Give every market its registry party, a system user and its government accounts
        (idempotent: running it again creates nothing new)."""

        def work(conn: Connection) -> list[Account]:
            now_us = to_us(self.clock.now())
            created = []
            for code, market in self.rulebook.markets.items():
                party = conn.execute(select(t.parties.c.id).where(
                    t.parties.c.kind == PartyKind.REGISTRY.value, t.parties.c.market == code)).scalar()
                if party is None:
                    party = conn.execute(insert(t.parties).values(
                        kind=PartyKind.REGISTRY.value, name=market.registry_operator or market.name_zh,
                        name_en=f"{market.name_en} registry", market=code, created_us=now_us,
                    ).returning(t.parties.c.id)).scalar_one()
                for type_ in sorted(GOVERNMENT_ACCOUNTS):
                    number = f"{code}-{type_.upper()}"
                    if conn.execute(select(t.accounts.c.id).where(t.accounts.c.number == number)).first():
                        continue
                    conn.execute(insert(t.accounts).values(
                        number=number, market=code, type=type_.value, party_id=party,
                        status=AccountStatus.OPEN.value, name=f"{market.name_en} {type_}", created_us=now_us,
                        journal_count=0))
                    created.append(number)
            self._market_accounts = None
            return [account_from_row(r) for r in conn.execute(
                select(t.accounts).where(t.accounts.c.number.in_(created)))]

        return run_in_transaction(self.engine, work)

    def registry_party(self, market: str) -> int:
        with self.engine.connect() as conn:
            pid = conn.execute(select(t.parties.c.id).where(
                t.parties.c.kind == PartyKind.REGISTRY.value, t.parties.c.market == market)).scalar()
        if pid is None:
            raise DomainError("not_initialised", f"market {market} is not initialised: run `openets registry init`")
        return pid

    def create_party(self, *, kind: PartyKind, name: str, name_en: str = "", market: str | None = None,
                     registration_id: str | None = None, sector: str | None = None,
                     region: str | None = None, conn: Connection | None = None) -> int:
        if market is not None:
            self.rulebook.market(market)
        if region is not None and not (len(region) == 6 and region.isdigit()):
            raise DomainError("region_invalid", f"region {region!r} is not a six-digit GB/T 2260 code")
        values = dict(kind=kind.value, name=name, name_en=name_en, market=market, registration_id=registration_id,
                      sector=sector, region=region, created_us=to_us(self.clock.now()))

        def work(c: Connection) -> int:
            if registration_id and c.execute(select(t.parties.c.id).where(
                    t.parties.c.registration_id == registration_id)).first():
                raise DomainError("party_exists", f"a party with registration id {registration_id} exists")
            return c.execute(insert(t.parties).values(**values).returning(t.parties.c.id)).scalar_one()

        return work(conn) if conn is not None else run_in_transaction(self.engine, work)

    def add_installation(self, *, party_id: int, name: str, county_code: str, sector: str,
                         conn: Connection | None = None) -> int:
        if not (len(county_code) == 6 and county_code.isdigit()):
            raise DomainError("county_code_invalid", f"county code {county_code!r} is not a six-digit GB/T 2260 code")

        def work(c: Connection) -> int:
            kind = c.execute(select(t.parties.c.kind).where(t.parties.c.id == party_id)).scalar()
            if kind is None:
                raise NotFound("party", party_id)
            if kind != PartyKind.COMPANY.value:
                raise DomainError("not_a_company", f"party {party_id} is a {kind}, not a covered company")
            return c.execute(insert(t.installations).values(
                party_id=party_id, name=name, county_code=county_code, sector=sector,
            ).returning(t.installations.c.id)).scalar_one()

        return work(conn) if conn is not None else run_in_transaction(self.engine, work)

    def add_generating_unit(self, *, installation_id: int, name: str, capacity_mw: int, fuel: str, cooling: str,
                            category: str, conn: Connection | None = None) -> int:
        if capacity_mw <= 0:
            raise DomainError("capacity_invalid", "capacity must be positive")

        def work(c: Connection) -> int:
            if c.execute(select(t.installations.c.id).where(t.installations.c.id == installation_id)).first() is None:
                raise NotFound("installation", installation_id)
            return c.execute(insert(t.generating_units).values(
                installation_id=installation_id, name=name, capacity_mw=capacity_mw, fuel=fuel, cooling=cooling,
                category=category).returning(t.generating_units.c.id)).scalar_one()

        return work(conn) if conn is not None else run_in_transaction(self.engine, work)

    def add_user(self, *, name: str, party_id: int, role: Role, market: str | None = None,
                 conn: Connection | None = None) -> None:
        """Make ``name`` an authorised representative of a party (creating the user if new)."""

        def work(c: Connection) -> None:
            if c.execute(select(t.parties.c.id).where(t.parties.c.id == party_id)).first() is None:
                raise NotFound("party", party_id)
            if c.execute(select(t.users.c.name).where(t.users.c.name == name)).first() is None:
                c.execute(insert(t.users).values(name=name, display_name=name, created_us=to_us(self.clock.now())))
            if c.execute(select(t.representatives.c.user_name).where(
                    t.representatives.c.user_name == name, t.representatives.c.party_id == party_id)).first():
                raise DomainError("representative_exists", f"{name} already represents party {party_id}")
            c.execute(insert(t.representatives).values(user_name=name, party_id=party_id, role=role.value,
                                                       market=market))

        work(conn) if conn is not None else run_in_transaction(self.engine, work)

    def request_account(self, actor: Actor, *, market: str, type: AccountType, number: str | None = None,
                        name: str = "", party_id: int | None = None, conn: Connection | None = None) -> Account:
        """A party asks to open an account; its market's regulator approves it."""
        self.rulebook.market(market)
        type = _enum(AccountType, type, "account type")
        if type in GOVERNMENT_ACCOUNTS:
            raise DomainError("account_type_reserved", f"{type} accounts are created by the registry itself")
        owner = party_id if party_id is not None else actor.party_id
        if owner != actor.party_id and actor.role is not Role.REGULATOR:
            raise DomainError("not_authorised", f"{actor.describe()} cannot request accounts for party {owner}")

        def work(c: Connection) -> Account:
            if c.execute(select(t.parties.c.id).where(t.parties.c.id == owner)).first() is None:
                raise NotFound("party", owner)
            num = number
            if num is None:
                count = c.execute(select(t.accounts.c.id).where(t.accounts.c.market == market)).all()
                num = f"{market}-{type.value[:4].upper()}-{len(count) + 1:06d}"
            if c.execute(select(t.accounts.c.id).where(t.accounts.c.number == num)).first():
                raise DomainError("account_exists", f"account {num} exists")
            now_us = to_us(self.clock.now())
            acc_id = c.execute(insert(t.accounts).values(
                number=num, market=market, type=type.value, party_id=owner, status=AccountStatus.REQUESTED.value,
                name=name, created_us=now_us, journal_count=0).returning(t.accounts.c.id)).scalar_one()
            c.execute(insert(t.account_events).values(account_id=acc_id, event="requested",
                                                      status=AccountStatus.REQUESTED.value, actor_user=actor.user,
                                                      at_us=now_us, note=""))
            return account_from_row(c.execute(select(t.accounts).where(t.accounts.c.id == acc_id)).one())

        return work(conn) if conn is not None else run_in_transaction(self.engine, work)

    def decide_account(self, actor: Actor, number: str, *, approve: bool, note: str = "",
                       conn: Connection | None = None) -> Account:
        def work(c: Connection) -> Account:
            acc = _account_by_number(c, number, lock=True)
            if acc.status is not AccountStatus.REQUESTED:
                raise DomainError("not_requested", f"account {number} is {acc.status}, not awaiting approval")
            actor.require_regulator(acc.market)
            requester = c.execute(select(t.account_events.c.actor_user).where(
                t.account_events.c.account_id == acc.id, t.account_events.c.event == "requested")).scalar()
            if requester == actor.user:
                raise DomainError("four_eyes", "the approver must be a different user than the requester")
            status = AccountStatus.OPEN if approve else AccountStatus.REJECTED
            return self._set_status(c, acc, status, actor, "approved" if approve else "rejected", note)

        return work(conn) if conn is not None else run_in_transaction(self.engine, work)

    def set_account_status(self, actor: Actor, number: str, status: AccountStatus, note: str = "") -> Account:
        def work(c: Connection) -> Account:
            acc = _account_by_number(c, number, lock=True)
            actor.require_regulator(acc.market)
            if acc.status in (AccountStatus.REQUESTED, AccountStatus.REJECTED, AccountStatus.CLOSED):
                raise DomainError("status_final", f"account {number} is {acc.status}")
            if status in (AccountStatus.REQUESTED, AccountStatus.REJECTED):
                raise DomainError("status_invalid", f"{status} is set by the opening request, not by hand")
            if status is AccountStatus.CLOSED:
                held = c.execute(select(t.positions.c.total).where(
                    t.positions.c.account_id == acc.id, t.positions.c.total > 0)).first()
                if held:
                    raise DomainError("account_not_empty", f"account {number} still holds units")
            return self._set_status(c, acc, status, actor, "status", note)

        return run_in_transaction(self.engine, work)

    def _set_status(self, c: Connection, acc: Account, status: AccountStatus, actor: Actor, event: str,
                    note: str) -> Account:
        c.execute(update(t.accounts).where(t.accounts.c.id == acc.id).values(status=status.value))
        c.execute(insert(t.account_events).values(account_id=acc.id, event=event, status=status.value,
                                                  actor_user=actor.user, at_us=to_us(self.clock.now()), note=note))
        return account_from_row(c.execute(select(t.accounts).where(t.accounts.c.id == acc.id)).one())

    def create_unit_class(self, actor: Actor, *, kind: UnitKind, market: str, vintage: int, cap: int | None = None,
                          standard: str | None = None, project_id: str | None = None,
                          project_type: str | None = None, location: str | None = None,
                          conn: Connection | None = None) -> UnitClass:
        m = self.rulebook.market(market)
        kind = _enum(UnitKind, kind, "unit kind")
        actor.require_regulator(market)
        if not 2005 <= vintage <= 2100:
            raise DomainError("vintage_invalid", f"vintage {vintage} is out of range")
        if cap is not None and cap < 0:
            raise DomainError("cap_invalid", "a cap cannot be negative")
        if kind is UnitKind.ALLOWANCE:
            if cap is None:
                raise DomainError("cap_missing", "allowances need the cap of their market and vintage")
            code = f"{m.allowance_prefix}-{vintage}"
        else:
            if not standard or not project_id:
                raise DomainError("offset_incomplete", "offset credits need a standard and a project id")
            code = f"{standard}:{project_id}:{vintage}"

        def work(c: Connection) -> UnitClass:
            if c.execute(select(t.unit_classes.c.id).where(t.unit_classes.c.code == code)).first():
                raise DomainError("unit_class_exists", f"unit class {code} exists")
            uid = c.execute(insert(t.unit_classes).values(
                code=code, kind=kind.value, market=market, vintage=vintage, standard=standard, project_id=project_id,
                project_type=project_type, location=location, cap=cap, issued=0).returning(t.unit_classes.c.id)
            ).scalar_one()
            return UnitClass(uid, code, kind, market, vintage, standard, project_id, project_type, location, cap, 0)

        return work(conn) if conn is not None else run_in_transaction(self.engine, work)

    def create_restriction(self, actor: Actor, *, allowed_types: Sequence[str], bound_holder: int | None = None,
                           bound_market: str | None = None, bound_year: int | None = None,
                           expires_at: datetime | None = None, note: str = "") -> int:
        if actor.role is not Role.REGULATOR:
            raise DomainError("not_authorised", f"{actor.describe()} is not a regulator")
        bad = [x for x in allowed_types if x not in _TYPES]
        if bad:
            raise DomainError("type_invalid", f"unknown transaction types {bad}")

        def work(c: Connection) -> int:
            return c.execute(insert(t.restrictions).values(
                allowed_types=",".join(sorted(allowed_types)), bound_holder=bound_holder, bound_market=bound_market,
                bound_year=bound_year, expires_us=to_us(expires_at) if expires_at else None, note=note,
            ).returning(t.restrictions.c.id)).scalar_one()

        return run_in_transaction(self.engine, work)

    # -- retention -------------------------------------------------------------------------------
    def purge_idempotency_keys(self, *, older_than_days: int, minimum_days: int = 7) -> int:
        """Forget client keys older than ``older_than_days`` (never fewer than ``minimum_days``).

        Only the keys go: transactions and the journal are never deleted (the journal's triggers
        refuse it), so records are kept for as long as the database is (≥ 5 years required)."""
        if older_than_days < minimum_days:
            raise DomainError("retention_too_short",
                              f"idempotency keys are kept at least {minimum_days} days, not {older_than_days}")
        cutoff = to_us(self.clock.now()) - older_than_days * 86_400 * 1_000_000

        def work(c: Connection) -> int:
            return c.execute(t.idempotency.delete().where(t.idempotency.c.created_us < cutoff)).rowcount

        return run_in_transaction(self.engine, work)

    # -- lookups for the edges -------------------------------------------------------------------
    def account(self, number: str) -> Account:
        with self.engine.connect() as conn:
            return _account_by_number(conn, number)

    def account_ref(self, number: str) -> AccountRef:
        """An account's id, owner and market by its number — facts that never change, so cached (its
        status, which does change, is checked inside every transaction)."""
        cache = self.__dict__.setdefault("_acc_refs", {})
        got = cache.get(number)
        if got is None:
            with self.engine.connect() as conn:
                r = conn.execute(select(t.accounts.c.id, t.accounts.c.party_id, t.accounts.c.market).where(
                    t.accounts.c.number == number)).first()
            if r is None:
                raise NotFound("account", number)
            got = cache[number] = AccountRef(r.id, number, r.party_id, r.market)
        return got

    def unit_class_id(self, code: str) -> int:
        """The id of a unit class by its code (codes and ids never change: cached)."""
        cache = self.__dict__.setdefault("_uc_ids", {})
        if code not in cache:
            cache[code] = self.unit_class(code).id
        return cache[code]

    def registration_id(self, party_id: int) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(select(t.parties.c.registration_id).where(t.parties.c.id == party_id)).scalar()

    def unit_class(self, code: str) -> UnitClass:
        with self.engine.connect() as conn:
            uc = RegistryRepo(conn).unit_class_by_code(code)
        if uc is None:
            raise NotFound("unit class", code)
        return uc


def _enum(cls, value, what: str):  # type: ignore[no-untyped-def]
    try:
        return cls(value)
    except ValueError:
        known = ", ".join(x.value for x in cls)
        raise DomainError("value_invalid", f"unknown {what} {value!r} (known: {known})") from None


def _need(value: object, what: str) -> None:
    if value is None:
        raise DomainError("argument_missing", f"a {what} is needed")


def _account_by_number(conn: Connection, number: str, lock: bool = False) -> Account:
    q = select(t.accounts).where(t.accounts.c.number == number)
    if lock and conn.dialect.name != "sqlite":
        q = q.with_for_update()
    row = conn.execute(q).first()
    if row is None:
        raise NotFound("account", number)
    return account_from_row(row)


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

    def _ids(self):  # type: ignore[no-untyped-def]
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

    def apply(self, actor: Actor, op: Op) -> TxRecord:
        ws = self.ws
        restriction = op.restriction
        if op.reservation is not None and op.reservation not in ws.reservations:
            ws.reservations.update(self.repo.reservations({op.reservation}))
        res = ws.reservations.get(op.reservation) if op.reservation is not None else None
        if res is not None and op.from_account is None:  # a move out of a reservation: from its account
            op = replace(op, from_account=res.account_id)
        uc = op.unit_class
        accounts = [a for a in (op.from_account, op.to_account) if a is not None]
        if res is not None:
            accounts.append(res.account_id)
            uc = res.unit_class_id if uc is None else uc
            restriction = res.restriction_id
        spec = SPECS.get(TxType(op.action)) if op.action in _TYPES else None
        if spec is not None and spec.receiver_rule in _MARKET_RECEIVER and op.from_account is not None:
            self.load({op.from_account}, set())
            acc = ws.accounts.get(op.from_account)
            if acc is not None:
                accounts.append(self.svc._gov(self.repo, acc.market, _MARKET_RECEIVER[spec.receiver_rule]))
        positions = ws.book.positions
        if uc is None or any(a not in ws.accounts or PositionKey(a, uc, restriction) not in positions
                             for a in accounts) or uc not in ws.unit_classes:
            self.load(set(accounts), {uc} if uc is not None else set(), {restriction})
        try:
            return self.svc._apply(self.reg, self.repo, actor, self.svc.clock.now(), op, self._ids(), {})
        except LedgerError as exc:  # the domain checks should have prevented this
            raise AssertionError(f"ledger refused a checked operation: {exc}") from exc

    def total(self, account_id: int, unit_class_id: int) -> int:
        """What the account holds of the unit class, restricted units included, as of this session."""
        from sqlalchemy import func as f

        self.load({account_id}, {unit_class_id})
        own = self.ws.book.position(PositionKey(account_id, unit_class_id, 0)).total
        restricted = self.repo.conn.execute(select(f.coalesce(f.sum(t.positions.c.total), 0)).where(
            t.positions.c.account_id == account_id, t.positions.c.unit_class_id == unit_class_id,
            t.positions.c.restriction_id != 0)).scalar_one()
        return own + int(restricted)

    def flush(self) -> None:
        self.repo.persist(self.ws)
        self.ws = WorkingSet(self.svc.rulebook, market_accounts=self.ws.market_accounts, book=Book(source=self.repo))
        self.reg = Registry(self.ws)
