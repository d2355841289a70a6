"""What every command shares: the database, the acting user, output as tables or JSON, and
turning any refusal into one clear line on stderr with a non-zero exit."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from contextvars import ContextVar
from typing import Any

import typer

try:  # typer ≥ 0.25 carries its own copy of click
    from typer._click.exceptions import UsageError
except ImportError:  # pragma: no cover - older typer on top of click
    from click.exceptions import UsageError  # type: ignore[assignment]  # older typer raises click's own classes
from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from openets.cli.output import console, csv_requested, print_table, to_jsonable, write_csv
from openets.cli.session import Failure, acting, audited
from openets.core.errors import DomainError
from openets.core.settings import setting
from openets.core.text import not_utf8, one_line, shown, storable

__all__ = ["Failure", "acting", "console", "to_jsonable"]
err_console = Console(stderr=True)

def _one_format(ctx: typer.Context, other: str, value: bool) -> None:
    """``--json`` and ``--csv`` together are refused while the line is parsed (a usage error: one line,
    exit 2), before anything runs; click processes the options in the order given, so the second one
    sees the first."""
    if value and ctx.params.get(other):
        raise UsageError("--json and --csv: choose one", ctx)


def _want_json(ctx: typer.Context, value: bool) -> bool:
    _one_format(ctx, "as_csv", value)
    return value


JsonOpt = typer.Option(False, "--json", help="Print the result as JSON.", callback=_want_json)


def _want_csv(ctx: typer.Context, value: bool) -> bool:
    _one_format(ctx, "as_json", value)
    csv_requested.set(bool(value))  # emit reads it: the commands need not pass it on
    return value


CsvOpt = typer.Option(False, "--csv", help="Print the result as CSV.", callback=_want_csv)
AsOpt = typer.Option(None, "--as", help="Acting user without a login: local administration mode only "
                                        "(OPENETS_LOCAL_ADMIN=1, audited as such); default $OPENETS_USER.")
PartyOpt = typer.Option(None, "--party", help="Party the user acts for, when they represent several.")
DbOpt = typer.Option(None, "--db", help="Database URL; default $OPENETS_DATABASE_URL or sqlite:///openets.db.")




# the engines a command made (``run`` sets the list): disposed when the command ends
_COMMAND_ENGINES: ContextVar[list[Engine] | None] = ContextVar("command_engines", default=None)


def engine(url: str | None) -> Engine:
    """The command's engine, disposed when ``run`` ends the command: its pooled connections closed then,
    not whenever the garbage collector finds the engine (a process running many commands — the tests, a
    script on the CLI's app — held up to a pool's worth of server connections per command until then,
    and PostgreSQL refuses clients beyond max_connections)."""
    from openets.services.database import make_engine

    eng = make_engine(url)
    made = _COMMAND_ENGINES.get()
    if made is not None:
        made.append(eng)
    return eng


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


def _shown_all(data: Any) -> Any:
    """Every text of an answer printable (``core.text.shown``: a path given in bytes that were not UTF-8
    is printed with its escapes, not an encoding error half-way through the answer)."""
    if isinstance(data, str):
        return shown(data)
    if isinstance(data, dict):
        return {shown(str(k)): _shown_all(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_shown_all(v) for v in data]
    return data


def emit(value: Any, as_json: bool, *, title: str | None = None, columns: Iterable[str] | None = None) -> None:
    """A command's result: JSON with --json, CSV with --csv, else a table (``cli/output.py``)."""
    data = _shown_all(to_jsonable(value))
    if as_json and csv_requested.get():
        raise Failure("--json and --csv: choose one")
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=1) + "\n")
    elif csv_requested.get():
        write_csv(data, columns=columns)
    else:
        print_table(data, title=title, columns=columns)


def _arguments_storable() -> None:
    """Every text argument of the command being run can be stored and shown: bytes of the command line
    that were not UTF-8 (Python's surrogateescape) or a NUL are refused here, before the audit row or any
    service sees them (paths are kept as given: they are the file system's names, not stored text)."""
    try:  # typer ≥ 0.25 carries its own copy of click (as cli/app.py notes)
        from typer._click.globals import get_current_context
    except ImportError:  # pragma: no cover - older typer on top of click
        from click import get_current_context  # type: ignore[no-redef,assignment,unused-ignore]
    ctx = get_current_context(silent=True)
    if ctx is None:
        return
    for param in ctx.command.params:
        value = ctx.params.get(param.name or "")
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(item, str) and (not_utf8(item) is not None or "\x00" in item):
                opts = getattr(param, "opts", None)
                name = opts[0] if param.param_type_name == "option" and opts else (param.name or "argument").upper()
                try:
                    storable(item, name)
                except DomainError as exc:
                    raise Failure(exc.message, 2) from None


def _say(message: str) -> None:
    err_console.print(f"error: {one_line(message)}", highlight=False, soft_wrap=True, markup=False)


def run(fn, *args, **kwargs):
    """Call ``fn``; map every expected failure to one stderr line and an exit code."""
    made: list[Engine] = []
    token = _COMMAND_ENGINES.set(made)
    try:
        _arguments_storable()
        with audited():  # the command's audit row, in its first write transaction
            return fn(*args, **kwargs)
    except Failure as exc:
        _say(str(exc))
        raise typer.Exit(exc.code) from None
    except DomainError as exc:
        _say(f"{exc.message} [{exc.code}]")
        raise typer.Exit(1) from None
    except SQLAlchemyError as exc:
        text = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        if "no such table" in text or "does not exist" in text:
            text = "the database is not initialised, or its schema is older than this version: run `openets registry init`"
        _say(f"database: {text}")
        raise typer.Exit(1) from None
    except OverflowError:  # a number typer let through that SQLite cannot bind (2**63 and beyond)
        _say("a number given is beyond the range kept (at most 9223372036854775807)")
        raise typer.Exit(1) from None
    except ArithmeticError:  # the last guard: a number too large to compute with (decimal.Overflow …)
        _say("a number given is too large to compute with")
        raise typer.Exit(1) from None
    except (ValueError, OSError) as exc:
        _say(_plain(exc))
        raise typer.Exit(1) from None
    finally:
        _COMMAND_ENGINES.reset(token)
        for eng in made:
            eng.dispose()


def _plain(exc: Exception) -> str:
    """A sentence for an OS or decoding error, not Python's "[Errno 2] …" or "'utf-8' codec can't decode"."""
    if isinstance(exc, UnicodeDecodeError):
        return f"not {exc.encoding} text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}); save it as UTF-8"
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.filename}: {exc.strerror.lower()}" if exc.filename else exc.strerror.lower()
    return str(exc)
