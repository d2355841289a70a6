"""In-memory registry pieces for unit tests of the named checks and the engine: no database.

- builders for the records (:func:`account`, :func:`allowance`, :func:`offset`, :func:`restriction`,
  :func:`rules`, :func:`regulator`, :func:`company`);
- :func:`ctx`: a check context that passes every check (a transfer between two holding accounts of
  market BJ) — override one field to make one check fail;
- :class:`StubRuleBook`: the two questions the engine asks a rule book, answered from one
  :class:`RegistryRules`;
- :class:`RegistryWorld`: a :class:`WorkingSet` with a market's own accounts, two companies' accounts
  and a unit class, a :class:`Book` held wholly in memory, and :meth:`RegistryWorld.fund` to put units
  in an account without going through a transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any, cast
from zoneinfo import ZoneInfo

from openets.core.actor import Actor, Role
from openets.core.clock import to_us
from openets.core.ids import AccountId, AccountNumber, PartyId, UnitClassCode, UnitClassId
from openets.ledger.book import Book, PositionKey
from openets.registry.checks import Ctx
from openets.registry.engine import Registry, WorkingSet
from openets.registry.model import (
    UNRESTRICTED,
    Account,
    AccountStatus,
    AccountType,
    Restriction,
    UnitClass,
    UnitKind,
)
from openets.registry.transactions import TxType
from openets.rules.loader import RegistryRules, RuleBook

MARKET = "BJ"
REGISTRY_PARTY = 1  # holds the market's own accounts
NOW = datetime(2017, 6, 1, 2, 0, tzinfo=UTC)


def account(id: int, *, type: AccountType = AccountType.HOLDING, party: int = 10, market: str = MARKET,
            status: AccountStatus = AccountStatus.OPEN, number: str | None = None) -> Account:
    return Account(AccountId(id), AccountNumber(number or f"{market}-{type.value[:4].upper()}-{id:06d}"), market, type,
                   PartyId(party), status)


def allowance(id: int = 1, *, market: str = MARKET, vintage: int = 2016, cap: int | None = None,
              issued: int = 0) -> UnitClass:
    return UnitClass(UnitClassId(id), UnitClassCode(f"{market}A-{vintage}"), UnitKind.ALLOWANCE, market, vintage, cap=cap, issued=issued)


def offset(id: int = 2, *, standard: str = "CCER", market: str = MARKET, vintage: int = 2015,
           project_id: str = "001") -> UnitClass:
    return UnitClass(UnitClassId(id), UnitClassCode(f"{standard}:{project_id}:{vintage}"), UnitKind.OFFSET, market, vintage,
                     standard=standard,
                     project_id=project_id)


def restriction(id: int = 7, *, allowed: tuple[str, ...] = ("surrender", "transfer"), bound_holder: int | None = None,
                bound_market: str | None = None, bound_year: int | None = None, expires_at: datetime | None = None,
                note: str = "") -> Restriction:
    return Restriction(id, frozenset(allowed), None if bound_holder is None else PartyId(bound_holder),
                       bound_market, bound_year, expires_at, note)


def rules(*, approvals: dict[str, str] | None = None, accepted_offsets: tuple[str, ...] = ("CCER",),
          banking: bool = True, borrowing: int = 0, periods: tuple[tuple[int, int], ...] = (),
          surrender_reversal_until: dict[int, date] | None = None, borrowing_vintage: int | None = None,
          carry_over_until: int | None = None) -> RegistryRules:
    return RegistryRules(dict(approvals or {}), frozenset(accepted_offsets), banking, borrowing, periods,
                         dict(surrender_reversal_until or {}), borrowing_vintage, carry_over_until)


def regulator(user: str = "reg-1", *, market: str = MARKET, party: int = REGISTRY_PARTY) -> Actor:
    return Actor(user, PartyId(party), Role.REGULATOR, market)


def company(party: int = 10, *, user: str | None = None, role: Role = Role.COMPANY) -> Actor:
    return Actor(user or f"co-{party}", PartyId(party), role)


def ctx(type: TxType = TxType.TRANSFER, **overrides: Any) -> Ctx:
    """A context every check passes: ``type`` (a transfer) of 10 t of BJA-2016 from holding account 101
    (party 10, the actor's) to holding account 102 (party 11), 100 t available. ``overrides`` replace
    any field of :class:`Ctx`."""
    base = Ctx(type, company(10), NOW, allowance(), 10, account(101, party=10), account(102, party=11), None,
               100, 0, rules())
    return replace(base, **overrides)


class StubRuleBook:
    """The rule book as the engine uses it: a market's time zone, and the registry rules in force.
    Records each lookup (market, year, local date) in :attr:`lookups`."""

    def __init__(self, registry: RegistryRules | None = None, *, timezone: str = "Asia/Shanghai") -> None:
        self.registry = registry or rules()
        self.timezone = ZoneInfo(timezone)
        self.lookups: list[tuple[str, int, object]] = []

    def market(self, code: str) -> SimpleNamespace:
        return SimpleNamespace(code=code, timezone=self.timezone)

    def lookup(self, market: str, compliance_year: int, on: object, section: str | None = None) -> SimpleNamespace:
        self.lookups.append((market, compliance_year, on))
        return SimpleNamespace(registry=self.registry)

    def lookup_at(self, market: str, compliance_year: int, moment: datetime, section: str | None = None) -> SimpleNamespace:
        """As the real rule book: ``lookup`` on the calendar day ``moment`` falls on in the market's zone."""
        return self.lookup(market, compliance_year, moment.astimezone(self.timezone).date(), section)


# the market's own accounts in a RegistryWorld: type → id
GOVERNMENT_IDS = {AccountType.ISSUANCE: 1, AccountType.ALLOCATION_RESERVE: 2, AccountType.AUCTION: 3,
                  AccountType.SURRENDER: 4, AccountType.RETIREMENT: 5, AccountType.DELETION: 6}


@dataclass
class RegistryWorld:
    """A working set for market BJ: its own accounts (:data:`GOVERNMENT_IDS`), compliance accounts
    101 (party 10) and 102 (party 11), holding account 103 (party 12), allowances BJA-2016 (id 1,
    cap 1,000,000) — all in memory. ``registry_rules`` are the rules in force for every lookup."""

    registry_rules: RegistryRules = field(default_factory=rules)
    ws: WorkingSet = field(init=False)
    rulebook: StubRuleBook = field(init=False)
    _next_txn: int = 1_000

    def __post_init__(self) -> None:
        self.rulebook = StubRuleBook(self.registry_rules)
        self.ws = WorkingSet(cast(RuleBook, self.rulebook), book=Book())  # the stub answers what the engine asks
        for type_, acc_id in GOVERNMENT_IDS.items():
            self.add(account(acc_id, type=type_, party=REGISTRY_PARTY, number=f"{MARKET}-{type_.value.upper()}"))
            self.ws.market_accounts[(MARKET, type_)] = acc_id
        self.add(account(101, type=AccountType.COMPLIANCE, party=10))
        self.add(account(102, type=AccountType.COMPLIANCE, party=11))
        self.add(account(103, type=AccountType.HOLDING, party=12))
        self.ws.unit_classes[1] = allowance(1, cap=1_000_000)

    def add(self, acc: Account) -> Account:
        self.ws.accounts[acc.id] = acc
        self.ws.book.load_head(acc.id, 0, None)
        return acc

    def registry(self) -> Registry:
        return Registry(self.ws)

    def txn_id(self) -> int:
        self._next_txn += 1
        return self._next_txn

    def fund(self, account_id: int, quantity: int, *, unit_class_id: int = 1,
             restriction_id: int = UNRESTRICTED) -> None:
        """Create ``quantity`` units of the unit class in the account, as if issued and moved there
        earlier (the unit class's issued count grows; no transaction is recorded)."""
        uc = self.ws.unit_classes[unit_class_id]
        start, end = uc.issued + 1, uc.issued + quantity
        self.ws.book.create(self.txn_id(), PositionKey(account_id, unit_class_id, restriction_id), start, end,
                            TxType.ISSUE.value, to_us(NOW))
        self.ws.unit_classes[unit_class_id] = replace(uc, issued=end)

    def available(self, account_id: int, unit_class_id: int = 1, restriction_id: int = UNRESTRICTED) -> int:
        return self.ws.book.position(PositionKey(account_id, unit_class_id, restriction_id)).available

    def total(self, account_id: int, unit_class_id: int = 1, restriction_id: int = UNRESTRICTED) -> int:
        return self.ws.book.position(PositionKey(account_id, unit_class_id, restriction_id)).total
