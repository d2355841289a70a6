"""What every command shares: the database, the acting user, output as tables or JSON, and
turning any refusal into one clear line on stderr with a non-zero exit."""

from __future__ import annotations

import dataclasses
import enum
import json
import os
import sys
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from openets.cli.session import Failure, acting, audited
from openets.core.errors import DomainError

__all__ = ["Failure", "acting"]

console = Console()
err_console = Console(stderr=True)

JsonOpt = typer.Option(False, "--json", help="Print the result as JSON.")
AsOpt = typer.Option(None, "--as", help="Acting user without a login: local administration mode only "
                                        "(OPENETS_LOCAL_ADMIN=1, audited as such); default $OPENETS_USER.")
PartyOpt = typer.Option(None, "--party", help="Party the user acts for, when they represent several.")
DbOpt = typer.Option(None, "--db", help="Database URL; default $OPENETS_DATABASE_URL or sqlite:///openets.db.")




def engine(url: str | None) -> Engine:
    from openets.services.database import make_engine

    return make_engine(url)


def clock():
    """The system clock, or the instant in $OPENETS_NOW (replays, demos, tests: trading sessions and
    deadlines are judged at that time)."""
    from openets.core.clock import FixedClock, SystemClock, parse_instant

    at = os.environ.get("OPENETS_NOW")
    if not at:
        return SystemClock()
    try:
        return FixedClock(parse_instant(at, "OPENETS_NOW"))
    except ValueError:
        raise Failure(f"OPENETS_NOW={at!r} is not an ISO time") from None


def to_jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
        for prop in ("available",):
            if hasattr(value, prop) and prop not in out:
                out[prop] = getattr(value, prop)
        return out
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in value]
    return value


def emit(value: Any, as_json: bool, *, title: str | None = None, columns: Iterable[str] | None = None) -> None:
    data = to_jsonable(value)
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=1) + "\n")
        return
    rows = data if isinstance(data, list) else [data]
    if not rows:
        console.print(f"[dim]{title or ''}: nothing to show[/dim]" if title else "[dim]nothing to show[/dim]")
        return
    cols = list(columns or rows[0].keys())
    table = Table(title=title, show_lines=False)
    for c in cols:
        table.add_column(c, overflow="fold")
    for r in rows:
        table.add_row(*("" if r.get(c) is None else str(r.get(c)) for c in cols))
    console.print(table)


def run(fn, *args, **kwargs):
    """Call ``fn``; map every expected failure to one stderr line and an exit code."""
    try:
        with audited():  # the command's audit row, in its first write transaction
            return fn(*args, **kwargs)
    except Failure as exc:
        err_console.print(f"error: {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(exc.code) from None
    except DomainError as exc:
        err_console.print(f"error: {exc.message} [{exc.code}]", highlight=False, soft_wrap=True, markup=False)
        raise typer.Exit(1) from None
    except SQLAlchemyError as exc:
        text = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        if "no such table" in text or "does not exist" in text:
            text = "the database is not initialised, or its schema is older than this version: run `openets registry init`"
        err_console.print(f"error: database: {text}", highlight=False, soft_wrap=True, markup=False)
        raise typer.Exit(1) from None
    except OverflowError:  # a number typer let through that SQLite cannot bind (2**63 and beyond)
        err_console.print("error: a number given is beyond the range kept (at most 9223372036854775807)",
                          highlight=False, soft_wrap=True, markup=False)
        raise typer.Exit(1) from None
    except ArithmeticError:  # the last guard: a number too large to compute with (decimal.Overflow …)
        err_console.print("error: a number given is too large to compute with", highlight=False, soft_wrap=True,
                          markup=False)
        raise typer.Exit(1) from None
    except (ValueError, OSError) as exc:
        err_console.print(f"error: {_plain(exc)}", highlight=False, soft_wrap=True, markup=False)
        raise typer.Exit(1) from None


def _plain(exc: Exception) -> str:
    """A sentence for an OS or decoding error, not Python's "[Errno 2] …" or "'utf-8' codec can't decode"."""
    if isinstance(exc, UnicodeDecodeError):
        return f"not {exc.encoding} text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}); save it as UTF-8"
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.filename}: {exc.strerror.lower()}" if exc.filename else exc.strerror.lower()
    return str(exc)
