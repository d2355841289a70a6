"""Tamper evidence: verify the journal's hash chains, and export/compare checkpoints kept outside
the database.

Inside the database each account's lines form a chain; an edited, deleted or re-ordered line breaks
it. An attacker who recomputes the chain inside the database is caught by a checkpoint: a file
holding, per account, the line count, the head hash and a 64-bit prefix of every line's hash, so the
first line that differs is named.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine

from openets.ledger.journal import GENESIS, ChainProblem

PREFIX = 16  # hex characters of each line hash kept in a checkpoint
_COLUMNS = ("seq, txn_id, account_id, account_seq, unit_class_id, restriction_id, d_total, d_reserved, "
            "serials, kind, at_us, prev_hash, hash")


@dataclass
class VerifyReport:
    rows: int = 0
    accounts: int = 0
    problems: list[ChainProblem] = field(default_factory=list)
    checkpoint: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


Source = Engine | Connection  # a connection: read in its transaction (one snapshot with other checks)


@contextmanager
def _conn(src: Source) -> Iterator[Connection]:
    if isinstance(src, Connection):
        yield src
    else:
        with src.connect() as conn:
            yield conn


def _rows(src: Source, batch: int = 20_000) -> Iterator[tuple]:
    # the driver cursor directly: this is the hot loop of a million-row check
    with _conn(src) as conn:
        result = conn.exec_driver_sql(f"SELECT {_COLUMNS} FROM journal ORDER BY account_id, account_seq")
        while chunk := result.fetchmany(batch):
            yield from chunk


def _heads(src: Source) -> dict[int, tuple[int, str | None]]:
    with _conn(src) as conn:
        return {r[0]: (r[1], r[2]) for r in conn.exec_driver_sql(
            "SELECT id, journal_count, head_hash FROM accounts")}


def _walk(engine: Source, on_line: Callable[[int, int, str], None] | None = None) -> VerifyReport:
    report = VerifyReport()
    problems = report.problems
    current, expect_seq, prev = None, 1, GENESIS
    seen: dict[int, tuple[int, str]] = {}
    sha256 = hashlib.sha256
    n = 0
    for (seq, txn, acc, aseq, uc, restr, d_total, d_reserved, serials, kind, at_us, stored_prev,
         stored_hash) in _rows(engine):
        n += 1
        if acc != current:
            if current is not None:
                seen[current] = (expect_seq - 1, prev)
            current, expect_seq, prev = acc, 1, GENESIS
        if aseq != expect_seq:
            what = (f"lines {expect_seq}–{aseq - 1} missing (deleted)" if aseq > expect_seq
                    else f"line number {aseq} repeated or out of order")
            problems.append(ChainProblem(acc, aseq, seq, what, "journal_line_missing"))
        if stored_prev != prev:
            problems.append(ChainProblem(acc, aseq, seq, "previous-hash link broken (a line before it was "
                                                          "deleted, or lines were re-ordered)",
                                         "journal_link_broken"))
        # the same text as ledger.journal.line_digest, inlined: this loop runs a million times
        digest = sha256(f"{txn}|{acc}|{aseq}|{uc}|{restr}|{d_total}|{d_reserved}|{serials}|{kind}|"
                        f"{at_us}|{stored_prev}".encode()).hexdigest()
        if digest != stored_hash:
            problems.append(ChainProblem(acc, aseq, seq, "content does not match its hash (edited)", "journal_line_edited"))
        if on_line:
            on_line(acc, aseq, stored_hash)
        expect_seq, prev = aseq + 1, stored_hash
    report.rows = n
    if current is not None:
        seen[current] = (expect_seq - 1, prev)
    report.accounts = len(seen)
    for acc, (count, head) in _heads(engine).items():
        last = seen.get(acc, (0, GENESIS))
        if count != last[0] or (count and head != last[1]):
            problems.append(ChainProblem(acc, None, None,
                                         f"account head says {count} lines ending {(head or '')[:12]}…, the journal "
                                         f"has {last[0]} ending {last[1][:12]}… (last lines deleted or added)",
                                         "journal_head_differs"))
    return report


def verify(engine: Engine, checkpoint: Path | None = None) -> VerifyReport:
    if checkpoint is None:
        return _walk(engine)
    report = verify_chains(engine, load_checkpoint(checkpoint)["accounts"])
    report.checkpoint = str(checkpoint)
    return report


def verify_chains(engine: Source, accounts: dict[str, list]) -> VerifyReport:
    """Walk the chains and compare them with a checkpoint's ``accounts`` (per account: line count,
    head hash, the lines' hash prefixes), naming the first line of each account that differs."""
    expected: dict[int, tuple[int, str, str]] = {int(a): (v[0], v[1], v[2]) for a, v in accounts.items()}
    first_diff: dict[int, int] = {}
    found: dict[int, int] = {}

    def compare(acc: int, aseq: int, digest: str) -> None:
        exp = expected.get(acc)
        if exp is None or aseq > exp[0]:
            return
        found[acc] = found.get(acc, 0) + 1
        lo = (aseq - 1) * PREFIX
        if acc not in first_diff and exp[2][lo:lo + PREFIX] != digest[:PREFIX]:
            first_diff[acc] = aseq

    report = _walk(engine, compare)
    for acc, (count, _head, _) in expected.items():
        if acc in first_diff:
            report.problems.append(ChainProblem(acc, first_diff[acc], None,
                                                "differs from the checkpoint (edited, re-ordered or replaced, "
                                                "chain recomputed)", "checkpoint_line_differs"))
        elif found.get(acc, 0) < count:
            report.problems.append(ChainProblem(acc, None, None,
                                                f"checkpoint has {count} lines, the journal {found.get(acc, 0)} "
                                                f"(lines deleted)", "checkpoint_lines_deleted"))
    return report


def chains(engine: Source) -> tuple[VerifyReport, dict[str, list]]:
    """Walk the chains; with the report, every account's [line count, head hash, hash prefixes]."""
    per: dict[int, list[str]] = {}
    heads: dict[int, str] = {}

    def collect(acc: int, aseq: int, digest: str) -> None:
        per.setdefault(acc, []).append(digest[:PREFIX])
        heads[acc] = digest

    report = _walk(engine, collect)
    return report, {str(a): [len(v), heads[a], "".join(v)] for a, v in per.items()}


def export_checkpoint(engine: Engine, path: Path) -> dict[str, object]:
    """Write an unsigned checkpoint (gzip JSON) of every account's chain; refuse if the chain is already
    broken. ``openets registry checkpoint`` writes the signed whole-registry one (services/checkpoints)."""
    report, accounts = chains(engine)
    if not report.ok:
        raise ValueError(f"journal does not verify ({len(report.problems)} problems): no checkpoint written")
    data = {
        "created": datetime.now(UTC).isoformat(),
        "rows": report.rows,
        "accounts": accounts,
    }
    tmp = path.with_suffix(path.suffix + ".tmp")
    with gzip.open(tmp, "wt", compresslevel=1) as fh:
        json.dump(data, fh)
    tmp.replace(path)  # a crash never leaves a half-written checkpoint
    return {"rows": report.rows, "accounts": len(accounts), "path": str(path)}


def load_checkpoint(path: Path) -> dict:
    try:
        with gzip.open(path, "rt") as fh:
            data = json.load(fh)
        if not isinstance(data, dict) or "accounts" not in data:
            raise ValueError("not a checkpoint")
        return data
    except (OSError, ValueError, EOFError) as exc:
        raise ValueError(f"{path}: not a readable checkpoint ({exc})") from None
