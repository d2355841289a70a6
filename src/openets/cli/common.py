"""What every command shares: the database, the acting user, output as tables or JSON, and
turning any refusal into one clear line on stderr with a non-zero exit."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import Any

import typer
from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from openets.cli.output import console, csv_requested, print_table, to_jsonable, write_csv
from openets.cli.session import Failure, acting, audited
from openets.core.errors import DomainError
from openets.core.settings import setting

__all__ = ["Failure", "acting", "console", "to_jsonable"]
err_console = Console(stderr=True)

JsonOpt = typer.Option(False, "--json", help="Print the result as JSON.")


def _want_csv(value: bool) -> bool:
    csv_requested.set(bool(value))  # emit reads it: the commands need not pass it on
    return value


CsvOpt = typer.Option(False, "--csv", help="Print the result as CSV.", callback=_want_csv)
AsOpt = typer.Option(None, "--as", help="Acting user without a login: local administration mode only "
                                        "(OPENETS_LOCAL_ADMIN=1, audited as such); default $OPENETS_USER.")
PartyOpt = typer.Option(None, "--party", help="Party the user acts for, when they represent several.")
DbOpt = typer.Option(None, "--db", help="Database URL; default $OPENETS_DATABASE_URL or sqlite:///openets.db.")




def engine(url: str | None) -> Engine:
    from openets.services.database import make_engine

    return make_engine(url)


def refuse_live_registry(url: str | None, what: str) -> None:
    """Refuse (one line) to run ``what`` — which writes as nobody, the system set-up — on a live registry
    (``services.administration.live_registry``); a SQLite file not there yet is new."""
    from pathlib import Path

    from openets.services.administration import live_registry
    from openets.services.database import database_url, make_engine

    full = database_url(url)
    if full.startswith("sqlite"):
        path = full.split("///", 1)[-1]
        if not path or path == ":memory:" or not Path(path).exists():
            return
    eng = make_engine(full)
    try:
        why = live_registry(eng)
    finally:
        eng.dispose()
    if why is not None:
        shown = eng.url.render_as_string(hide_password=True)
        raise Failure(f"{shown} is a live registry ({why}): {what} writes as nobody, so it runs only on a "
                      "database of its own; give --db a new one")


def clock():
    """The system clock, or the instant in $OPENETS_NOW (replays, demos, tests: trading sessions and
    deadlines are judged at that time)."""
    from openets.core.clock import FixedClock, SystemClock, parse_instant

    at = setting("now")
    if not at:
        return SystemClock()
    try:
        return FixedClock(parse_instant(at, "OPENETS_NOW"))
    except ValueError:
        raise Failure(f"OPENETS_NOW={at!r} is not an ISO time") from None


def emit(value: Any, as_json: bool, *, title: str | None = None, columns: Iterable[str] | None = None) -> None:
    """A command's result: JSON with --json, CSV with --csv, else a table (``cli/output.py``)."""
    data = to_jsonable(value)
    if as_json and csv_requested.get():
        raise Failure("--json and --csv: choose one")
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=1) + "\n")
    elif csv_requested.get():
        write_csv(data, columns=columns)
    else:
        print_table(data, title=title, columns=columns)


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
