"""Reconciliation: replay the journal, independently of the positions and blocks tables, and
compare. This is the registry's second book (as the UK registry keeps a separate transaction log):
balances, reservations and the exact serial blocks must all agree, and no position may ever have
gone negative on the way."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine

from openets.ledger.blocks import Block, put, take_ranges
from openets.ledger.journal import parse_serials


@dataclass
class Replay:
    lines: int = 0
    positions: dict[tuple[int, int, int], list[int]] = field(default_factory=dict)  # key -> [total, reserved]
    blocks: dict[tuple[int, int, int], list[Block]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def replay(engine: Engine) -> Replay:
    out = Replay()
    with engine.connect() as conn:
        # per position, journal order is commit order: writers hold the account's lock while inserting
        rows = conn.exec_driver_sql(
            "SELECT seq, txn_id, account_id, unit_class_id, restriction_id, d_total, d_reserved, serials "
            "FROM journal ORDER BY seq")
        for seq, txn, acc, uc, restr, d_total, d_reserved, serials in rows:
            out.lines += 1
            key = (acc, uc, restr)
            pos = out.positions.setdefault(key, [0, 0])
            blocks = out.blocks.setdefault(key, [])
            pos[0] += d_total
            pos[1] += d_reserved
            ranges = parse_serials(serials)
            if sum(e - s + 1 for s, e in ranges) != abs(d_total):
                out.problems.append(f"journal row {seq} (txn {txn}): serials {serials!r} do not add up to {d_total}")
            try:
                if d_total > 0:
                    put(blocks, [Block(s, e) for s, e in ranges])
                elif d_total < 0:
                    take_ranges(blocks, ranges)
            except ValueError as exc:
                out.problems.append(f"journal row {seq} (txn {txn}): serials {serials}: {exc}")
            if pos[0] < 0 or pos[1] < 0 or pos[1] > pos[0]:
                out.problems.append(f"journal row {seq} (txn {txn}): position {key} at total {pos[0]}, "
                                    f"reserved {pos[1]}")
    return out


def reconcile(engine: Engine) -> list[str]:
    """Differences between the replayed journal and the positions/blocks tables (empty = agree)."""
    r = replay(engine)
    problems = list(r.problems)
    with engine.connect() as conn:
        table_pos = {(a, u, x): [t, res] for a, u, x, t, res in conn.exec_driver_sql(
            "SELECT account_id, unit_class_id, restriction_id, total, reserved FROM positions")}
        table_blocks: dict[tuple[int, int, int], list[tuple[int, int]]] = {}
        for a, u, x, s, e in conn.exec_driver_sql(
                'SELECT account_id, unit_class_id, restriction_id, start, "end" FROM blocks ORDER BY start'):
            table_blocks.setdefault((a, u, x), []).append((s, e))
        open_res: dict[tuple[int, int, int], int] = {}
        for a, u, x, q in conn.exec_driver_sql(
                "SELECT account_id, unit_class_id, restriction_id, quantity FROM reservations WHERE status = 'open'"):
            open_res[(a, u, x)] = open_res.get((a, u, x), 0) + q
    for key in sorted(set(table_pos) | set(r.positions)):
        want = r.positions.get(key, [0, 0])
        have = table_pos.get(key, [0, 0])
        if want != have:
            problems.append(f"position {key}: table {have}, journal {want}")
        if open_res.get(key, 0) != have[1]:
            problems.append(f"position {key}: reserved {have[1]}, open reservations {open_res.get(key, 0)}")
    for key in sorted(set(table_blocks) | set(r.blocks)):
        want_b = [(b.start, b.end) for b in r.blocks.get(key, [])]
        if want_b != table_blocks.get(key, []):
            problems.append(f"blocks of {key}: table {table_blocks.get(key, [])[:3]}…, journal {want_b[:3]}…")
    return problems
