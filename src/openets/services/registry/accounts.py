"""Registry accounts: opening (requested, then approved by a second person), status changes, and
the lookups the edges use (by number or code; the facts that never change are cached)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, insert, select, update

from openets.core.actor import Actor, Role
from openets.core.clock import to_us
from openets.core.errors import DomainError, NotFound
from openets.core.ids import AccountId, AccountNumber, PartyId, UnitClassId
from openets.registry.model import GOVERNMENT_ACCOUNTS, Account, AccountStatus, AccountType, UnitClass
from openets.services.registry.base import ServiceBase, account_by_number, enum_value, person_of
from openets.storage import tables as t
from openets.storage.db import run_in_transaction
from openets.storage.fastsql import run
from openets.storage.registry_repo import RegistryRepo, account_from_row

# opening and deciding accounts, prebuilt (run on the driver cursor: storage/fastsql.py); a set-up of
# 1,000 firms runs each of them 1,000 times
_a = t.accounts.c
_SEL_PARTY = select(t.parties.c.id).where(t.parties.c.id == bindparam("id"))
_SEL_MARKET_ACCOUNTS = select(_a.id).where(_a.market == bindparam("market"))
_SEL_NUMBER = select(_a.id).where(_a.number == bindparam("number"))
_SEL_ACCOUNT = select(t.accounts).where(_a.id == bindparam("id"))
_SEL_REF = select(_a.id, _a.party_id, _a.market).where(_a.number == bindparam("number"))
_INS_ACCOUNT = insert(t.accounts).values({c: bindparam(c) for c in (
    "number", "market", "type", "party_id", "status", "name", "created_us", "journal_count")}).returning(_a.id)
_EVENT_COLS = ("account_id", "event", "status", "actor_user", "at_us", "note")
_INS_EVENT = insert(t.account_events).values({c: bindparam(c) for c in _EVENT_COLS})
_SEL_REQUESTER = select(t.account_events.c.actor_user).where(
    t.account_events.c.account_id == bindparam("id"), t.account_events.c.event == "requested")
_UPD_STATUS = update(t.accounts).where(_a.id == bindparam("a_id")).values(status=bindparam("st"))


@dataclass(frozen=True, slots=True)
class AccountRef:
    id: AccountId
    number: AccountNumber
    party_id: PartyId
    market: str


class AccountsMixin(ServiceBase):
    def request_account(self, actor: Actor, *, market: str, type: AccountType, number: str | None = None,
                        name: str = "", party_id: int | None = None, conn: Connection | None = None) -> Account:
        """A party asks to open an account; its market's regulator approves it."""
        actor.require_may_act()
        self.rulebook.market(market)
        type = enum_value(AccountType, type, "account type")
        if type in GOVERNMENT_ACCOUNTS:
            raise DomainError("account_type_reserved", f"{type} accounts are created by the registry itself")
        owner = party_id if party_id is not None else actor.party_id
        if owner != actor.party_id and actor.role is not Role.REGULATOR:
            raise DomainError("not_authorised", f"{actor.describe()} cannot request accounts for party {owner}")

        def work(c: Connection) -> Account:
            if not run(c, _SEL_PARTY, {"id": owner}, raw=True):
                raise NotFound("party", owner)
            num = number
            if num is None:
                count = run(c, _SEL_MARKET_ACCOUNTS, {"market": market}, raw=True)
                num = f"{market}-{type.value[:4].upper()}-{len(count) + 1:06d}"
            if run(c, _SEL_NUMBER, {"number": num}, raw=True):
                raise DomainError("account_exists", f"account {num} exists")
            now_us = to_us(self.clock.now())
            acc_id = run(c, _INS_ACCOUNT, {"number": num, "market": market, "type": type.value, "party_id": owner,
                                           "status": AccountStatus.REQUESTED.value, "name": name,
                                           "created_us": now_us, "journal_count": 0}, raw=True)[0][0]
            run(c, _INS_EVENT, {"account_id": acc_id, "event": "requested", "status": AccountStatus.REQUESTED.value,
                                "actor_user": actor.user, "at_us": now_us, "note": ""})
            return account_from_row(run(c, _SEL_ACCOUNT, {"id": acc_id})[0])

        return work(conn) if conn is not None else run_in_transaction(self.engine, work)

    def decide_account(self, actor: Actor, number: str, *, approve: bool, note: str = "",
                       conn: Connection | None = None) -> Account:
        actor.require_may_act()
        def work(c: Connection) -> Account:
            acc = account_by_number(c, number, lock=True)
            if acc.status is not AccountStatus.REQUESTED:
                raise DomainError("not_requested", f"account {number} is {acc.status}, not awaiting approval")
            actor.require_regulator(acc.market)
            found = run(c, _SEL_REQUESTER, {"id": acc.id}, raw=True)
            requester = found[0][0] if found else None
            if requester == actor.user or person_of(c, requester) == actor.person_key:
                raise DomainError("four_eyes", "the approver must be a different person than the requester")
            status = AccountStatus.OPEN if approve else AccountStatus.REJECTED
            return self._set_status(c, acc, status, actor, "approved" if approve else "rejected", note)

        return work(conn) if conn is not None else run_in_transaction(self.engine, work)

    def set_account_status(self, actor: Actor, number: str, status: AccountStatus, note: str = "") -> Account:
        actor.require_may_act()
        def work(c: Connection) -> Account:
            acc = account_by_number(c, number, lock=True)
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
        run(c, _UPD_STATUS, {"a_id": acc.id, "st": status.value})
        run(c, _INS_EVENT, {"account_id": acc.id, "event": event, "status": status.value, "actor_user": actor.user,
                            "at_us": to_us(self.clock.now()), "note": note})
        return account_from_row(run(c, _SEL_ACCOUNT, {"id": acc.id})[0])

    # -- lookups for the edges -------------------------------------------------------------------
    def account(self, number: str) -> Account:
        with self.engine.connect() as conn:
            return account_by_number(conn, number)

    def account_ref(self, number: str) -> AccountRef:
        """An account's id, owner and market by its number — facts that never change, so cached (its
        status, which does change, is checked inside every transaction)."""
        cache = self.__dict__.setdefault("_acc_refs", {})
        got = cache.get(number)
        if got is None:
            with self.engine.connect() as conn:
                found = run(conn, _SEL_REF, {"number": number})
            if not found:
                raise NotFound("account", number)
            r = found[0]
            got = cache[number] = AccountRef(r.id, AccountNumber(number), r.party_id, r.market)
        return got

    def unit_class_id(self, code: str) -> UnitClassId:
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
