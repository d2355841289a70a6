"""Serial blocks: inclusive ranges of unit serial numbers within one unit class.

Rules (same on every database, because they live here):
- a holder's blocks are kept sorted by ``start`` and never overlap;
- an outgoing movement takes whole blocks in ascending serial order; the block that is only partly
  needed is split, the sender keeps its first (lower) part and the upper part moves;
- incoming ranges merge with adjacent blocks of the receiver.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from operator import attrgetter


@dataclass(slots=True)
class Block:
    """A block in a position. ``id`` names its stored row (the start it was stored with), ``None`` until
    stored."""

    start: int
    end: int
    id: int | None = None

    @property
    def size(self) -> int:
        return self.end - self.start + 1


_start = attrgetter("start")  # bisect keys: attrgetter runs in C, a Python function per probe would not
_end = attrgetter("end")


def total(blocks: list[Block]) -> int:
    return sum(b.end - b.start + 1 for b in blocks)


def take(blocks: list[Block], quantity: int) -> list[Block]:
    """Remove ``quantity`` units from ``blocks`` (sorted, mutated in place); return the moved blocks.

    Whole blocks that move keep their id (the row moves with them); a split leaves the sender's
    row in place shortened to the first part and returns the upper part as a new block.
    """
    if quantity <= 0:
        raise ValueError("quantity must be positive")
    moved: list[Block] = []
    remaining = quantity
    i = 0
    while remaining > 0:
        if i >= len(blocks):
            raise ValueError("not enough units in blocks")
        block = blocks[i]
        if block.size <= remaining:
            moved.append(block)
            remaining -= block.size
            i += 1
        else:
            keep_end = block.end - remaining
            moved.append(Block(keep_end + 1, block.end))
            block.end = keep_end
            remaining = 0
    del blocks[:i]
    return moved


def take_ranges(blocks: list[Block], ranges: list[tuple[int, int]]) -> list[Block]:
    """Remove exactly these serial ranges (for reversals, which return the same serials)."""
    for start, end in ranges:  # all present, or nothing changes
        idx = bisect_left(blocks, start, key=_end)
        if idx >= len(blocks) or blocks[idx].start > start or blocks[idx].end < end:
            raise ValueError(f"serials {start}-{end} are not held here")
    moved: list[Block] = []
    for start, end in ranges:
        idx = bisect_left(blocks, start, key=_end)
        if idx >= len(blocks) or blocks[idx].start > start or blocks[idx].end < end:
            raise ValueError(f"serials {start}-{end} are not held here")
        block = blocks[idx]
        pieces: list[Block] = []
        if block.start < start:
            pieces.append(Block(block.start, start - 1, block.id))
        if end < block.end:
            pieces.append(Block(end + 1, block.end, None if pieces else block.id))
        moved_id = None if pieces else block.id
        moved.append(Block(start, end, moved_id))
        blocks[idx : idx + 1] = pieces
    return moved


def put(blocks: list[Block], incoming: list[Block]) -> None:
    """Add ``incoming`` blocks to ``blocks`` (sorted, mutated in place), merging adjacent ones.

    When a merge happens the surviving block is the lower one (it keeps its id); the absorbed
    block's row disappears.
    """
    for new in incoming:
        idx = bisect_left(blocks, new.start, key=_start)
        if idx > 0 and blocks[idx - 1].end >= new.start:
            raise ValueError("overlapping serial blocks")
        if idx < len(blocks) and blocks[idx].start <= new.end:
            raise ValueError("overlapping serial blocks")
        left = blocks[idx - 1] if idx > 0 and blocks[idx - 1].end + 1 == new.start else None
        right = blocks[idx] if idx < len(blocks) and blocks[idx].start == new.end + 1 else None
        if left and right:
            left.end = right.end
            del blocks[idx]
        elif left:
            left.end = new.end
        elif right:
            # the incoming block is lower: it survives, taking over the right block's row if it has none
            if new.id is None:
                new.id = right.id
            new.end = right.end
            blocks[idx] = new
        else:
            blocks.insert(idx, new)
