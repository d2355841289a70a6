"""core/text.py: text from people (and from a command line whose bytes were not UTF-8) checked before it
is stored and escaped before it is shown."""

from __future__ import annotations

import pytest

from openets.core.errors import BadInput
from openets.core.text import not_utf8, one_line, shown, storable


def test_bytes_that_were_not_utf8_are_named_and_refused() -> None:
    # b"a\xff" decoded with surrogateescape (how Python hands over argv on Linux) is "a\udcff"
    arg = b"a\xff".decode("utf-8", "surrogateescape")
    assert arg == "a\udcff"
    assert not_utf8(arg) == "byte 0xff at position 1"
    with pytest.raises(BadInput, match=r"--name: not UTF-8 text \(byte 0xff at position 1\)"):
        storable(arg, "--name")
    with pytest.raises(BadInput, match="NUL"):
        storable("a\x00b", "--name")
    assert storable("碳排放权交易", "--name") == "碳排放权交易"
    assert not_utf8("ok") is None


def test_shown_never_fails_to_encode() -> None:
    arg = b"b\xff.db".decode("utf-8", "surrogateescape")
    assert shown(arg) == "b\\xff.db"
    shown(arg).encode("utf-8")  # strict: no surrogate left
    assert shown("\ud800x") == "\\ud800x"  # a lone high surrogate (not from a byte) as its code point
    assert shown("碳") == "碳"


def test_one_line() -> None:
    assert one_line("a\nb\r\tc\x00\x1b[31m") == "a\\nb\\r c\\x00\\x1b[31m"
    assert one_line(b"\xfe".decode("utf-8", "surrogateescape")) == "\\xfe"
    cut = one_line("x" * 50, max_length=10)
    assert cut == "x" * 9 + "…" and len(cut) == 10
