"""Text and choices typed or sent by people: names, ids and instruments without control characters,
and enum values with the list of what is allowed (never Python's "'x' is not a valid Kind")."""

from __future__ import annotations

import enum
import re
from typing import TypeVar

from openets.core.errors import BadInput

E = TypeVar("E", bound=enum.Enum)
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"  # a code, id or name: no NUL or other control character (API schemas' pattern)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # NUL and friends; tab and newlines are left to callers


def check_text(value: str, what: str = "text", *, max_length: int = 200) -> str:
    """``value`` unchanged, or BadInput ``text_invalid``: a NUL or other control character, or too long."""
    if _CONTROL.search(value):
        raise BadInput("text_invalid", f"{what}: contains a NUL or control character")
    if len(value) > max_length:
        raise BadInput("text_invalid", f"{what}: longer than {max_length} characters")
    return value


def parse_choice(kind: type[E], value: object, what: str | None = None) -> E:
    """The member of ``kind`` whose value is ``value``; BadInput ``choice_invalid`` naming the choices."""
    if isinstance(value, kind):
        return value
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(str(m.value) for m in kind)
        shown = str(value)[:40]
        raise BadInput("choice_invalid", f"{what or kind.__name__}: {shown!r} is not one of {allowed}") from None
