"""The port the year runner reports progress through (kept light: the CLI imports it at start-up)."""

from __future__ import annotations

from collections.abc import Callable


class Progress:
    """The port the runner reports progress through; the CLI draws bars with rich."""

    def stage(self, name: str, total: int) -> Callable[[int], None]:
        return lambda n: None
