"""Read-side use cases: balances (now and as of a past time), holdings, history, serial trace,
totals per unit class and the conservation check."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, Select, func, select

from openets.core.clock import from_us, to_us
from openets.core.errors import NotFound
from openets.ledger.journal import parse_serials
from openets.registry.model import GOVERNMENT_ACCOUNTS, TERMINAL_ACCOUNTS, AccountType
from openets.storage import tables as t


def available_units() -> ColumnElement[Any]:
    """A position's available tonnes: total − reserved (the one place this is written in SQL)."""
    return (t.positions.c.total - t.positions.c.reserved).label("available")


def available_positions(*where: ColumnElement[bool], restriction: int = 0, join_classes: bool = False) -> Select[Any]:
    """(account_id, unit_class_id, available) of the positions held under ``restriction`` (0:
    unrestricted) that match ``where``; ``join_classes`` joins ``unit_classes`` for conditions on it."""
    p = t.positions
    q = select(p.c.account_id, p.c.unit_class_id, available_units())
    if join_classes:
        q = q.join(t.unit_classes, t.unit_classes.c.id == p.c.unit_class_id)
    return q.where(p.c.restriction_id == restriction, *where)


@dataclass(frozen=True, slots=True)
class BalanceRow:
    account: str
    unit_class: str
    restriction_id: int
    total: int
    reserved: int

    @property
    def available(self) -> int:
        return self.total - self.reserved


@dataclass(frozen=True, slots=True)
class Totals:
    unit_class: str
    cap: int | None
    issued: int
    in_circulation: int  # held in non-terminal accounts
    surrendered: int
    cancelled: int
    deleted: int

    @property
    def conserved(self) -> bool:
        return self.issued == self.in_circulation + self.surrendered + self.cancelled + self.deleted


class RegistryQueries:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def balances(self, account_number: str, *, as_of: datetime | None = None) -> list[BalanceRow]:
        with self.engine.connect() as conn:
            acc = _account_id(conn, account_number)
            if as_of is None:
                q = (select(t.unit_classes.c.code, t.positions.c.restriction_id, t.positions.c.total,
                            t.positions.c.reserved)
                     .join(t.unit_classes, t.unit_classes.c.id == t.positions.c.unit_class_id)
                     .where(t.positions.c.account_id == acc, t.positions.c.total + t.positions.c.reserved > 0)
                     .order_by(t.unit_classes.c.code, t.positions.c.restriction_id))
                rows = conn.execute(q).all()
            else:  # replay the account's journal up to that moment
                j = t.journal
                q = (select(t.unit_classes.c.code, j.c.restriction_id, func.sum(j.c.d_total).label("total"),
                            func.sum(j.c.d_reserved).label("reserved"))
                     .join(t.unit_classes, t.unit_classes.c.id == j.c.unit_class_id)
                     .where(j.c.account_id == acc, j.c.at_us <= to_us(as_of))
                     .group_by(t.unit_classes.c.code, j.c.restriction_id)
                     .order_by(t.unit_classes.c.code, j.c.restriction_id))
                rows = [r for r in conn.execute(q).all() if r.total or r.reserved]
        return [BalanceRow(account_number, r.code, r.restriction_id, int(r.total), int(r.reserved)) for r in rows]

    def holdings(self, party_id: int) -> list[BalanceRow]:
        """Everything a party holds, account by account."""
        with self.engine.connect() as conn:
            q = (select(t.accounts.c.number, t.unit_classes.c.code, t.positions.c.restriction_id, t.positions.c.total,
                        t.positions.c.reserved)
                 .join(t.accounts, t.accounts.c.id == t.positions.c.account_id)
                 .join(t.unit_classes, t.unit_classes.c.id == t.positions.c.unit_class_id)
                 .where(t.accounts.c.party_id == party_id, t.positions.c.total > 0)
                 .order_by(t.accounts.c.number, t.unit_classes.c.code, t.positions.c.restriction_id))
            return [BalanceRow(r.number, r.code, r.restriction_id, int(r.total), int(r.reserved))
                    for r in conn.execute(q)]

    def account_numbers(self, ids: Iterable[int | None]) -> dict[int, str]:
        """Account id → its number, for showing a transaction (people know numbers, not ids)."""
        wanted = sorted({i for i in ids if i is not None})
        if not wanted:
            return {}
        with self.engine.connect() as conn:
            rows = conn.execute(select(t.accounts.c.id, t.accounts.c.number).where(t.accounts.c.id.in_(wanted)))
            return {int(r.id): str(r.number) for r in rows}

    def history(self, account_number: str, *, limit: int = 100) -> list[dict[str, object]]:
        with self.engine.connect() as conn:
            acc = _account_id(conn, account_number)
            j, tx = t.journal, t.transactions
            q = (select(j.c.seq, j.c.account_seq, j.c.txn_id, tx.c.type, tx.c.actor_user, t.unit_classes.c.code,
                        j.c.d_total, j.c.d_reserved, j.c.serials, j.c.at_us, j.c.kind)
                 .join(tx, tx.c.id == j.c.txn_id)
                 .join(t.unit_classes, t.unit_classes.c.id == j.c.unit_class_id)
                 .where(j.c.account_id == acc).order_by(j.c.account_seq.desc()).limit(limit))
            return [_line(r) for r in conn.execute(q)]

    def trace(self, unit_class: str, serial: int) -> list[dict[str, object]]:
        """Every movement of one tonne: issuance, transfers, surrender or cancellation."""
        with self.engine.connect() as conn:
            uc = conn.execute(select(t.unit_classes.c.id).where(t.unit_classes.c.code == unit_class)).scalar()
            if uc is None:
                raise NotFound("unit class", unit_class)
            tx = t.transactions
            # a scan of the unit class's transactions, filtered on their serial envelope in SQL; only
            # those whose lowest and highest serial bracket it are parsed for the range that holds it
            q = (select(tx.c.id, tx.c.type, tx.c.actor_user, tx.c.at_us, t.accounts.c.number, tx.c.serials)
                 .join(t.accounts, t.accounts.c.id == tx.c.receiver_id)
                 .where(tx.c.unit_class_id == uc, tx.c.serial_lo <= serial, tx.c.serial_hi >= serial)
                 .order_by(tx.c.id))
            out = []
            for r in conn.execute(q):
                for start, end in parse_serials(r.serials):
                    if start <= serial <= end:
                        out.append({"txn": r.id, "type": r.type, "to_account": r.number, "serials": [start, end],
                                    "actor": r.actor_user, "at": from_us(r.at_us).isoformat(),
                                    "unit_class": unit_class})
            return out

    def totals(self) -> list[Totals]:
        with self.engine.connect() as conn:
            return totals(conn)

    def held_by_side(self, unit_class: str) -> tuple[int, int]:
        """Units of a class still in circulation, split: (held by companies and other holders, left in
        government accounts — issuance, allocation, auction, reserves). What a company banks is the first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(t.accounts.c.type, func.sum(t.positions.c.total).label("n"))
                                .join(t.accounts, t.accounts.c.id == t.positions.c.account_id)
                                .join(t.unit_classes, t.unit_classes.c.id == t.positions.c.unit_class_id)
                                .where(t.unit_classes.c.code == unit_class).group_by(t.accounts.c.type)).all()
        live = [(AccountType(r.type), int(r.n or 0)) for r in rows if AccountType(r.type) not in TERMINAL_ACCOUNTS]
        return (sum(n for k, n in live if k not in GOVERNMENT_ACCOUNTS), sum(n for k, n in live if k in GOVERNMENT_ACCOUNTS))

    def block_problems(self) -> list[str]:
        """Serial blocks must tile exactly [1, issued] of each unit class and add up to positions."""
        problems: list[str] = []
        with self.engine.connect() as conn:
            issued = {r.id: (r.code, r.issued) for r in conn.execute(select(t.unit_classes))}
            prev: dict[int, int] = {}
            for b in conn.execute(select(t.blocks.c.unit_class_id, t.blocks.c.start, t.blocks.c.end)
                                  .order_by(t.blocks.c.unit_class_id, t.blocks.c.start)):
                expected = prev.get(b.unit_class_id, 0) + 1
                if b.start != expected:
                    problems.append(f"{issued[b.unit_class_id][0]}: gap or overlap at serial {expected}")
                prev[b.unit_class_id] = b.end
            for uc, (code, n) in issued.items():
                if prev.get(uc, 0) != n:
                    problems.append(f"{code}: blocks end at {prev.get(uc, 0)}, issued {n}")
            bsum = {(r.account_id, r.unit_class_id, r.restriction_id): int(r.n) for r in conn.execute(
                select(t.blocks.c.account_id, t.blocks.c.unit_class_id, t.blocks.c.restriction_id,
                       func.sum(t.blocks.c.end - t.blocks.c.start + 1).label("n"))
                .group_by(t.blocks.c.account_id, t.blocks.c.unit_class_id, t.blocks.c.restriction_id))}
            for p in conn.execute(select(t.positions)):
                key = (p.account_id, p.unit_class_id, p.restriction_id)
                if bsum.get(key, 0) != p.total:
                    problems.append(f"position {key}: total {p.total}, blocks {bsum.get(key, 0)}")
        return problems


def totals(conn: Connection) -> list[Totals]:
    held: dict[tuple[int, str], int] = {}
    q = (select(t.positions.c.unit_class_id, t.accounts.c.type, func.sum(t.positions.c.total).label("n"))
         .join(t.accounts, t.accounts.c.id == t.positions.c.account_id)
         .group_by(t.positions.c.unit_class_id, t.accounts.c.type))
    for r in conn.execute(q):
        held[(r.unit_class_id, r.type)] = int(r.n or 0)
    out = []
    for uc in conn.execute(select(t.unit_classes).order_by(t.unit_classes.c.code)):
        def of(kind: AccountType, uc_id: int = uc.id) -> int:
            return held.get((uc_id, kind.value), 0)

        circulating = sum(n for (u, kind), n in held.items() if u == uc.id and AccountType(kind) not in TERMINAL_ACCOUNTS)
        out.append(Totals(uc.code, uc.cap, uc.issued, circulating, of(AccountType.SURRENDER),
                          of(AccountType.RETIREMENT), of(AccountType.DELETION)))
    return out


def _account_id(conn: Connection, number: str) -> int:
    acc = conn.execute(select(t.accounts.c.id).where(t.accounts.c.number == number)).scalar()
    if acc is None:
        raise NotFound("account", number)
    return int(acc)


def _line(r: Any) -> dict[str, object]:  # r: a result row, its columns as attributes
    return {
        "journal_row": r.seq, "txn": r.txn_id, "type": r.type, "actor": r.actor_user,
        "unit_class": r.code, "change": r.d_total, "reserved_change": r.d_reserved,
        "serials": r.serials,
        "at": from_us(r.at_us).isoformat(), "entry": r.kind,
    }



