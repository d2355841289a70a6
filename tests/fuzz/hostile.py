"""What the fuzz harness throws, and what it checks of every answer (shared by its CLI, file and API
tests and by ``bench/trust_bench.py``, which prints the tally)."""

from __future__ import annotations

import json
import os
import re
import signal
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

BIG = 2**63
# numbers as a person or a file might write them: beyond the bigint, exponents that pin a core when
# converted (int(Decimal('1e999999999'))), not numbers at all, and the edges
NUMBERS = (str(BIG), str(BIG - 1), str(-BIG - 1), "-1", "0", "-0", "1", "10", "1e999999999", "-1e999999999",
           "1e-999999999", "1e308", "1e20", "NaN", "nan", "-NaN", "sNaN", "Infinity", "-Infinity", "inf", "1.5",
           "-5.5", "0.001", "1_000", "1,000", "0x10", " 7", "１２", "9" * 400, "2**63", "1e3")
DATES = ("9999-12-31T23:59:59-23:59", "9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+23:59", "2017-02-30",
         "2017-13-01", "2017-06-14T25:00", "2017-06-14", "2017-06-14T10:00", "2017-06-14T10:00:00+08:00",
         "20170614", "yesterday")
TEXT = ("", " ", "\x00", "a\x00b", "\x1b[31mred", "line\nbreak", "\r", "\t", "碳排放权交易", "\u202eevil",
        "\udcff", "x" * 100_000, "../../etc/passwd", "%s%n{0}", "'; DROP TABLE users; --", "null", "[]", "-",
        "emperor")
HOSTILE = NUMBERS + DATES + TEXT

# an answer's text must never show these: Python speaking instead of the program
RAW = ("Traceback", "invalid literal", "Invalid isoformat", "codec can't", "[Errno",
       "object has no attribute", "KeyError", "unsupported operand", "OverflowError", "ZeroDivisionError",
       "AssertionError", "InvalidOperation", "decimal.", "NoneType", "IndexError", "TypeError", "ValueError",
       "RecursionError", "MemoryError", "out of range for month", "list index", "positional argument",
       "<class '", "sqlalchemy", "psycopg", "sqlite3", "UnicodeDecodeError", "UnicodeEncodeError")

CLI_BOUND_S = 5.0  # one invocation (a hang took minutes); generous: the machine is shared
API_BOUND_S = 2.0  # one request

TALLY: Counter[str] = Counter()  # what this process tried: for the bench's figures
SCALE = float(os.environ.get("OPENETS_FUZZ_SCALE", "1"))  # the bench's --quick runs fewer examples
DEEP = os.environ.get("OPENETS_FUZZ", "").strip().lower() == "deep"  # OPENETS_FUZZ=deep: 5× the suite's sample


def examples(n: int) -> int:
    """Examples per hypothesis run: ``n`` in the suite (5 × ``n`` with OPENETS_FUZZ=deep), scaled by
    $OPENETS_FUZZ_SCALE for the bench."""
    return max(1, round(n * SCALE * (5 if DEEP else 1)))


_COMMAND: list[Any] = []  # the click command of ``openets``, built once


def command() -> Any:
    """The click command of the whole CLI, built from the Typer app once per process: typer's
    ``CliRunner.invoke`` rebuilds it on every call (~0.2 s for ~90 commands, most of a fuzz input's time)."""
    if not _COMMAND:
        from typer.main import get_command

        from openets.cli.app import app

        _COMMAND.append(get_command(app))
    return _COMMAND[0]


def invoke(args: list[str]) -> Any:
    """Run ``openets ARGS`` in this process (typer's CliRunner: stdout and stderr apart) on the command
    built once; the result has ``exit_code``, ``stdout``, ``stderr`` and ``exception``."""
    from typer.testing import CliRunner

    from openets.cli.app import app

    # typer.testing looks the command up through its module-level ``_get_command``: hand it the one
    # built (mock.patch fails loudly if a typer release renames it)
    with mock.patch("typer.testing._get_command", lambda _app: command()):
        return CliRunner().invoke(app, args)


_ENUM = re.compile(r"is not a valid [A-Z]\w+")  # Python's "'emperor' is not a valid PartyKind" (not "… a valid date")


def raw_in(text: str) -> str | None:
    found = _ENUM.search(text)
    return found.group(0) if found else next((r for r in RAW if r in text), None)


class Hang(Exception):
    pass


@contextmanager
def bounded(seconds: float) -> Iterator[None]:
    """Interrupt a call that runs far past its bound (a hang fails the test instead of stalling CI)."""

    def stop(signum: int, frame: object) -> None:
        raise Hang(f"still running after {seconds * 4:.0f} s")

    old = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds * 4)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@contextmanager
def timed() -> Iterator[list[float]]:
    out: list[float] = []
    t0 = time.perf_counter()
    try:
        yield out
    finally:
        out.append(time.perf_counter() - t0)


def write_tally() -> None:
    """The bench runs the harness with $OPENETS_FUZZ_TALLY naming a file: each test module adds its counts."""
    target = os.environ.get("OPENETS_FUZZ_TALLY")
    if not target or not TALLY:
        return
    path = Path(target)
    old = Counter(json.loads(path.read_text())) if path.exists() else Counter()
    path.write_text(json.dumps(dict(old + TALLY)))
    TALLY.clear()
