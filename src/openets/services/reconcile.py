"""Reconciliation: replay the journal, independently of the positions and blocks tables, and
compare. This is the registry's second book (as the UK registry keeps a separate transaction log):
balances, reservations and the exact serial blocks must all agree, and no position may ever have
gone negative on the way. These are named checks of ``openets registry verify``
(:mod:`openets.services.verification`); :func:`reconcile` runs them alone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine

from openets.ledger.blocks import Block, put, take_ranges
from openets.ledger.journal import parse_serials
from openets.registry.audit import Problem

Key = tuple[int, int, int]  # account, unit class, restriction
# seq, txn_id, account_id, account_seq, unit_class_id, restriction_id, d_total, d_reserved, serials, kind
JournalRow = tuple[int, int, int, int, int, int, int, int, str, str]


@dataclass
class Replay:
    lines: int = 0
    positions: dict[Key, list[int]] = field(default_factory=dict)  # key -> [total, reserved]
    blocks: dict[Key, list[Block]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def _pos(key: Key) -> str:
    return f"position {key[0]}/{key[1]}/{key[2]}"


def replay(conn: Connection, on_line: Callable[[JournalRow], None] | None = None) -> Replay:
    """Every journal line in commit order, applied to empty positions; ``on_line`` sees each row too
    (the verification reads the journal once for several checks)."""
    out = Replay()
    # per position, journal order is commit order: writers hold the account's lock while inserting
    rows = conn.exec_driver_sql(
        "SELECT seq, txn_id, account_id, account_seq, unit_class_id, restriction_id, d_total, d_reserved, "
        "serials, kind FROM journal ORDER BY seq")
    problems = out.problems
    while chunk := rows.fetchmany(20_000):
        for row in chunk:
            seq, txn, acc, _aseq, uc, restr, d_total, d_reserved, serials, _kind = row
            out.lines += 1
            if on_line is not None:
                on_line(row)
            key = (acc, uc, restr)
            pos = out.positions.setdefault(key, [0, 0])
            blocks = out.blocks.setdefault(key, [])
            pos[0] += d_total
            pos[1] += d_reserved
            ranges = parse_serials(serials)
            if sum(e - s + 1 for s, e in ranges) != abs(d_total):
                problems.append(Problem("line_serials_do_not_add_up", f"journal row {seq}",
                                        f"txn {txn}: serials {serials!r} do not add up to {d_total}"))
            try:
                if d_total > 0:
                    put(blocks, [Block(s, e) for s, e in ranges])
                elif d_total < 0:
                    take_ranges(blocks, ranges)
            except ValueError as exc:
                problems.append(Problem("line_serials_not_held", f"journal row {seq}",
                                        f"txn {txn}: serials {serials}: {exc}"))
            if pos[0] < 0 or pos[1] < 0 or pos[1] > pos[0]:
                problems.append(Problem("line_makes_position_negative", f"journal row {seq}",
                                        f"txn {txn}: {_pos(key)} at total {pos[0]}, reserved {pos[1]}"))
    return out


def positions_match_journal(r: Replay, table: dict[Key, list[int]]) -> list[Problem]:
    """Every position's total and reserved figure equal the replay of its journal lines."""
    out = []
    for key in sorted(set(table) | set(r.positions)):
        want, have = r.positions.get(key, [0, 0]), table.get(key, [0, 0])
        if want != have:
            out.append(Problem("position_differs_from_journal", _pos(key),
                               f"table total {have[0]}, reserved {have[1]}; journal total {want[0]}, "
                               f"reserved {want[1]}"))
    return out


def reserved_matches_reservations(table: dict[Key, list[int]], open_res: dict[Key, int]) -> list[Problem]:
    """Every position's reserved figure equals its open reservations."""
    return [Problem("reserved_differs_from_reservations", _pos(key),
                    f"reserved {table.get(key, [0, 0])[1]}, open reservations {open_res.get(key, 0)}")
            for key in sorted(set(table) | set(open_res)) if open_res.get(key, 0) != table.get(key, [0, 0])[1]]


def blocks_match_journal(r: Replay, table: dict[Key, list[tuple[int, int]]]) -> list[Problem]:
    """Every position holds exactly the serial blocks the replay of its journal lines leaves it."""
    out = []
    for key in sorted(set(table) | set(r.blocks)):
        want = [(b.start, b.end) for b in r.blocks.get(key, [])]
        have = table.get(key, [])
        if want != have:
            gone = sorted(set(want) - set(have))[:3]
            extra = sorted(set(have) - set(want))[:3]
            out.append(Problem("blocks_differ_from_journal", _pos(key),
                               f"blocks the journal gives it and the table lacks {gone}, blocks the table has "
                               f"and the journal does not give it {extra}"))
    return out


def arrivals_match_journal(conn: Connection) -> list[Problem]:
    """Every position's ``last_in_us`` is its latest journal line adding to it (NULL: none): a lowered one
    would let an entry dated before its units arrived through the arrival check's fast path."""
    want = {(a, u, x): m for a, u, x, m in conn.exec_driver_sql(
        "SELECT account_id, unit_class_id, restriction_id, max(at_us) FROM journal WHERE d_total > 0 GROUP BY 1, 2, 3")}
    return [Problem("last_arrival_differs_from_journal", _pos((a, u, x)),
                    f"table last_in_us {have}, journal {want.get((a, u, x))}")
            for a, u, x, have in conn.exec_driver_sql(
                "SELECT account_id, unit_class_id, restriction_id, last_in_us FROM positions ORDER BY 1, 2, 3")
            if have != want.get((a, u, x))]


def read_positions(conn: Connection) -> dict[Key, list[int]]:
    return {(a, u, x): [t, res] for a, u, x, t, res in conn.exec_driver_sql(
        "SELECT account_id, unit_class_id, restriction_id, total, reserved FROM positions")}


def read_blocks(conn: Connection) -> dict[Key, list[tuple[int, int]]]:
    out: dict[Key, list[tuple[int, int]]] = {}
    for a, u, x, s, e in conn.exec_driver_sql(
            'SELECT account_id, unit_class_id, restriction_id, start, "end" FROM blocks ORDER BY start'):
        out.setdefault((a, u, x), []).append((s, e))
    return out


def read_open_reservations(conn: Connection) -> dict[Key, int]:
    out: dict[Key, int] = {}
    for a, u, x, q in conn.exec_driver_sql(
            "SELECT account_id, unit_class_id, restriction_id, quantity FROM reservations WHERE status = 'open'"):
        out[(a, u, x)] = out.get((a, u, x), 0) + q
    return out


def reconcile(engine: Engine) -> list[str]:
    """Differences between the replayed journal and the positions/blocks tables (empty = agree)."""
    with engine.connect() as conn:
        r = replay(conn)
        table, blocks, open_res = read_positions(conn), read_blocks(conn), read_open_reservations(conn)
    problems = r.problems + positions_match_journal(r, table) + reserved_matches_reservations(table, open_res) \
        + blocks_match_journal(r, blocks)
    return [str(p) for p in problems]
