"""``openets registry verify``: one check of the whole registry, in one read snapshot, naming every
problem found (a stable code and the row it concerns).

The checks, each named (the pure ones in :mod:`openets.registry.audit`, the journal's in
:mod:`openets.services.journal` and :mod:`openets.services.reconcile`):

- ``journal_chains``: every account's hash chain is whole and ends at the account's head;
- ``lines_have_transactions``: every journal line belongs to a transaction row;
- ``lines_agree_with_transactions``: a transaction's lines are exactly those its type, status,
  accounts, unit class, restriction, quantity and serials call for;
- ``approvals``: a completed transaction that needs a second person names one, not its proposer,
  who may approve it;
- ``positions_match_journal``, ``blocks_match_journal``, ``reserved_matches_reservations``: the
  positions and blocks tables equal a replay of the journal, reserved figures the open reservations;
- ``arrivals_match_journal``: every position's ``last_in_us`` (the arrival check's fast path) is the
  time of its latest journal line adding to it;
- ``positions_agree_with_transactions``: every position's total is what its transactions moved;
- ``unit_class_figures``: issued / surrendered / cancelled / deleted equal their transactions, and all
  positions add up to the issued figure;
- ``issuance_contiguous`` and ``blocks_within_issuance``: serials are issued 1…N in order, and every
  block lies inside them, none overlapping, all N held;
- with a signed checkpoint (:mod:`openets.services.checkpoints`): ``checkpoint``, nothing it covers
  changed, and what was appended since.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from time import perf_counter
from typing import Any

from sqlalchemy import Connection, Engine

from openets.core.actor import Actor, Role
from openets.core.clock import from_us
from openets.core.errors import DomainError
from openets.registry import audit
from openets.registry.audit import LineKey, Problem, Representation, TxRow
from openets.registry.model import AccountType
from openets.registry.transactions import TxStatus, TxType
from openets.rules.loader import RuleBook
from openets.services import checkpoints, reconcile
from openets.services.journal import chains, verify_chains

CHECKS = ("journal_chains", "lines_have_transactions", "lines_agree_with_transactions", "approvals",
          "positions_match_journal", "blocks_match_journal", "reserved_matches_reservations",
          "arrivals_match_journal", "positions_agree_with_transactions", "unit_class_figures", "issuance_contiguous",
          "blocks_within_issuance")


@dataclass
class Verification:
    checks: list[str]
    transactions: int = 0
    journal_lines: int = 0
    accounts: int = 0
    problems: list[Problem] = field(default_factory=list)
    since: dict[str, Any] | None = None  # with a checkpoint: what was appended after it
    seconds: float = 0.0
    chain_accounts: dict[str, list] = field(default_factory=dict, repr=False)  # for a new checkpoint

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checks": self.checks, "transactions": self.transactions,
                "journal_lines": self.journal_lines, "accounts": self.accounts,
                "problems": [{"code": p.code, "subject": p.subject, "detail": p.detail} for p in self.problems],
                "appended_since_checkpoint": self.since, "seconds": round(self.seconds, 3)}


def require_verifier(actor: Actor) -> None:
    """The whole registry is read by its auditors and regulators only (it names every account)."""
    if actor.role not in (Role.AUDITOR, Role.REGULATOR):
        raise DomainError("forbidden", f"{actor.describe()} may not verify the registry: auditors and "
                                       "regulators only")


def _read_txns(conn: Connection) -> dict[int, TxRow]:
    return {r[0]: TxRow(*r) for r in conn.exec_driver_sql(
        "SELECT id, type, status, market, unit_class_id, restriction_id, quantity, sender_id, receiver_id, "
        "reservation_id, actor_user, actor_party, approved_by, serials, compliance_year, at_us FROM transactions")}


class _Approvals:
    """Who approves a transaction, as the rule set in force when it was proposed says (the engine's rule)."""

    def __init__(self, rulebook: RuleBook, vintages: dict[int, int]) -> None:
        self.rulebook, self.vintages = rulebook, vintages

    def who(self, tx: TxRow) -> str | None:
        if tx.type in (TxType.RESERVE, TxType.RELEASE, TxType.FREEZE, TxType.UNFREEZE):
            return None
        if tx.reservation_id is not None and tx.reservation_id != tx.id:
            return None  # settling a reservation of its own (an order): never waits for approval
        year = tx.compliance_year or self.vintages.get(tx.unit_class_id or 0, 0)
        at: datetime = from_us(tx.at_us)
        try:
            approvals = self.rulebook.lookup_at(tx.market, year, at, "registry").registry.approvals
        except DomainError:
            return None  # no rule set: the engine could not have written it; other checks say more
        return approvals.get(tx.type) if tx.type in approvals else None


def verify_registry(engine: Engine, rulebook: RuleBook, checkpoint: dict[str, Any] | None = None) -> Verification:
    """Run every named check (and, given a checkpoint's verified payload, compare with it)."""
    t0 = perf_counter()
    out = Verification(list(CHECKS) + (["checkpoint"] if checkpoint is not None else []))
    with _snapshot(engine) as conn:
        _run(conn, rulebook, checkpoint, out)
    out.seconds = perf_counter() - t0
    return out


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """A read-only transaction in which every read sees the same state (SQLite: one read transaction)."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            yield conn


def _run(conn: Connection, rulebook: RuleBook, checkpoint: dict[str, Any] | None, out: Verification) -> None:
    problems = out.problems
    if checkpoint is None:
        chain, out.chain_accounts = chains(conn)
    else:
        chain = verify_chains(conn, checkpoint["chains"])
    out.accounts = chain.accounts
    problems += [Problem(p.code, f"account {p.account_id}" + (f" line {p.account_seq}" if p.account_seq else "")
                         + (f" (journal row {p.seq})" if p.seq else ""), p.problem) for p in chain.problems]

    txns = _read_txns(conn)
    out.transactions = len(txns)
    lines: dict[int, list[LineKey]] = {}
    rows: dict[int, list[int]] = {}
    cp_counts = {int(a): v[0] for a, v in checkpoint["chains"].items()} if checkpoint is not None else {}
    appended: Counter[str] = Counter()

    def on_line(r: reconcile.JournalRow) -> None:
        seq, txn, acc, aseq, uc, restr, d_total, d_reserved, serials, kind = r
        lines.setdefault(txn, []).append((acc, uc, restr, d_total, d_reserved, serials, kind))
        rows.setdefault(txn, []).append(seq)
        if checkpoint is not None and aseq > cp_counts.get(acc, 0):
            appended[kind] += 1

    rep = reconcile.replay(conn, on_line)
    out.journal_lines = rep.lines
    problems += rep.problems
    for txn_id in sorted(set(lines) - set(txns)):
        problems.append(audit.line_has_transaction(txn_id, rows[txn_id]))
    for tx in txns.values():
        p = audit.lines_agree_with_transaction(tx, lines.get(tx.id, []), rows.get(tx.id, []))
        if p is not None:
            problems.append(p)

    vintages = {u: v for u, v in conn.exec_driver_sql("SELECT id, vintage FROM unit_classes")}
    reps: dict[str, list[Representation]] = {}
    for user, party, role, market in conn.exec_driver_sql(
            "SELECT user_name, party_id, role, market FROM representatives"):
        reps.setdefault(user, []).append(Representation(party, role, market))
    approvals = _Approvals(rulebook, vintages)
    for tx in txns.values():
        if tx.status == TxStatus.COMPLETED.value:
            p = audit.approval_agrees(tx, approvals.who(tx), reps)
            if p is not None:
                problems.append(p)

    table = reconcile.read_positions(conn)
    blocks = reconcile.read_blocks(conn)
    problems += reconcile.positions_match_journal(rep, table)
    problems += reconcile.blocks_match_journal(rep, blocks)
    problems += reconcile.reserved_matches_reservations(table, reconcile.read_open_reservations(conn))
    problems += reconcile.arrivals_match_journal(conn)

    flows = audit.transaction_flows(txns.values())
    problems += audit.positions_agree_with_transactions(flows, {k: v[0] for k, v in table.items()})
    problems += _unit_classes(conn, txns, flows, table, blocks)
    if checkpoint is not None:
        found, out.since = checkpoints.compare(conn, checkpoint, txns, appended)
        problems += found


def _unit_classes(conn: Connection, txns: dict[int, TxRow], flows: dict[audit.PosKey, int],
                  table: dict[audit.PosKey, list[int]], blocks: dict[audit.PosKey, list[tuple[int, int]]]) -> list[Problem]:
    acc_type = {a: AccountType(t) for a, t in conn.exec_driver_sql("SELECT id, type FROM accounts")}
    issues: dict[int, list[TxRow]] = {}
    for tx in sorted(txns.values(), key=lambda x: x.id):
        if tx.type == TxType.ISSUE.value and tx.status == TxStatus.COMPLETED.value and tx.unit_class_id is not None:
            issues.setdefault(tx.unit_class_id, []).append(tx)
    by_uc: dict[int, list[tuple[int, int, int, int]]] = {}
    for (acc, uc, restr), bl in blocks.items():
        by_uc.setdefault(uc, []).extend((s, e, acc, restr) for s, e in bl)
    kinds = {t: name for name, t in audit.FIGURES.items()}
    from_txns: dict[int, Counter[str]] = {}
    from_tables: dict[int, Counter[str]] = {}
    for (acc, u, _r), n in flows.items():
        if acc_type.get(acc) in kinds:
            from_txns.setdefault(u, Counter())[kinds[acc_type[acc]]] += n
    for (acc, u, _r), (total, _res) in table.items():
        held = from_tables.setdefault(u, Counter())
        held["held"] += total
        if acc_type.get(acc) in kinds:
            held[kinds[acc_type[acc]]] += total
    problems: list[Problem] = []
    for uc, issued in conn.exec_driver_sql("SELECT id, issued FROM unit_classes ORDER BY id"):
        mine = issues.get(uc, [])
        by_txns = from_txns.get(uc, Counter())
        by_txns["issued"] = sum(t.quantity for t in mine)
        problems += audit.unit_class_figures(uc, issued, by_txns, from_tables.get(uc, Counter()))
        problems += audit.issuance_contiguous(uc, mine)
        problems += audit.blocks_within_issuance(uc, sorted(by_uc.get(uc, [])), by_txns["issued"])
    return problems


def write_checkpoint(engine: Engine, rulebook: RuleBook, path: Path, key: bytes) -> dict[str, Any]:
    """Verify the whole registry, then write a signed checkpoint of it; refused if anything is wrong."""
    report = Verification(list(CHECKS))
    with _snapshot(engine) as conn:  # the checkpoint covers the very state that verified
        _run(conn, rulebook, None, report)
        if not report.ok:
            raise DomainError("registry_does_not_verify",
                              f"the registry does not verify ({len(report.problems)} problems, first: "
                              f"{report.problems[0]}): no checkpoint written")
        payload = checkpoints.payload(conn, report.chain_accounts)
    checkpoints.write(path, payload, key)
    return {"path": str(path), "transactions": payload["transactions"]["count"],
            "journal_lines": payload["journal"]["count"], "accounts": len(report.chain_accounts)}
