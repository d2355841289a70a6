"""Named checks of the whole registry's stored state: each a small pure function over rows already
read, returning the problems it finds (a stable code and the row concerned). The services layer reads
the rows (:mod:`openets.services.verification`) and runs them; each is tested on its own.

As in the UK ETS registry: one named check per rule. The rules checked here are what the engine and
the book guarantee when they write (:mod:`openets.registry.engine`, :mod:`openets.ledger.book`), so a
row that breaks one was written by something else.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from openets.ledger.journal import parse_serials
from openets.registry.model import AccountType
from openets.registry.transactions import SPECS, TxStatus, TxType


@dataclass(frozen=True, slots=True)
class Problem:
    code: str  # stable, machine-readable: the rule broken
    subject: str  # the row concerned: "transaction 12", "journal row 40", "position 3/1/0" …
    detail: str

    def __str__(self) -> str:
        return f"{self.code} — {self.subject}: {self.detail}"


class TxRow(NamedTuple):
    """A ``transactions`` row, the columns the checks read."""

    id: int
    type: str
    status: str
    market: str
    unit_class_id: int | None
    restriction_id: int
    quantity: int
    sender_id: int | None
    receiver_id: int | None
    reservation_id: int | None
    actor_user: str
    actor_party: int
    approved_by: str | None
    serials: str
    compliance_year: int | None
    at_us: int


# (account, unit class, restriction, d_total, d_reserved, serials, kind): a journal line as the checks compare it
LineKey = tuple[int, int, int, int, int, str, str]

_MOVES = frozenset(t.value for t in SPECS if t is not TxType.ISSUE)
_RESERVING = {TxType.RESERVE.value: "reserve", TxType.FREEZE.value: "freeze"}
_RELEASING = {TxType.RELEASE.value: "release", TxType.UNFREEZE.value: "unfreeze"}


def expected_lines(tx: TxRow) -> list[LineKey] | None:
    """The journal lines the engine writes for ``tx`` in its status (None: a type it never writes)."""
    q, uc, r, s = tx.quantity, tx.unit_class_id or 0, tx.restriction_id, tx.serials
    done = tx.status == TxStatus.COMPLETED.value
    if tx.type == TxType.ISSUE.value:
        return [(tx.receiver_id or 0, uc, r, q, 0, s, tx.type)] if done else []
    if tx.type in _RESERVING:
        return [(tx.sender_id or 0, uc, r, 0, q, "", _RESERVING[tx.type])]
    if tx.type in _RELEASING:
        return [(tx.sender_id or 0, uc, r, 0, -q, "", _RELEASING[tx.type])]
    if tx.type not in _MOVES:
        return None
    snd, rcv = tx.sender_id or 0, tx.receiver_id or 0
    # a movement that waited for a second person held its units back under its own id first
    own_hold = tx.reservation_id is not None and tx.reservation_id == tx.id
    out: list[LineKey] = [(snd, uc, r, 0, q, "", "approval")] if own_hold else []
    if done:
        from_reserved = -q if tx.reservation_id is not None else 0
        out += [(snd, uc, r, -q, from_reserved, s, tx.type), (rcv, uc, r, q, 0, s, tx.type)]
    elif tx.status in (TxStatus.REJECTED.value, TxStatus.CANCELLED.value) and own_hold:
        out.append((snd, uc, r, 0, -q, "", "approval_release"))
    return out


def lines_agree_with_transaction(tx: TxRow, lines: Iterable[LineKey], rows: Iterable[int]) -> Problem | None:
    """Its journal lines are exactly those its type, status, accounts, quantity and serials call for."""
    want = expected_lines(tx)
    if want is None:
        return Problem("transaction_type_unknown", f"transaction {tx.id}", f"type {tx.type!r} is not a registry type")
    lines = list(lines)
    if lines == want:  # the usual case: written in the order the engine writes them
        return None
    have, need = Counter(lines), Counter(want)
    if have == need:
        return None
    extra, missing = have - need, need - have
    where = ", ".join(str(r) for r in sorted(rows)) or "none"
    return Problem("lines_disagree_with_transaction", f"transaction {tx.id}",
                   f"{tx.type} {tx.status} of {tx.quantity} t: journal rows [{where}]; lines not called for "
                   f"{_show(extra)}; lines missing {_show(missing)}")


def _show(c: Counter[LineKey]) -> str:
    items = [f"(account {a}, {d:+d} t, {dr:+d} reserved, serials {s or '-'}, {k})"
             for (a, _u, _r, d, dr, s, k) in sorted(c.elements())]
    return "[" + ", ".join(items[:4]) + (" …" if len(items) > 4 else "") + "]"


def line_has_transaction(txn_id: int, rows: list[int]) -> Problem:
    """A journal line whose transaction row does not exist (the invented issuance of issue 19)."""
    shown = ", ".join(str(r) for r in rows[:5]) + (" …" if len(rows) > 5 else "")
    return Problem("line_without_transaction", f"journal rows {shown}",
                   f"no transaction {txn_id} in the transactions table")


class Representation(NamedTuple):
    party_id: int
    role: str
    market: str | None


def approval_agrees(tx: TxRow, who: str | None, reps: Mapping[str, list[Representation]]) -> Problem | None:
    """A completed transaction whose type needs approval (``who`` approves: "regulator" or the
    proposer's "party"; None: no approval needed) names an approver, another user than its proposer,
    who may approve it."""
    if tx.status != TxStatus.COMPLETED.value or who is None:
        return None
    subject = f"transaction {tx.id}"
    ap = tx.approved_by
    if not ap:
        return Problem("approval_missing", subject, f"a {tx.type} needs the approval of a {who}; none recorded")
    if ap == tx.actor_user:
        return Problem("approver_is_proposer", subject, f"approved by its own proposer {ap!r}")
    roles = reps.get(ap, [])
    if who == "regulator":
        ok = any(r.role == "regulator" and r.market == tx.market for r in roles)
    else:
        ok = any(r.party_id == tx.actor_party for r in roles)
    if not ok:
        return Problem("approver_not_authorised", subject,
                       f"approver {ap!r} is not a {who} who may approve a {tx.type} of market {tx.market}")
    return None


def issuance_contiguous(uc_id: int, issues: list[TxRow]) -> list[Problem]:
    """The completed issuances of a unit class, in id order, create serials 1…N without a gap or an
    overlap, each exactly its own quantity."""
    problems: list[Problem] = []
    end = 0
    for tx in issues:
        ranges = parse_serials(tx.serials)
        if ranges != [(end + 1, end + tx.quantity)]:
            problems.append(Problem("issuance_not_contiguous", f"transaction {tx.id}",
                                    f"issued serials {tx.serials or '-'} for {tx.quantity} t; the next serials of "
                                    f"unit class {uc_id} are {end + 1}-{end + tx.quantity}"))
        end = max([end, *(e for _, e in ranges)])
    return problems


def blocks_within_issuance(uc_id: int, blocks: list[tuple[int, int, int, int]], issued_end: int) -> list[Problem]:
    """Every block of a unit class (rows (start, end, account, restriction), by start) lies inside
    its issued serials 1…N, no two overlap, and together they hold all N (none lost, none made up)."""
    problems: list[Problem] = []
    prev_end, held = 0, 0
    for start, end, acc, restr in blocks:
        subject = f"block {uc_id}:{start}-{end} of account {acc}" + (f" (restriction {restr})" if restr else "")
        if start < 1 or end > issued_end:
            problems.append(Problem("block_outside_issuance", subject,
                                    f"unit class {uc_id} issued serials 1-{issued_end} only"))
        if start <= prev_end:
            problems.append(Problem("serials_overlap", subject, f"overlaps a block ending at {prev_end}"))
        prev_end = max(prev_end, end)
        held += end - start + 1
    if held != issued_end:
        problems.append(Problem("serials_not_conserved", f"unit class {uc_id}",
                                f"blocks hold {held} serials, {issued_end} were issued"))
    return problems


PosKey = tuple[int, int, int]


def transaction_flows(txns: Iterable[TxRow]) -> dict[PosKey, int]:
    """Each position's total as its completed transactions leave it: in minus out."""
    out: dict[PosKey, int] = {}
    for tx in txns:
        if tx.status != TxStatus.COMPLETED.value or tx.unit_class_id is None:
            continue
        if tx.type == TxType.ISSUE.value or tx.type in _MOVES:
            if tx.receiver_id is not None:
                k = (tx.receiver_id, tx.unit_class_id, tx.restriction_id)
                out[k] = out.get(k, 0) + tx.quantity
            if tx.sender_id is not None and tx.type != TxType.ISSUE.value:
                k = (tx.sender_id, tx.unit_class_id, tx.restriction_id)
                out[k] = out.get(k, 0) - tx.quantity
    return out


def positions_agree_with_transactions(flows: Mapping[PosKey, int], totals: Mapping[PosKey, int]) -> list[Problem]:
    """Every position's stored total equals what its completed transactions moved in and out."""
    return [Problem("position_differs_from_transactions", f"position {a}/{u}/{r}",
                    f"total {totals.get((a, u, r), 0)} t, its transactions leave {flows.get((a, u, r), 0)} t")
            for a, u, r in sorted(set(flows) | set(totals)) if flows.get((a, u, r), 0) != totals.get((a, u, r), 0)]


# the unit class figures and the market accounts that hold them
FIGURES = {"surrendered": AccountType.SURRENDER, "cancelled": AccountType.RETIREMENT,
           "deleted": AccountType.DELETION}


def unit_class_figures(uc_id: int, issued: int, from_txns: Mapping[str, int], from_tables: Mapping[str, int]) -> list[Problem]:
    """A unit class's issued figure equals its issuances, and its surrendered / cancelled / deleted
    tonnes (held in the markets' surrender, retirement and deletion accounts) equal what its
    transactions put there; all its positions add up to its issued figure."""
    problems = []
    if from_txns.get("issued", 0) != issued:
        problems.append(Problem("issued_differs_from_transactions", f"unit class {uc_id}",
                                f"issued figure {issued} t, its issuance transactions {from_txns.get('issued', 0)} t"))
    for name in FIGURES:
        a, b = from_txns.get(name, 0), from_tables.get(name, 0)
        if a != b:
            problems.append(Problem(f"{name}_differs_from_transactions", f"unit class {uc_id}",
                                    f"{name}: {b} t held, its transactions {a} t"))
    if from_tables.get("held", 0) != issued:
        problems.append(Problem("unit_class_not_conserved", f"unit class {uc_id}",
                                f"its positions add up to {from_tables.get('held', 0)} t, {issued} t were issued"))
    return problems
