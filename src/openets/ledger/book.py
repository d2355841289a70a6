"""An in-memory working set of positions and their blocks, producing hash-chained journal lines.

The book knows nothing of accounts' rules: it refuses only what would break the ledger itself
(negative or over-reserved balances, overlapping serials). The registry checks business rules first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple, Protocol, runtime_checkable

from openets.ledger import blocks as blk
from openets.ledger.blocks import Block
from openets.ledger.journal import GENESIS, JournalLine, format_serials, line_digest, parse_serials


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


@runtime_checkable
class ArrivalSource(Protocol):
    """Where the book asks when serials came into a position (storage implements it, from the journal)."""

    def arrived(self, key: PositionKey, ranges: list[tuple[int, int]], after_us: int) -> int | None:
        """The latest moment after ``after_us`` at which any of ``ranges`` came into the position, or None."""
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
    last_in_us: int | None = None  # when units last came into it (µs; None: never), kept by every line adding to it

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
                      *, complete: bool = True, last_in_us: int | None = None) -> None:
        """``rows``: the stored (start, end) blocks. ``complete=False``: ``rows`` is empty and blocks are
        fetched from the source when needed."""
        rows = sorted(rows)
        pos = Position(key, total, reserved, [Block(s, e, s) for s, e in rows], True, None if complete else 0,
                       last_in_us)
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
        if d_total > 0:
            pos = self.positions[key]
            pos.last_in_us = at_us if pos.last_in_us is None else max(pos.last_in_us, at_us)

    def lowest_ranges(self, key: PositionKey, quantity: int) -> list[tuple[int, int]]:
        """The serial ranges a movement of ``quantity`` out of the position would take, as :meth:`move`
        takes them (``blocks.take``: whole blocks lowest first, then the upper part of the next one),
        without moving anything; fewer when it holds fewer."""
        pos = self.position(key)
        self._ensure_lowest(pos, quantity)
        out: list[tuple[int, int]] = []
        for b in pos.blocks:
            if quantity <= 0:
                break
            size = b.end - b.start + 1
            out.append((b.start, b.end) if size <= quantity else (b.end - quantity + 1, b.end))
            quantity -= min(size, quantity)
        return out

    def arrived_after(self, key: PositionKey, quantity: int, now_us: int) -> int | None:
        """When the units a movement of ``quantity`` out of the position at ``now_us`` would take arrived,
        if after ``now_us`` (else None): the registry's time runs forward for each unit. Fast path: the
        position's ``last_in_us`` is not after ``now_us``. Otherwise, block by block: the serials it would
        take (:meth:`lowest_ranges`), against this unit of work's lines and the source's journal; without
        an arrival source, the position's latest arrival (the safe answer)."""
        pos = self.position(key)
        if pos.last_in_us is None or pos.last_in_us <= now_us:
            return None
        ranges = self.lowest_ranges(key, quantity)
        latest: int | None = None
        for ln in self.lines:
            if (ln.d_total > 0 and ln.at_us > now_us and (ln.account_id, ln.unit_class_id, ln.restriction_id) == key
                    and any(s <= e2 and s2 <= e for s, e in parse_serials(ln.serials) for s2, e2 in ranges)):
                latest = ln.at_us if latest is None else max(latest, ln.at_us)
        if not isinstance(self.source, ArrivalSource):
            return pos.last_in_us
        stored = self.source.arrived(key, ranges, now_us)
        return max((x for x in (latest, stored) if x is not None), default=None)

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
