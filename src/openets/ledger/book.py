"""An in-memory working set of positions and their blocks, producing hash-chained journal lines.

The book knows nothing of accounts' rules: it refuses only what would break the ledger itself
(negative or over-reserved balances, overlapping serials). The registry checks business rules first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from openets.ledger import blocks as blk
from openets.ledger.blocks import Block
from openets.ledger.journal import GENESIS, JournalLine, format_serials, line_digest


class PositionKey(NamedTuple):
    account_id: int
    unit_class_id: int
    restriction_id: int  # 0 = unrestricted units


class BlockSource(Protocol):
    """Where a partly loaded position finds more of its blocks (storage implements it)."""

    def lowest(self, key: PositionKey, after: int, limit: int) -> list[tuple[int, int]]:
        """(start, end) of the position's blocks with start > after, lowest first."""
        ...

    def neighbours(self, key: PositionKey, ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """The position's blocks that end just before or start just after one of the ranges."""
        ...


@dataclass(slots=True)
class Position:
    key: PositionKey
    total: int = 0
    reserved: int = 0
    blocks: list[Block] = field(default_factory=list)
    loaded: bool = False  # True when it existed in storage before this unit of work
    # None: every block is in ``blocks``. Otherwise only those starting at or below it are all there
    # (more are fetched from the source when a movement needs them; merges fetch neighbours).
    prefix_end: int | None = None

    @property
    def available(self) -> int:
        return self.total - self.reserved


class LedgerError(Exception):
    pass


class Book:
    def __init__(self, source: BlockSource | None = None) -> None:
        self.source = source
        self.positions: dict[PositionKey, Position] = {}
        self.heads: dict[int, tuple[int, str]] = {}  # account_id -> (line count, head hash)
        self.lines: list[JournalLine] = []
        self.touched: set[PositionKey] = set()
        # (unit class, start) -> (key, start, end) of each block as loaded: a stored block is named by
        # its position and start (serials are unique within a unit class), and a Block's ``id`` is the
        # start it was stored with; the storage diff is computed against this
        self.loaded_blocks: dict[tuple[int, int], tuple[PositionKey, int, int]] = {}

    # -- loading ---------------------------------------------------------------------------------
    def load_position(self, key: PositionKey, total: int, reserved: int, rows: list[tuple[int, int]],
                      *, complete: bool = True) -> None:
        """``rows``: the stored (start, end) blocks. ``complete=False``: ``rows`` is empty and blocks are
        fetched from the source when needed."""
        rows = sorted(rows)
        pos = Position(key, total, reserved, [Block(s, e, s) for s, e in rows], True, None if complete else 0)
        if not complete and self.source is None:
            raise LedgerError("a partly loaded position needs a block source")
        self.positions[key] = pos
        uc = key.unit_class_id
        for s, e in rows:
            self.loaded_blocks[(uc, s)] = (key, s, e)

    def _adopt(self, pos: Position, rows: list[tuple[int, int]]) -> None:
        """Add fetched rows; a row already known is skipped (what is in memory is newer)."""
        uc = pos.key.unit_class_id
        fresh = [Block(s, e, s) for s, e in rows if (uc, s) not in self.loaded_blocks]
        for b in fresh:
            self.loaded_blocks[(uc, b.start)] = (pos.key, b.start, b.end)
        if fresh:
            pos.blocks = sorted(pos.blocks + fresh, key=lambda b: b.start)

    def _ensure_lowest(self, pos: Position, quantity: int) -> None:
        limit = 16
        while pos.prefix_end is not None:
            have = sum(b.end - b.start + 1 for b in pos.blocks if b.start <= pos.prefix_end)
            if have >= quantity:
                return
            assert self.source is not None
            rows = self.source.lowest(pos.key, pos.prefix_end, limit)
            self._adopt(pos, rows)
            pos.prefix_end = None if len(rows) < limit else rows[-1][0]
            limit *= 4

    def _ensure_neighbours(self, pos: Position, incoming: list[Block]) -> None:
        if pos.prefix_end is None or not pos.loaded:
            return
        assert self.source is not None
        self._adopt(pos, self.source.neighbours(pos.key, [(b.start, b.end) for b in incoming]))

    def load_head(self, account_id: int, count: int, head: str | None) -> None:
        self.heads[account_id] = (count, head or GENESIS)

    def position(self, key: PositionKey) -> Position:
        pos = self.positions.get(key)
        if pos is None:
            pos = Position(key)
            self.positions[key] = pos
        return pos

    # -- journal ---------------------------------------------------------------------------------
    def _line(
        self,
        txn_id: int,
        key: PositionKey,
        kind: str,
        at_us: int,
        d_total: int = 0,
        d_reserved: int = 0,
        serials: str = "",
    ) -> None:
        count, prev = self.heads.get(key.account_id, (0, GENESIS))
        seq = count + 1
        digest = line_digest(
            txn_id=txn_id,
            account_id=key.account_id,
            account_seq=seq,
            unit_class_id=key.unit_class_id,
            restriction_id=key.restriction_id,
            d_total=d_total,
            d_reserved=d_reserved,
            serials=serials,
            kind=kind,
            at_us=at_us,
            prev_hash=prev,
        )
        self.lines.append(
            JournalLine(txn_id, key.account_id, seq, key.unit_class_id, key.restriction_id,
                        d_total, d_reserved, serials, kind, at_us, prev, digest)
        )
        self.heads[key.account_id] = (seq, digest)

    # -- operations ------------------------------------------------------------------------------
    def create(self, txn_id: int, key: PositionKey, start: int, end: int, kind: str, at_us: int) -> None:
        """New serials come into existence (issuance)."""
        if end < start:
            raise LedgerError("empty serial range")
        pos = self.position(key)
        self._ensure_neighbours(pos, [Block(start, end)])
        blk.put(pos.blocks, [Block(start, end)])
        pos.total += end - start + 1
        self.touched.add(key)
        self._line(txn_id, key, kind, at_us, d_total=end - start + 1, serials=f"{start}-{end}")

    def move(
        self,
        txn_id: int,
        src: PositionKey,
        dst: PositionKey,
        quantity: int,
        kind: str,
        at_us: int,
        *,
        from_reserved: int = 0,
        ranges: list[tuple[int, int]] | None = None,
    ) -> list[tuple[int, int]]:
        """Move units (lowest serials first, or exactly ``ranges``); return the serial ranges moved.

        ``from_reserved`` of the quantity is taken out of the sender's reservation (a reserved
        transfer settling); the rest must be available.
        """
        if src == dst:
            raise LedgerError("source and destination are the same position")
        if quantity <= 0 or from_reserved < 0 or from_reserved > quantity:
            raise LedgerError("bad quantity")
        spos = self.position(src)
        if from_reserved > spos.reserved:
            raise LedgerError("reservation larger than reserved balance")
        if quantity - from_reserved > spos.available:
            raise LedgerError(f"available {spos.available} < {quantity - from_reserved}")
        if ranges is None:
            self._ensure_lowest(spos, quantity)
            moved = blk.take(spos.blocks, quantity)
        else:
            if sum(e - s + 1 for s, e in ranges) != quantity:
                raise LedgerError("ranges do not add up to the quantity")
            if spos.prefix_end is not None:
                self._ensure_lowest(spos, spos.total)  # reversals are rare: load the whole position
            moved = blk.take_ranges(spos.blocks, ranges)
        spos.total -= quantity
        spos.reserved -= from_reserved
        dpos = self.position(dst)
        moved_ranges = [(b.start, b.end) for b in moved]
        self._ensure_neighbours(dpos, moved)
        blk.put(dpos.blocks, moved)
        dpos.total += quantity
        self.touched.add(src)
        self.touched.add(dst)
        text = format_serials(moved_ranges)
        self._line(txn_id, src, kind, at_us, d_total=-quantity, d_reserved=-from_reserved, serials=text)
        self._line(txn_id, dst, kind, at_us, d_total=quantity, serials=text)
        return moved_ranges

    def reserve(self, txn_id: int, key: PositionKey, quantity: int, kind: str, at_us: int) -> None:
        pos = self.position(key)
        if quantity <= 0:
            raise LedgerError("bad quantity")
        if quantity > pos.available:
            raise LedgerError(f"available {pos.available} < {quantity}")
        pos.reserved += quantity
        self.touched.add(key)
        self._line(txn_id, key, kind, at_us, d_reserved=quantity)

    def release(self, txn_id: int, key: PositionKey, quantity: int, kind: str, at_us: int) -> None:
        pos = self.position(key)
        if quantity <= 0 or quantity > pos.reserved:
            raise LedgerError(f"cannot release {quantity}: reserved is {pos.reserved}")
        pos.reserved -= quantity
        self.touched.add(key)
        self._line(txn_id, key, kind, at_us, d_reserved=-quantity)

    # -- invariants and diff ---------------------------------------------------------------------
    def check_invariants(self) -> list[str]:
        problems: list[str] = []
        for key, pos in self.positions.items():
            if pos.total < 0 or pos.reserved < 0 or pos.reserved > pos.total:
                problems.append(f"{key}: total {pos.total}, reserved {pos.reserved}")
            if pos.prefix_end is None and blk.total(pos.blocks) != pos.total:
                problems.append(f"{key}: blocks hold {blk.total(pos.blocks)} but total is {pos.total}")
            for a, b in zip(pos.blocks, pos.blocks[1:]):
                if a.end >= b.start:
                    problems.append(f"{key}: blocks overlap or are unsorted at {a.start}-{a.end}")
        return problems

    def block_diff(self) -> tuple[list[tuple[PositionKey, int, PositionKey, int, int]],
                                  list[tuple[PositionKey, int, int]], list[tuple[PositionKey, int]]]:
        """Since loading: updates [(stored key, stored start, key, start, end)], inserts [(key, start,
        end)], deletes [(stored key, stored start)]."""
        updates: list[tuple[PositionKey, int, PositionKey, int, int]] = []
        inserts: list[tuple[PositionKey, int, int]] = []
        seen: set[tuple[int, int]] = set()
        for key in self.touched:
            uc = key.unit_class_id
            for b in self.positions[key].blocks:
                if b.id is None:
                    inserts.append((key, b.start, b.end))
                    continue
                seen.add((uc, b.id))
                stored = self.loaded_blocks[(uc, b.id)]
                if stored != (key, b.start, b.end):
                    updates.append((stored[0], b.id, key, b.start, b.end))
        deletes = [(key, s) for ident, (key, s, _) in self.loaded_blocks.items()
                   if key in self.touched and ident not in seen]
        return updates, inserts, deletes
