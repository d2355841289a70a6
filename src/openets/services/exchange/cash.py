"""Cash at a market's exchange (资金账户: 入金/出金): balance and reserved per party, in fen, with an
append-only journal — one place for the exchange (orders, settlement, fees) and primary auctions
(deposits, payment, revenue to the treasury).

``CashLedger`` gathers one unit of work's changes in memory (rows loaded once, PostgreSQL row-locked
in party order), refuses any that would leave reserved < 0 or balance < reserved, and writes them
with one statement per kind at :meth:`flush`.
"""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, insert, select, update

from openets.core.errors import DomainError
from openets.core.prices import yuan_text
from openets.storage import tables as t
from openets.storage.fastsql import run, run_many

_CASH_COLS = ("party_id", "market", "d_balance", "d_reserved", "kind", "ref", "at_us")
_ins_journal = insert(t.cash_journal).values({c: bindparam(c) for c in _CASH_COLS})
_ins_account = insert(t.cash_accounts).values({c: bindparam(c) for c in ("party_id", "market", "balance_fen",
                                                                          "reserved_fen")})
_upd_account = update(t.cash_accounts).where(t.cash_accounts.c.party_id == bindparam("p"),
                                             t.cash_accounts.c.market == bindparam("m")).values(
    balance_fen=bindparam("b"), reserved_fen=bindparam("r"))
_sel_accounts = select(t.cash_accounts.c.party_id, t.cash_accounts.c.balance_fen, t.cash_accounts.c.reserved_fen).where(
    t.cash_accounts.c.market == bindparam("m"), t.cash_accounts.c.party_id.in_(bindparam("ps", expanding=True))
).order_by(t.cash_accounts.c.party_id)
_sel_accounts_lock = _sel_accounts.with_for_update()  # PostgreSQL: row-locked in party order


class CashLedger:
    def __init__(self, conn: Connection, market: str, now_us: int) -> None:
        self.conn, self.market, self.now_us = conn, market, now_us
        self.cash: dict[int, list[int]] = {}  # party → [balance, reserved]
        self.before: dict[int, tuple[int, int] | None] = {}  # None: no account yet
        self.rows: list[dict[str, object]] = []

    def load(self, parties: set[int]) -> None:
        want = sorted(p for p in parties if p not in self.cash)
        q = _sel_accounts if self.conn.dialect.name == "sqlite" else _sel_accounts_lock
        for i in range(0, len(want), 1000):
            part = want[i:i + 1000]
            found = {r[0]: [r[1], r[2]] for r in run(self.conn, q, {"m": self.market, "ps": part}, raw=True)}
            for p in part:
                self.cash[p] = found.get(p, [0, 0])
                self.before[p] = (found[p][0], found[p][1]) if p in found else None

    def of(self, party: int) -> list[int]:
        got = self.cash.get(party)
        if got is None:
            self.load({party})
            got = self.cash[party]
        return got

    def available(self, party: int) -> int:
        bal, res = self.of(party)
        return bal - res

    def move(self, party: int, d_balance: int, d_reserved: int, kind: str, ref: str) -> None:
        """Change a party's cash; refused (cash_insufficient) if it would go below what is reserved."""
        cash = self.of(party)
        bal, res = cash[0] + d_balance, cash[1] + d_reserved
        if res < 0 or bal < res:
            raise DomainError("cash_insufficient",
                              f"available cash {yuan_text(cash[0] - cash[1], grouped=True)} yuan is not enough")
        cash[0], cash[1] = bal, res
        self.rows.append({"party_id": party, "market": self.market, "d_balance": d_balance, "d_reserved": d_reserved,
                          "kind": kind, "ref": ref, "at_us": self.now_us})

    def flush(self) -> None:
        c = self.conn
        moved = {r["party_id"] for r in self.rows}  # a party only looked at (a refused order) gets no row
        run_many(c, _ins_account, [{"party_id": p, "market": self.market, "balance_fen": v[0], "reserved_fen": v[1]}
                                   for p, v in self.cash.items() if self.before[p] is None and p in moved])
        run_many(c, _upd_account, [{"p": p, "m": self.market, "b": v[0], "r": v[1]} for p, v in self.cash.items()
                                   if self.before[p] is not None and tuple(v) != self.before[p]])
        run_many(c, _ins_journal, self.rows)
        for p, v in self.cash.items():
            if self.before[p] is not None or p in moved:
                self.before[p] = (v[0], v[1])
        self.rows = []


def balance(conn: Connection, party: int, market: str) -> tuple[int, int]:
    row = conn.execute(select(t.cash_accounts.c.balance_fen, t.cash_accounts.c.reserved_fen).where(
        t.cash_accounts.c.party_id == party, t.cash_accounts.c.market == market)).first()
    return (row[0], row[1]) if row else (0, 0)
