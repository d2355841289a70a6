"""The registry engine: applies typed transactions to a working set, after the named checks.

Pure: storage loads the working set (accounts, unit classes, restrictions, positions, reservations),
the engine mutates it in memory and records what changed; storage writes the changes in one unit of
work. Every refusal is a :class:`DomainError` whose code is the failing check's name, raised before
anything in the working set changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from openets.core.actor import Actor, Role, person_key
from openets.core.clock import to_us
from openets.core.errors import DomainError, NotFound
from openets.core.ids import PartyId, TxId
from openets.ledger.book import Book, PositionKey
from openets.registry import checks as _checks
from openets.registry.checks import Ctx, first_failure
from openets.registry.model import (
    UNRESTRICTED,
    Account,
    AccountType,
    Reservation,
    Restriction,
    UnitClass,
)
from openets.registry.transactions import SPECS, ReceiverRule, TxRecord, TxStatus, TxType
from openets.rules.loader import RegistryRules, RuleBook

_RECEIVER_TYPE = {
    ReceiverRule.MARKET_SURRENDER: AccountType.SURRENDER,
    ReceiverRule.MARKET_RETIREMENT: AccountType.RETIREMENT,
    ReceiverRule.MARKET_DELETION: AccountType.DELETION,
}


@dataclass
class WorkingSet:
    rulebook: RuleBook
    accounts: dict[int, Account] = field(default_factory=dict)
    unit_classes: dict[int, UnitClass] = field(default_factory=dict)
    restrictions: dict[int, Restriction] = field(default_factory=dict)
    # (market, account type) → the market's single government account of that type
    market_accounts: dict[tuple[str, AccountType], int] = field(default_factory=dict)
    reservations: dict[int, Reservation] = field(default_factory=dict)
    book: Book = field(default_factory=Book)
    # what changed, for storage to write
    new_txns: list[TxRecord] = field(default_factory=list)
    changed_txns: list[TxRecord] = field(default_factory=list)
    new_reservations: list[Reservation] = field(default_factory=list)
    changed_reservations: dict[int, Reservation] = field(default_factory=dict)
    issued: dict[int, int] = field(default_factory=dict)  # unit class id → new issued total
    # proposers' natural persons (user name → person key), for four eyes on the transactions decided
    persons: dict[str, str] = field(default_factory=dict)
    # account limits (checks.flex_key): (account, kind, year) → [limit granted or None, used so far];
    # storage loads those a batch's surrenders count against, the engine adds what each one uses
    flex: dict[tuple[int, str, int], list[int | None]] = field(default_factory=dict)


class Registry:
    def __init__(self, ws: WorkingSet) -> None:
        self.ws = ws
        self._rules: dict[tuple[str, int, datetime], RegistryRules] = {}  # a batch asks the same many times

    # -- lookups ---------------------------------------------------------------------------------
    def account(self, account_id: int) -> Account:
        try:
            return self.ws.accounts[account_id]
        except KeyError:
            raise NotFound("account", account_id) from None

    def unit_class(self, unit_class_id: int) -> UnitClass:
        try:
            return self.ws.unit_classes[unit_class_id]
        except KeyError:
            raise NotFound("unit class", unit_class_id) from None

    def restriction(self, restriction_id: int) -> Restriction | None:
        if restriction_id == UNRESTRICTED:
            return None
        try:
            return self.ws.restrictions[restriction_id]
        except KeyError:
            raise NotFound("restriction", restriction_id) from None

    def rules(self, market: str, year: int, now: datetime) -> RegistryRules:
        key = (market, year, now)
        got = self._rules.get(key)
        if got is None:
            got = self._rules[key] = self.ws.rulebook.lookup_at(market, year, now, "registry").registry
        return got

    def _receiver(self, type_: TxType, market: str, to_account_id: int | None) -> Account:
        rule = SPECS[type_].receiver_rule
        if rule is ReceiverRule.ENTERED:
            if to_account_id is None:
                raise DomainError("receiver_missing", f"a {type_} needs a receiving account")
            return self.account(to_account_id)
        wanted = _RECEIVER_TYPE[rule]
        acc_id = self.ws.market_accounts.get((market, wanted))
        if acc_id is None:
            raise DomainError("receiver_missing", f"market {market} has no {wanted} account")
        return self.account(acc_id)

    def _check(self, ctx: Ctx) -> None:
        failure = first_failure(ctx)
        if failure:
            raise DomainError(*failure)

    def _record(self, **kw: object) -> TxRecord:
        rec = TxRecord(**kw)  # type: ignore[arg-type]  # callers pass TxRecord's own fields by name
        self.ws.new_txns.append(rec)
        return rec

    # -- issue -----------------------------------------------------------------------------------
    def issue(self, *, txn_id: int, actor: Actor, now: datetime, unit_class_id: int, to_account_id: int,
              quantity: int, restriction_id: int = UNRESTRICTED, note: str = "") -> TxRecord:
        uc = self.unit_class(unit_class_id)
        receiver = self.account(to_account_id)
        rules = self.rules(receiver.market, uc.vintage, now)
        ctx = Ctx(TxType.ISSUE, actor, now, uc, quantity, None, receiver, self.restriction(restriction_id),
                  0, 0, rules)
        self._check(ctx)
        rec = self._record(id=txn_id, type=TxType.ISSUE, status=TxStatus.COMPLETED, market=receiver.market,
                           unit_class_id=uc.id, restriction_id=restriction_id, quantity=quantity,
                           actor_user=actor.user, actor_party=actor.party_id, actor_role=actor.role.value,
                           at=now, receiver_id=receiver.id, note=note)
        if TxType.ISSUE.value in rules.approvals:
            rec.status = TxStatus.AWAITING_APPROVAL
            return rec
        self._do_issue(rec, now)
        return rec

    def _do_issue(self, rec: TxRecord, now: datetime) -> None:
        uc = self.unit_class(rec.unit_class_id or 0)
        start = uc.issued + 1
        end = uc.issued + rec.quantity
        assert rec.receiver_id is not None
        self.ws.book.create(rec.id, PositionKey(rec.receiver_id, uc.id, rec.restriction_id), start, end,
                            TxType.ISSUE.value, to_us(now))
        self.ws.unit_classes[uc.id] = replace(uc, issued=end)
        self.ws.issued[uc.id] = end
        rec.ranges = [(start, end)]

    # -- movements -------------------------------------------------------------------------------
    def move(self, *, txn_id: int, type: TxType, actor: Actor, now: datetime, from_account_id: int,
             unit_class_id: int, quantity: int, to_account_id: int | None = None,
             restriction_id: int = UNRESTRICTED, compliance_year: int | None = None,
             reservation_id: int | None = None, note: str = "") -> TxRecord:
        if type not in SPECS or type in (TxType.ISSUE, TxType.REVERSAL):
            raise DomainError("type_invalid", f"{type} is not a movement")
        sender = self.account(from_account_id)
        uc = self.unit_class(unit_class_id)
        receiver = self._receiver(type, sender.market, to_account_id)
        key = PositionKey(sender.id, uc.id, restriction_id)
        pos = self.ws.book.position(key)
        from_reserved = 0
        if reservation_id is not None:
            res = self._open_reservation(reservation_id)
            if (res.account_id, res.unit_class_id, res.restriction_id) != key or res.kind == "freeze":
                raise DomainError("reservation_mismatch", f"reservation {reservation_id} does not cover these units")
            if quantity > res.quantity:
                raise DomainError("reservation_too_small",
                                  f"reservation {reservation_id} holds {res.quantity} t, {quantity} t asked")
            from_reserved = quantity
        year = compliance_year if compliance_year is not None else uc.vintage
        rules = self.rules(sender.market, year, now)
        fk = _checks.flex_key(uc.kind, uc.vintage, compliance_year, rules) if type is TxType.SURRENDER else None
        entry = self.ws.flex.setdefault((sender.id, *fk), [None, 0]) if fk is not None else None
        ctx = Ctx(type, actor, now, uc, quantity, sender, receiver, self.restriction(restriction_id),
                  pos.available, from_reserved, rules, compliance_year=compliance_year,
                  market=sender.market if type in _checks.SURRENDERS else None,
                  flex=(fk[0], fk[1], entry[0], entry[1] or 0) if fk is not None and entry is not None else None,
                  arrived_us=self.ws.book.arrived_after(key, quantity, to_us(now))
                  if quantity - from_reserved <= pos.available else None)
        self._check(ctx)
        if entry is not None:
            entry[1] = (entry[1] or 0) + quantity
        rec = self._record(id=txn_id, type=type, status=TxStatus.COMPLETED, market=sender.market,
                           unit_class_id=uc.id, restriction_id=restriction_id, quantity=quantity,
                           actor_user=actor.user, actor_party=actor.party_id, actor_role=actor.role.value,
                           at=now, sender_id=sender.id, receiver_id=receiver.id,
                           compliance_year=compliance_year, reservation_id=reservation_id, note=note)
        if type.value in rules.approvals and reservation_id is None:
            # units are held back while the transaction waits for a second person
            rec.status = TxStatus.AWAITING_APPROVAL
            self.ws.book.reserve(txn_id, key, quantity, "approval", to_us(now))
            res = Reservation(txn_id, sender.id, uc.id, restriction_id, quantity, "approval", txn_id=TxId(txn_id))
            self.ws.reservations[res.id] = res
            self.ws.new_reservations.append(res)
            rec.reservation_id = res.id
            return rec
        if reservation_id is not None:
            self._consume(reservation_id, quantity)
        rec.ranges = self.ws.book.move(txn_id, key, PositionKey(receiver.id, uc.id, restriction_id), quantity,
                                       type.value, to_us(now), from_reserved=from_reserved)
        return rec

    # -- approval --------------------------------------------------------------------------------
    def _approver_ok(self, rec: TxRecord, actor: Actor) -> None:
        proposer = self.ws.persons.get(rec.actor_user, person_key(rec.actor_user, None))
        if actor.user == rec.actor_user or actor.person_key == proposer:
            raise DomainError("four_eyes", "the approver must be a different person than the proposer "
                              "(another user name of the same person does not count)")
        rules = self.rules(rec.market, rec.compliance_year or self.unit_class(rec.unit_class_id or 0).vintage, rec.at)
        who = rules.approvals.get(rec.type.value, "regulator")
        if who == "regulator":
            if actor.role is not Role.REGULATOR or actor.market != rec.market:
                raise DomainError("approver_not_authorised", f"{actor.describe()} is not a regulator of {rec.market}")
        elif actor.party_id != rec.actor_party:
            raise DomainError("approver_not_authorised", f"{actor.describe()} does not represent the proposer's party")

    def approve(self, *, rec: TxRecord, actor: Actor, now: datetime, reverses: TxType | None = None) -> TxRecord:
        """Carry out a proposal. ``reverses``: for a reversal, the type of the transaction it reverses
        (its reversal period is checked again now). Every approved transaction takes effect at its
        approval: its time becomes ``now``, as its journal entries' and positions' already are (an issue,
        a deletion or a reversal approved a day after its proposal is dated that day; the compliance
        status counts a reversal's units back from then, not from the proposal)."""
        if rec.status is not TxStatus.AWAITING_APPROVAL:
            raise DomainError("not_awaiting_approval", f"transaction {rec.id} is {rec.status}")
        self._approver_ok(rec, actor)
        rec.approved_by = actor.user
        uc = self.unit_class(rec.unit_class_id or 0)
        if rec.type is TxType.ISSUE:
            assert rec.receiver_id is not None
            receiver = self.account(rec.receiver_id)
            ctx = Ctx(TxType.ISSUE, actor, now, uc, rec.quantity, None, receiver,
                      self.restriction(rec.restriction_id), 0, 0, self.rules(rec.market, uc.vintage, now))
            self._check(ctx)
            self._do_issue(rec, now)
        else:
            assert rec.sender_id is not None and rec.receiver_id is not None and rec.reservation_id is not None
            sender, receiver = self.account(rec.sender_id), self.account(rec.receiver_id)
            key = PositionKey(sender.id, uc.id, rec.restriction_id)
            # the proposer's authority was checked when proposing; statuses and restrictions again now
            proposer = Actor(rec.actor_user, PartyId(rec.actor_party), Role(rec.actor_role), actor.market)
            ctx = Ctx(rec.type, proposer, now, uc, rec.quantity, sender, receiver,
                      self.restriction(rec.restriction_id), self.ws.book.position(key).available, rec.quantity,
                      self.rules(rec.market, rec.compliance_year or uc.vintage, now),
                      compliance_year=rec.compliance_year,
                      market=rec.market if rec.type in _checks.SURRENDERS else None,
                      reverses=reverses if rec.type is TxType.REVERSAL else None,
                      reverses_year=rec.compliance_year if rec.type is TxType.REVERSAL else None)
            failure = first_failure(ctx, _RECHECKS)
            if failure:
                raise DomainError(*failure)
            self._consume(rec.reservation_id, rec.quantity)
            exact = list(rec.ranges) if rec.type is TxType.REVERSAL else None  # a reversal gives back those serials
            try:
                rec.ranges = self.ws.book.move(rec.id, key, PositionKey(receiver.id, uc.id, rec.restriction_id),
                                               rec.quantity, rec.type.value, to_us(now), from_reserved=rec.quantity,
                                               ranges=exact)
            except ValueError as exc:
                raise DomainError("serials_moved_on", f"cannot reverse: {exc}") from None
        rec.at = now
        rec.status = TxStatus.COMPLETED
        self.ws.changed_txns.append(rec)
        return rec

    def reject(self, *, rec: TxRecord, actor: Actor, now: datetime, withdraw: bool = False) -> TxRecord:
        if rec.status is not TxStatus.AWAITING_APPROVAL:
            raise DomainError("not_awaiting_approval", f"transaction {rec.id} is {rec.status}")
        if withdraw:
            if actor.party_id != rec.actor_party:
                raise DomainError("not_authorised", "only the proposer's party may withdraw a proposal")
        else:
            self._approver_ok(rec, actor)
        if rec.reservation_id is not None:
            res = self._open_reservation(rec.reservation_id)
            self.ws.book.release(rec.id, PositionKey(res.account_id, res.unit_class_id, res.restriction_id),
                                 res.quantity, "approval_release", to_us(now))
            self._consume(res.id, res.quantity, status="released")
        rec.status = TxStatus.CANCELLED if withdraw else TxStatus.REJECTED
        rec.approved_by = actor.user
        self.ws.changed_txns.append(rec)
        return rec

    # -- reservations ----------------------------------------------------------------------------
    def _open_reservation(self, reservation_id: int) -> Reservation:
        res = self.ws.reservations.get(reservation_id)
        if res is None or res.status != "open":
            raise DomainError("reservation_not_open", f"reservation {reservation_id} is not open")
        return res

    def _consume(self, reservation_id: int, quantity: int, status: str = "consumed") -> None:
        res = self.ws.reservations[reservation_id]
        res.quantity -= quantity
        if res.quantity == 0:
            res.status = status
        self.ws.changed_reservations[res.id] = res

    def reserve(self, *, txn_id: int, actor: Actor, now: datetime, account_id: int, unit_class_id: int,
                quantity: int, kind: str = "hold", restriction_id: int = UNRESTRICTED, note: str = "") -> TxRecord:
        type_ = TxType.FREEZE if kind == "freeze" else TxType.RESERVE
        account = self.account(account_id)
        uc = self.unit_class(unit_class_id)
        key = PositionKey(account.id, uc.id, restriction_id)
        pos = self.ws.book.position(key)
        ctx = Ctx(type_, actor, now, uc, quantity, account, None, self.restriction(restriction_id),
                  pos.available, 0, self.rules(account.market, uc.vintage, now))
        self._check(ctx)
        self.ws.book.reserve(txn_id, key, quantity, type_.value, to_us(now))
        res = Reservation(txn_id, account.id, uc.id, restriction_id, quantity, kind, txn_id=TxId(txn_id),
                          meta={"note": note} if note else {})
        self.ws.reservations[res.id] = res
        self.ws.new_reservations.append(res)
        return self._record(id=txn_id, type=type_, status=TxStatus.COMPLETED, market=account.market,
                            unit_class_id=uc.id, restriction_id=restriction_id, quantity=quantity,
                            actor_user=actor.user, actor_party=actor.party_id, actor_role=actor.role.value,
                            at=now, sender_id=account.id, reservation_id=res.id, note=note)

    def release(self, *, txn_id: int, actor: Actor, now: datetime, reservation_id: int,
                quantity: int | None = None) -> TxRecord:
        res = self._open_reservation(reservation_id)
        if res.kind == "approval":
            raise DomainError("reservation_for_approval", "release a pending approval by rejecting or withdrawing it")
        qty = res.quantity if quantity is None else quantity
        type_ = TxType.UNFREEZE if res.kind == "freeze" else TxType.RELEASE
        account = self.account(res.account_id)
        uc = self.unit_class(res.unit_class_id)
        if qty > res.quantity:
            raise DomainError("reservation_too_small", f"reservation {res.id} holds {res.quantity} t, {qty} t asked")
        ctx = Ctx(type_, actor, now, uc, qty, account, None, None, 0, qty,
                  self.rules(account.market, uc.vintage, now))
        self._check(ctx)
        self.ws.book.release(txn_id, PositionKey(res.account_id, res.unit_class_id, res.restriction_id), qty,
                             type_.value, to_us(now))
        self._consume(res.id, qty, status="released")
        return self._record(id=txn_id, type=type_, status=TxStatus.COMPLETED, market=account.market,
                            unit_class_id=uc.id, restriction_id=res.restriction_id, quantity=qty,
                            actor_user=actor.user, actor_party=actor.party_id, actor_role=actor.role.value,
                            at=now, sender_id=account.id, reservation_id=res.id)

    # -- reversal --------------------------------------------------------------------------------
    def reverse(self, *, txn_id: int, actor: Actor, now: datetime, original: TxRecord,
                already_reversed: bool, note: str = "") -> TxRecord:
        if original.status is not TxStatus.COMPLETED or original.type not in SPECS \
                or not SPECS[original.type].reversible:
            raise DomainError("not_reversible", f"a {original.type} transaction cannot be reversed")
        assert original.sender_id is not None and original.receiver_id is not None
        holder, back_to = self.account(original.receiver_id), self.account(original.sender_id)
        uc = self.unit_class(original.unit_class_id or 0)
        key = PositionKey(holder.id, uc.id, original.restriction_id)
        rules = self.rules(original.market, original.compliance_year or uc.vintage, now)
        ctx = Ctx(TxType.REVERSAL, actor, now, uc, original.quantity, holder, back_to, None,
                  self.ws.book.position(key).available, 0, rules,
                  already_reversed=already_reversed, reverses=original.type, reverses_year=original.compliance_year)
        self._check(ctx)
        rec = self._record(id=txn_id, type=TxType.REVERSAL, status=TxStatus.COMPLETED, market=original.market,
                           unit_class_id=uc.id, restriction_id=original.restriction_id, quantity=original.quantity,
                           actor_user=actor.user, actor_party=actor.party_id, actor_role=actor.role.value,
                           at=now, sender_id=holder.id, receiver_id=back_to.id,
                           compliance_year=original.compliance_year, reverses_id=original.id, note=note)
        if TxType.REVERSAL.value in rules.approvals:
            # a proposal, as an issuance is: the units held back in the holder's position until a second
            # person approves; the serials to give back are the original's, kept on the proposal
            rec.status = TxStatus.AWAITING_APPROVAL
            self.ws.book.reserve(txn_id, key, original.quantity, "approval", to_us(now))
            res = Reservation(txn_id, holder.id, uc.id, original.restriction_id, original.quantity, "approval",
                              txn_id=TxId(txn_id))
            self.ws.reservations[res.id] = res
            self.ws.new_reservations.append(res)
            rec.reservation_id = res.id
            rec.ranges = list(original.ranges)
            return rec
        try:
            rec.ranges = self.ws.book.move(txn_id, key, PositionKey(back_to.id, uc.id, original.restriction_id),
                                           original.quantity, TxType.REVERSAL.value, to_us(now),
                                           ranges=original.ranges)
        except ValueError as exc:
            raise DomainError("serials_moved_on", f"cannot reverse: {exc}") from None
        return rec


# what can change between proposal and approval, checked again when approving
_RECHECKS = (_checks.sender_status_allows, _checks.receiver_status_allows, _checks.restriction_allows,
             _checks.reversal_within_period, _checks.available_balance)
