"""Signed checkpoints of the whole registry, kept outside the database by the regulator.

A checkpoint holds: every account's journal chain (line count, head hash, each line's hash prefix,
as :mod:`openets.services.journal` writes them); every transaction row's digest prefix (of all its
columns once it is decided; of the columns that never change while it awaits approval); the
transaction count and highest id, the journal's line count and highest row; and a digest per state
table (positions, blocks, reservations, accounts and unit classes as created). It is signed with
HMAC-SHA256 under a key the regulator holds (``--key-file`` or ``OPENETS_CHECKPOINT_KEY``): a file
edited or forged without the key is refused.

A later verify compares: a covered line or transaction changed, deleted or re-ordered is named; what
was appended since is counted per type; when nothing was appended the state tables must be
byte-for-byte what they were (otherwise the replay checks vouch for them).
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from openets.core.errors import DomainError
from openets.core.settings import setting
from openets.registry.audit import Problem, TxRow
from openets.registry.transactions import TxStatus

FORMAT = "openets-registry-checkpoint/1"
KEY_ENV = "OPENETS_CHECKPOINT_KEY"
MIN_KEY, MAX_KEY = 16, 4096  # bytes
PREFIX = 16  # hex characters of each transaction digest kept
MAX_FILE = 1 << 30  # a checkpoint larger than this (decompressed) is refused, not read

_TXN_ALL = ("id, type, status, market, unit_class_id, restriction_id, quantity, sender_id, receiver_id, "
            "compliance_year, reverses_id, reservation_id, actor_user, actor_party, actor_role, approved_by, "
            "at_us, note, serials, serial_lo, serial_hi")
_MUTABLE = {2, 15, 18, 19, 20}  # status, approved_by, serials, serial_lo, serial_hi: set when it is decided
# state tables: (name, query); accounts and unit classes by the columns that never change
_TABLES = (
    ("positions", "SELECT account_id, unit_class_id, restriction_id, total, reserved FROM positions ORDER BY 1, 2, 3"),
    ("blocks", 'SELECT unit_class_id, start, "end", account_id, restriction_id FROM blocks ORDER BY 1, 2'),
    ("reservations", "SELECT id, account_id, unit_class_id, restriction_id, quantity, kind, status, txn_id "
                     "FROM reservations ORDER BY id"),
    ("accounts", "SELECT id, number, market, type, party_id FROM accounts ORDER BY id"),
    ("unit_classes", "SELECT id, code, kind, market, vintage, cap FROM unit_classes ORDER BY id"),
)


def key_from(key_file: Path | None) -> bytes:
    """The regulator's key: the file's content, else ``$OPENETS_CHECKPOINT_KEY``; refused when absent."""
    if key_file is not None:
        try:
            with key_file.open("rb") as fh:
                raw = fh.read(MAX_KEY + 1).strip()
        except OSError as exc:
            raise DomainError("checkpoint_key_unreadable", f"{key_file}: {exc.strerror or 'cannot be read'}") from None
    else:
        raw = (setting("checkpoint_key") or "").strip().encode()
        if not raw:
            raise DomainError("checkpoint_key_missing",
                              f"no checkpoint key: give --key-file FILE or set {KEY_ENV} (the regulator's key); "
                              "nothing written or verified")
    if not MIN_KEY <= len(raw) <= MAX_KEY:
        raise DomainError("checkpoint_key_invalid", f"a checkpoint key is {MIN_KEY} to {MAX_KEY} bytes, "
                                                    f"this one {len(raw)}")
    return raw


def _line(row: tuple[Any, ...], skip: frozenset[int] | set[int] = frozenset()) -> bytes:
    return "|".join("" if v is None else str(v) for i, v in enumerate(row) if i not in skip).encode()


def _digest_rows(conn: Connection, sql: str) -> tuple[str, int]:
    h = hashlib.sha256()
    n = 0
    for row in conn.exec_driver_sql(sql):
        h.update(_line(tuple(row)) + b"\n")
        n += 1
    return h.hexdigest(), n


def _txn_digest(row: tuple[Any, ...], pending: bool) -> str:
    return hashlib.sha256(_line(row, _MUTABLE if pending else frozenset())).hexdigest()[:PREFIX]


def _txn_rows(conn: Connection) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in conn.exec_driver_sql(f"SELECT {_TXN_ALL} FROM transactions ORDER BY id")]


def payload(conn: Connection, chain_accounts: dict[str, list]) -> dict[str, Any]:
    """What a checkpoint covers, read on ``conn`` (in the snapshot that verified)."""
    txns = _txn_rows(conn)
    pending = [r[0] for r in txns if r[2] == TxStatus.AWAITING_APPROVAL.value]
    waiting = set(pending)
    by_type = Counter(str(r[1]) for r in txns)
    jcount, jmax = conn.exec_driver_sql("SELECT count(*), max(seq) FROM journal").one()
    return {
        "created": datetime.now(UTC).isoformat(),
        "chains": chain_accounts,
        "transactions": {"count": len(txns), "max_id": txns[-1][0] if txns else 0, "by_type": dict(by_type),
                         "ids": [r[0] for r in txns], "pending": pending,
                         "digests": "".join(_txn_digest(r, r[0] in waiting) for r in txns)},
        "journal": {"count": int(jcount), "max_seq": int(jmax or 0)},
        "tables": {name: list(_digest_rows(conn, sql)) for name, sql in _TABLES},
    }


def _mac(key: bytes, body: dict[str, Any]) -> str:
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def write(path: Path, body: dict[str, Any], key: bytes) -> None:
    doc = {"format": FORMAT, "payload": body,
           "signature": {"alg": "HMAC-SHA256", "key_id": hashlib.sha256(key).hexdigest()[:12],
                         "mac": _mac(key, body)}}
    tmp = path.with_suffix(path.suffix + ".tmp")
    with gzip.open(tmp, "wt", compresslevel=1) as fh:
        json.dump(doc, fh, separators=(",", ":"))
    tmp.replace(path)  # a crash never leaves a half-written checkpoint


def read(path: Path) -> dict[str, Any]:
    """The checkpoint document, not yet authenticated (:func:`load` checks its signature)."""
    try:
        with gzip.open(path, "rb") as fh:
            raw = fh.read(MAX_FILE + 1)
        if len(raw) > MAX_FILE:
            raise ValueError("larger than any checkpoint")
        doc = json.loads(raw)
    except (OSError, ValueError, EOFError) as exc:
        raise DomainError("checkpoint_unreadable", f"{path}: not a readable checkpoint ({_why(exc)})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("payload"), dict) \
            or not isinstance(doc.get("signature"), dict):
        raise DomainError("checkpoint_unreadable", f"{path}: not a readable checkpoint (not a signed registry "
                                                   "checkpoint; `openets registry checkpoint` writes them)")
    return doc


def _why(exc: BaseException) -> str:
    return exc.strerror.lower() if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__


def load(path: Path, key: bytes) -> dict[str, Any]:
    """The checkpoint's payload, once its signature is found good under ``key``."""
    doc = read(path)
    sig = doc["signature"]
    if sig.get("alg") != "HMAC-SHA256" or not isinstance(sig.get("mac"), str) \
            or not hmac.compare_digest(sig["mac"], _mac(key, doc["payload"])):
        raise DomainError("checkpoint_signature_bad",
                          f"{path}: bad signature — the checkpoint was edited or forged, or signed with another "
                          "key; nothing compared")
    body: dict[str, Any] = doc["payload"]
    return body


def compare(conn: Connection, cp: dict[str, Any], txns: dict[int, TxRow],
            appended_lines: Counter[str]) -> tuple[list[Problem], dict[str, Any]]:
    """Problems with what the checkpoint covers (the chains are compared by the journal walk), and
    what was appended since."""
    problems: list[Problem] = []
    t = cp["transactions"]
    ids: list[int] = t["ids"]
    digests: str = t["digests"]
    waiting = set(t["pending"])
    known = {i: digests[n * PREFIX:(n + 1) * PREFIX] for n, i in enumerate(ids)}
    rows = {r[0]: r for r in _txn_rows(conn)}
    decided: Counter[str] = Counter()
    for i, want in known.items():
        row = rows.get(i)
        if row is None:
            problems.append(Problem("checkpoint_transaction_deleted", f"transaction {i}",
                                    "in the checkpoint, no longer in the transactions table"))
            continue
        still = row[2] == TxStatus.AWAITING_APPROVAL.value
        if _txn_digest(row, i in waiting) != want:
            problems.append(Problem("checkpoint_transaction_changed", f"transaction {i}",
                                    "differs from the checkpoint (a column edited)"))
        elif i in waiting and not still:
            decided[f"{row[1]} {row[2]}"] += 1
    new = [txns[i] for i in sorted(set(txns) - set(known))]
    late = [x.id for x in new if x.id <= t["max_id"]]
    jcount = conn.exec_driver_sql("SELECT count(*) FROM journal").scalar_one()
    nothing_new = not new and not decided and not appended_lines and int(jcount) == cp["journal"]["count"]
    if nothing_new:
        for name, sql in _TABLES:
            digest, n = _digest_rows(conn, sql)
            if [digest, n] != cp["tables"][name]:
                problems.append(Problem("checkpoint_table_changed", f"table {name}",
                                        f"nothing was appended since the checkpoint, yet its rows differ "
                                        f"({n} rows now, {cp['tables'][name][1]} then)"))
    since = {"checkpoint_created": cp["created"], "transactions_then": t["count"],
             "transactions": dict(Counter(x.type for x in new)), "journal_lines": dict(appended_lines),
             "decided": dict(decided), "ids_below_checkpoint_max": late[:20]}
    return problems, since
