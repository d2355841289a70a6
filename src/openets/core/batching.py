"""Working in batches: splitting long parameter lists (SQLite binds at most 32,766 parameters a statement,
PostgreSQL 65,535), and pausing the garbage collector while a batch allocates."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")


def chunks(values: Sequence[T], size: int = 2000) -> list[Sequence[T]]:
    return [values[i:i + size] for i in range(0, len(values), size)]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a bounded burst of allocation (a registry batch
    builds tens of thousands of short-lived, acyclic objects: blocks, journal lines, rows, which
    reference counting frees). Otherwise each collection rescans every object the batch still holds:
    measured at 15-25 % of a 1,000-transfer batch. A nested pause leaves the collector as the outer
    one found it; across threads, the first pause to end turns it back on."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
