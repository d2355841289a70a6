"""Requests to the registry, typed: one small frozen command per operation a client can ask for.

Each command carries only the fields its operation needs. The unit of work reads a few fields of
every command alike (the accounts, unit class, restriction, reservation or transaction it names):
:class:`CommandBase` answers them with the neutral value for a command without that field, so the
hot path reads attributes, not ``isinstance`` chains.

``key`` is the client's idempotency key: unique per (party, action); the same key with the same
payload has one effect, with another payload it is refused. :meth:`CommandBase.payload_hash` is the
hash the old ``Op`` gave the same request (it is stored with the key, so a repeat after an upgrade
still matches).
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from typing import ClassVar

from openets.core.errors import DomainError
from openets.core.ids import AccountId, UnitClassId
from openets.registry.model import UNRESTRICTED
from openets.registry.transactions import TxType


class CommandBase:
    """What every command answers; a field a command lacks reads as its neutral value here.

    Subclasses are frozen keyword-only dataclasses. A field that overrides one of these properties and
    has no default must be declared ``= field()``: a bare annotation would take the property as its
    default (dataclasses look defaults up with ``getattr``). :func:`_checked` guards that at import."""

    __slots__ = ()
    action: ClassVar[str]  # the stored operation name (idempotency keys are unique per party and action)
    tx_type: ClassVar[TxType | None] = None  # None: a decision on another transaction
    key: str | None

    @property
    def from_account(self) -> AccountId | None:
        return None

    @property
    def to_account(self) -> AccountId | None:
        return None

    @property
    def unit_class(self) -> UnitClassId | None:
        return None

    @property
    def quantity(self) -> int | None:
        return None

    @property
    def restriction(self) -> int:
        return UNRESTRICTED

    @property
    def compliance_year(self) -> int | None:
        return None

    @property
    def reservation(self) -> int | None:
        return None

    @property
    def txn(self) -> int | None:
        return None

    @property
    def kind(self) -> str:
        return "hold"

    @property
    def note(self) -> str:
        return ""

    def payload_hash(self) -> str:
        # the old Op's fields but the key, in its order: every one a str, int or None, so repr is canonical
        data = (self.action, self.from_account, self.to_account, self.unit_class, self.quantity, self.restriction,
                self.compliance_year, self.reservation, self.txn, self.kind, self.note)
        return hashlib.sha256(repr(data).encode()).hexdigest()


# -- issuance ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class Issue(CommandBase):
    action = TxType.ISSUE.value
    tx_type = TxType.ISSUE
    key: str | None = None
    to_account: AccountId = field()
    unit_class: UnitClassId = field()
    quantity: int = field()
    restriction: int = UNRESTRICTED
    note: str = ""


# -- movements between accounts ------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class Move(CommandBase):
    """Units from one account to another (the receiver entered, or the market's own account)."""

    tx_type: ClassVar[TxType]
    key: str | None = None
    # None only inside a RegistrySession, for a move out of ``reservation``: from the reservation's account
    from_account: AccountId | None = None
    unit_class: UnitClassId = field()
    quantity: int = field()
    restriction: int = UNRESTRICTED
    compliance_year: int | None = None  # the year whose rules apply (a surrender: the year it is for)
    reservation: int | None = None  # move units held back by this reservation
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class EnteredMove(Move):
    """A move whose receiving account the client names."""

    to_account: AccountId = field()


@dataclass(frozen=True, slots=True, kw_only=True)
class Allocate(EnteredMove):
    action = TxType.ALLOCATE.value
    tx_type = TxType.ALLOCATE


@dataclass(frozen=True, slots=True, kw_only=True)
class CentralTransfer(EnteredMove):
    action = TxType.CENTRAL_TRANSFER.value
    tx_type = TxType.CENTRAL_TRANSFER


@dataclass(frozen=True, slots=True, kw_only=True)
class AuctionDelivery(EnteredMove):
    action = TxType.AUCTION_DELIVERY.value
    tx_type = TxType.AUCTION_DELIVERY


@dataclass(frozen=True, slots=True, kw_only=True)
class Transfer(EnteredMove):
    action = TxType.TRANSFER.value
    tx_type = TxType.TRANSFER


@dataclass(frozen=True, slots=True, kw_only=True)
class ReturnExcess(EnteredMove):
    action = TxType.RETURN_EXCESS.value
    tx_type = TxType.RETURN_EXCESS


@dataclass(frozen=True, slots=True, kw_only=True)
class Surrender(Move):
    """Into the market's surrender account; ``compliance_year`` is required by the check
    ``compliance_period_given`` (kept optional here so that check, not the constructor, refuses it)."""

    action = TxType.SURRENDER.value
    tx_type = TxType.SURRENDER


@dataclass(frozen=True, slots=True, kw_only=True)
class ForcedSurrender(Move):
    """The regulator takes a company's shortfall from its compliance account into the market's
    surrender account (Shenzhen's deduction of the shortfall, ``deduct_shortfall`` in its compliance
    rules; other-markets.md): not the company's own surrender, so it does not make it compliant."""

    action = TxType.FORCED_SURRENDER.value
    tx_type = TxType.FORCED_SURRENDER


@dataclass(frozen=True, slots=True, kw_only=True)
class Cancel(Move):
    """Voluntary cancellation (retirement) into the market's retirement account."""

    action = TxType.CANCEL.value
    tx_type = TxType.CANCEL


@dataclass(frozen=True, slots=True, kw_only=True)
class Delete(Move):
    """Out of the cap: from a government account into the market's deletion account."""

    action = TxType.DELETE.value
    tx_type = TxType.DELETE


# -- reservations --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class Reserve(CommandBase):
    action = TxType.RESERVE.value
    tx_type = TxType.RESERVE
    key: str | None = None
    account: AccountId
    unit_class: UnitClassId = field()
    quantity: int = field()
    kind: str = "hold"  # hold, order, deposit (a freeze is its own command)
    restriction: int = UNRESTRICTED
    note: str = ""

    @property
    def from_account(self) -> AccountId | None:
        return self.account


@dataclass(frozen=True, slots=True, kw_only=True)
class Freeze(CommandBase):
    action = TxType.FREEZE.value
    tx_type = TxType.FREEZE
    key: str | None = None
    account: AccountId
    unit_class: UnitClassId = field()
    quantity: int = field()
    restriction: int = UNRESTRICTED
    note: str = ""

    @property
    def from_account(self) -> AccountId | None:
        return self.account


@dataclass(frozen=True, slots=True, kw_only=True)
class Release(CommandBase):
    """Give back what a reservation holds (all of it, or ``quantity``)."""

    action = TxType.RELEASE.value
    tx_type = TxType.RELEASE
    key: str | None = None
    reservation: int = field()
    quantity: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Unfreeze(CommandBase):
    action = TxType.UNFREEZE.value
    tx_type = TxType.UNFREEZE
    key: str | None = None
    reservation: int = field()
    quantity: int | None = None


# -- acts on an earlier transaction --------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class Reversal(CommandBase):
    """A compensating entry for a completed transaction ``txn``."""

    action = TxType.REVERSAL.value
    tx_type = TxType.REVERSAL
    key: str | None = None
    txn: int = field()
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision(CommandBase):
    """A second person's decision on transaction ``txn``, awaiting approval."""

    key: str | None = None
    txn: int = field()


@dataclass(frozen=True, slots=True, kw_only=True)
class Approve(Decision):
    action = "approve"


@dataclass(frozen=True, slots=True, kw_only=True)
class Reject(Decision):
    action = "reject"


@dataclass(frozen=True, slots=True, kw_only=True)
class Withdraw(Decision):
    """The proposer's party takes its own proposal back."""

    action = "withdraw"


Command = (Issue | Allocate | CentralTransfer | AuctionDelivery | Transfer | ReturnExcess | Surrender | ForcedSurrender
           | Cancel | Delete | Reserve | Freeze | Release | Unfreeze | Reversal | Approve | Reject | Withdraw)

BY_ACTION: dict[str, type[CommandBase]] = {c.action: c for c in (
    Issue, Allocate, CentralTransfer, AuctionDelivery, Transfer, ReturnExcess, Surrender, ForcedSurrender, Cancel, Delete,
    Reserve, Freeze, Release, Unfreeze, Reversal, Approve, Reject, Withdraw)}


def _checked() -> None:
    # a field overriding a CommandBase property without ``= field()`` would default to the property
    for cls in BY_ACTION.values():
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]  # every class in BY_ACTION is a dataclass
            assert not isinstance(f.default, property), f"{cls.__name__}.{f.name} needs '= field()'"


_checked()


def _need(value: object, what: str) -> None:
    if value is None:
        raise DomainError("argument_missing", f"a {what} is needed")


def command(action: str, *, key: str | None = None, from_account: int | None = None, to_account: int | None = None,
            unit_class: int | None = None, quantity: int | None = None, restriction: int = UNRESTRICTED,
            compliance_year: int | None = None, reservation: int | None = None, txn: int | None = None,
            kind: str = "hold", note: str = "") -> Command:
    """The command for ``action`` from loose fields (a CLI option naming the type, a row of a file).

    Refuses what the typed command cannot hold, with the codes the registry used when it checked
    these at submit time (action_unknown, quantity_missing, argument_missing, receiver_missing);
    fields the action does not use are dropped."""
    cls = BY_ACTION.get(action)
    if cls is None:
        raise DomainError("action_unknown", f"unknown action {action!r}")
    if issubclass(cls, Decision):
        _need(txn, "transaction")
        assert txn is not None
        return cls(key=key, txn=txn)  # type: ignore[return-value]  # cls is one of Approve, Reject, Withdraw
    if quantity is None and cls not in (Release, Unfreeze, Reversal):
        raise DomainError("quantity_missing", "a quantity is needed")
    if cls is Issue:
        _need(unit_class, "unit class")
        _need(to_account, "receiving account")
        assert unit_class is not None and to_account is not None and quantity is not None
        return Issue(key=key, to_account=AccountId(to_account), unit_class=UnitClassId(unit_class), quantity=quantity,
                     restriction=restriction, note=note)
    if issubclass(cls, Move):
        if from_account is None and reservation is None:
            _need(from_account, "sending account")
        _need(unit_class, "unit class")
        assert unit_class is not None and quantity is not None
        common = dict(key=key, from_account=from_account, unit_class=unit_class, quantity=quantity,
                      restriction=restriction, compliance_year=compliance_year, reservation=reservation, note=note)
        if issubclass(cls, EnteredMove):
            if to_account is None:
                raise DomainError("receiver_missing", f"a {action} needs a receiving account")
            return cls(to_account=to_account, **common)  # type: ignore[arg-type,return-value]  # fields typed above
        return cls(**common)  # type: ignore[arg-type,return-value]  # fields typed above
    if cls is Reserve or cls is Freeze:
        _need(from_account, "account")
        _need(unit_class, "unit class")
        assert from_account is not None and unit_class is not None and quantity is not None
        if cls is Reserve:
            return Reserve(key=key, account=AccountId(from_account), unit_class=UnitClassId(unit_class), quantity=quantity, kind=kind,
                           restriction=restriction, note=note)
        return Freeze(key=key, account=AccountId(from_account), unit_class=UnitClassId(unit_class), quantity=quantity,
                      restriction=restriction, note=note)
    if cls is Release or cls is Unfreeze:
        _need(reservation, "reservation")
        assert reservation is not None
        return cls(key=key, reservation=reservation, quantity=quantity)
    _need(txn, "transaction")
    assert txn is not None
    return Reversal(key=key, txn=txn, note=note)
