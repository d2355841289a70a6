"""Journal lines and their hash chain.

A line is one account's change in one transaction: the change of its total and of its reserved
units, and the serial ranges that came in or went out (canonical text "s-e s-e …", ascending).
Each account has its own chain (``account_seq`` 1, 2, 3 …), so writers touching different accounts
never queue on one head row. A line's hash covers its content and the previous hash of the same
account; checkpoints exported outside the database catch a chain recomputed by an attacker.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import NamedTuple

GENESIS = "0" * 64


class JournalLine(NamedTuple):
    """Immutable; its fields in the journal table's column order (storage writes it as it is)."""

    txn_id: int
    account_id: int
    account_seq: int
    unit_class_id: int
    restriction_id: int
    d_total: int
    d_reserved: int
    serials: str  # "1-10 21-30", or "" when no units moved (a reservation)
    kind: str
    at_us: int  # microseconds since the Unix epoch, UTC
    prev_hash: str
    hash: str


def line_digest(
    *,
    txn_id: int,
    account_id: int,
    account_seq: int,
    unit_class_id: int,
    restriction_id: int,
    d_total: int,
    d_reserved: int,
    serials: str,
    kind: str,
    at_us: int,
    prev_hash: str,
) -> str:
    text = (
        f"{txn_id}|{account_id}|{account_seq}|{unit_class_id}|{restriction_id}|{d_total}|"
        f"{d_reserved}|{serials}|{kind}|{at_us}|{prev_hash}"
    )
    return hashlib.sha256(text.encode()).hexdigest()


def recompute(line: JournalLine) -> str:
    return line_digest(
        txn_id=line.txn_id,
        account_id=line.account_id,
        account_seq=line.account_seq,
        unit_class_id=line.unit_class_id,
        restriction_id=line.restriction_id,
        d_total=line.d_total,
        d_reserved=line.d_reserved,
        serials=line.serials,
        kind=line.kind,
        at_us=line.at_us,
        prev_hash=line.prev_hash,
    )


def format_serials(ranges: list[tuple[int, int]]) -> str:
    return " ".join(f"{s}-{e}" for s, e in sorted(ranges))


def parse_serials(text: str) -> list[tuple[int, int]]:
    out = []
    for part in text.split():
        s, _, e = part.partition("-")
        out.append((int(s), int(e)))
    return out


@dataclass(frozen=True, slots=True)
class ChainProblem:
    account_id: int
    account_seq: int | None
    seq: int | None  # global row number, when known
    problem: str
    code: str = "journal_chain_broken"  # stable name of what is wrong

    def __str__(self) -> str:
        where = f"account {self.account_id}"
        if self.account_seq is not None:
            where += f" line {self.account_seq}"
        if self.seq is not None:
            where += f" (journal row {self.seq})"
        return f"{where}: {self.problem}"
