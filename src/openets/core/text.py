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


# Python hands bytes of the command line that are not UTF-8 over as lone surrogates (PEP 383's
# surrogateescape: b"\xff" becomes "\udcff"); they cannot be stored (the drivers refuse to encode them)
# nor printed on a strict stream
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def not_utf8(value: str) -> str | None:
    """A description of the first byte of ``value`` that was not UTF-8 (``"byte 0xff at position 3"``),
    or None when ``value`` is proper text."""
    found = _SURROGATE.search(value)
    if found is None:
        return None
    code = ord(found.group(0))
    byte = f"byte 0x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"code point U+{code:04X}"
    return f"{byte} at position {found.start()}"


def storable(value: str, what: str = "text") -> str:
    """``value`` unchanged when it can be stored as text, or BadInput ``text_invalid``: bytes that were not
    UTF-8 (lone surrogates) or a NUL, which no database column keeps as given."""
    bad = not_utf8(value)
    if bad is not None:
        raise BadInput("text_invalid", f"{what}: not UTF-8 text ({bad})")
    if "\x00" in value:
        raise BadInput("text_invalid", f"{what}: contains a NUL character")
    return value


def shown(value: str) -> str:
    """``value`` safe to print on any stream: each byte that was not UTF-8 as ``\\xff``, other lone
    surrogates as ``\\udXXX`` (never an encoding error while an answer is printed)."""
    if _SURROGATE.search(value) is None:
        return value
    return _SURROGATE.sub(lambda m: (f"\\x{ord(m.group(0)) - 0xDC00:02x}" if 0xDC80 <= ord(m.group(0)) <= 0xDCFF
                                     else f"\\u{ord(m.group(0)):04x}"), value)


def one_line(value: str, *, max_length: int = 4000) -> str:
    """``value`` as one printable line: shown (``shown``), line breaks and other control characters as
    escapes (``\\n``, ``\\x00``), cut at ``max_length`` characters with an ellipsis."""
    text = shown(value)
    text = re.sub(r"[\x00-\x1f\x7f]", lambda m: {"\n": "\\n", "\r": "\\r", "\t": " "}.get(
        m.group(0), f"\\x{ord(m.group(0)):02x}"), text)
    return text if len(text) <= max_length else text[:max_length - 1] + "…"
