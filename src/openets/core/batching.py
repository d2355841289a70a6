"""Splitting long parameter lists: SQLite binds at most 32,766 parameters a statement, PostgreSQL 65,535."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def chunks(values: Sequence[T], size: int = 2000) -> list[Sequence[T]]:
    return [values[i:i + size] for i in range(0, len(values), size)]
