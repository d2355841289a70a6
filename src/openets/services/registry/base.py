"""What the parts of :class:`RegistryService` share: the engine, clock, rule book and small caches."""

from __future__ import annotations

import enum
from typing import TypeVar

from sqlalchemy import Connection, Engine, bindparam, select

from openets.core.clock import Clock
from openets.core.errors import DomainError, NotFound
from openets.registry.model import Account, AccountType, UnitClass
from openets.rules.loader import RuleBook
from openets.storage import tables as t
from openets.storage.fastsql import run
from openets.storage.registry_repo import RegistryRepo, account_from_row

# the lookups every set-up step and request makes, prebuilt (run on the driver cursor: storage/fastsql.py)
_SEL_PERSON = select(t.users.c.person_id).where(t.users.c.name == bindparam("name"))
_SEL_ACCOUNT_BY_NUMBER = select(t.accounts).where(t.accounts.c.number == bindparam("number"))
_SEL_ACCOUNT_BY_NUMBER_LOCK = _SEL_ACCOUNT_BY_NUMBER.with_for_update()


class ServiceBase:
    engine: Engine
    clock: Clock
    rulebook: RuleBook
    _market_accounts: dict[tuple[str, AccountType], int] | None
    _uc_cache: dict[int, UnitClass]

    def _gov(self, repo: RegistryRepo, market: str, type_: AccountType) -> int:
        """The id of the market's own account of ``type_`` (the ids never change: cached)."""
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


E = TypeVar("E", bound=enum.Enum)


def enum_value(cls: type[E], value: object, what: str) -> E:
    """``cls(value)``, or a DomainError listing the known values."""
    try:
        return cls(value)
    except ValueError:
        known = ", ".join(str(x.value) for x in cls)
        raise DomainError("value_invalid", f"unknown {what} {value!r} (known: {known})") from None


def person_of(conn: Connection, user: str | None) -> str:
    """The natural person behind a user name, as four eyes compare it (see core.actor.person_key)."""
    from openets.core.actor import person_key

    if user is None:
        return ""
    rows = run(conn, _SEL_PERSON, {"name": user}, raw=True)
    return person_key(user, rows[0][0] if rows else None)


def account_by_number(conn: Connection, number: str, lock: bool = False) -> Account:
    q = _SEL_ACCOUNT_BY_NUMBER_LOCK if lock and conn.dialect.name != "sqlite" else _SEL_ACCOUNT_BY_NUMBER
    rows = run(conn, q, {"number": number})
    if not rows:
        raise NotFound("account", number)
    return account_from_row(rows[0])
