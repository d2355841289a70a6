"""How a command's result is printed: a table for people, JSON or CSV for programs.

The result is first made plain (``to_jsonable``: dataclasses, enums and dates to dicts, values and
ISO text). A table then shows nested values as what they are: a list of records as a sub-table, a
serial range as ``52079467–52079468``, an empty list as ``none`` — never a Python repr. Headers are
the keys with ``_`` as spaces, so a narrow terminal wraps them between words. A single record is
shown as field / value, with its lists of records as tables of their own below it. CSV writes the
rows (a record: one row) and each list of records after it as a block of its own (a blank line,
``# name``, its header and rows)."""

from __future__ import annotations

import csv
import dataclasses
import enum
import io
import json
import re
import sys
from collections.abc import Iterable
from contextvars import ContextVar
from datetime import date, datetime
from typing import Any

from rich import box
from rich.cells import cell_len
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

console = Console()
RANGE_DASH = "–"  # en dash, as in 52079467–52079468
NONE = "none"
_JOURNAL_RANGES = re.compile(r"\d+-\d+( \d+-\d+)*")  # ledger.journal.format_serials: "1-5 9-12"

# set by the --csv option's callback on every command that has it (``common.CsvOpt``)
csv_requested: ContextVar[bool] = ContextVar("csv_requested", default=False)


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


def header(key: str) -> str:
    """``clearing_price_fen`` → ``clearing price fen``: words a narrow column can wrap between."""
    return key.replace("_", " ")


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _is_range(x: Any) -> bool:
    return isinstance(x, list) and len(x) == 2 and _is_int(x[0]) and _is_int(x[1])


def _is_records(x: Any) -> bool:
    return isinstance(x, list) and bool(x) and all(isinstance(r, dict) for r in x)


def text_of(value: Any, key: str = "") -> str:
    """One value as plain text: ranges with a dash, lists joined, nothing as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if key == "serials" and _is_range(value):  # one range given flat: [first, last]
        return f"{value[0]}{RANGE_DASH}{value[1]}"
    if key == "serials" and isinstance(value, str) and _JOURNAL_RANGES.fullmatch(value):  # a journal line's text
        return ", ".join(part.replace("-", RANGE_DASH) for part in value.split())
    if isinstance(value, list):
        if not value:
            return NONE
        if all(_is_range(v) for v in value):
            return ", ".join(f"{a}{RANGE_DASH}{b}" for a, b in value)
        return ", ".join(text_of(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{header(k)} {text_of(v, k)}" for k, v in value.items())
    return str(value)


def _cell(value: Any, key: str) -> RenderableType:
    if _is_records(value):
        return records_table(value, None, nested=True)
    if isinstance(value, dict) and value:
        return record_table(value, None, nested=True)
    return Text(text_of(value, key))  # Text, not a str: a value's own [brackets] are not rich markup


def records_table(rows: list[dict[str, Any]], title: str | None, *, columns: Iterable[str] | None = None,
                  nested: bool = False) -> Table:
    cols = list(columns) if columns is not None else list(dict.fromkeys(k for r in rows for k in r))
    table = Table(title=title, box=box.SIMPLE if nested else box.HEAVY_HEAD, show_edge=not nested,
                  pad_edge=not nested)
    for c in cols:
        table.add_column(header(c), overflow="fold")
    for r in rows:
        table.add_row(*(_cell(r.get(c), c) for c in cols))
    return table


def record_table(record: dict[str, Any], title: str | None, *, nested: bool = False) -> Table:
    table = Table(title=title, box=box.SIMPLE if nested else box.HEAVY_HEAD, show_header=not nested,
                  show_edge=not nested, pad_edge=not nested)
    table.add_column("field", style="bold", no_wrap=not nested)
    table.add_column("value", overflow="fold")
    for k, v in record.items():
        table.add_row(Text(header(k)), _cell(v, k))
    return table


def print_table(data: Any, *, title: str | None = None, columns: Iterable[str] | None = None) -> None:
    if isinstance(data, dict):
        flat = {k: v for k, v in data.items() if not _is_records(v)}
        console.print(record_table(flat, title))
        for k, v in data.items():  # lists of records: each a table of its own, under the record
            if _is_records(v):
                console.print(records_table(v, f"{title}: {header(k)}" if title else header(k)))
        return
    rows = data if isinstance(data, list) else [data]
    if not rows:
        console.print(Text(f"{title}: nothing to show" if title else "nothing to show", style="dim"))
        return
    if not all(isinstance(r, dict) for r in rows):
        rows = [{"value": r} for r in rows]
    cols = list(columns) if columns is not None else list(dict.fromkeys(k for r in rows for k in r))
    if _narrowest(rows, cols) > console.width:  # columns would split words: one record after another (psql's \x)
        for i, r in enumerate(rows, 1):
            console.print(record_table({c: r.get(c) for c in cols}, f"{title or ''} {i}/{len(rows)}".strip()))
        return
    console.print(records_table(rows, title, columns=cols))


def _narrowest(rows: list[dict[str, Any]], cols: list[str]) -> int:
    """The table's width with every column as narrow as its longest word (3 = padding and border)."""
    def word(text: str) -> int:
        return max((cell_len(w) for w in text.split()), default=0)

    return 1 + sum(3 + max([word(header(c))] + [word(text_of(r.get(c), c)) for r in rows]) for c in cols)


def write_csv(data: Any, *, columns: Iterable[str] | None = None, out: Any = None) -> None:
    out = out or sys.stdout
    blocks: list[tuple[str | None, list[dict[str, Any]], list[str] | None]] = []
    if isinstance(data, dict):
        blocks.append((None, [{k: v for k, v in data.items() if not _is_records(v)}], None))
        blocks += [(k, v, None) for k, v in data.items() if _is_records(v)]
    else:
        rows = data if isinstance(data, list) else [data]
        rows = [r if isinstance(r, dict) else {"value": r} for r in rows]
        blocks.append((None, rows, list(columns) if columns is not None else None))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    for i, (name, rows, cols) in enumerate(blocks):
        if i:
            buf.write(f"\n# {name}\n")
        cols = cols or list(dict.fromkeys(k for r in rows for k in r))
        writer.writerow(cols)
        for r in rows:
            writer.writerow([_csv_cell(r.get(c), c) for c in cols])
    out.write(buf.getvalue())


def _csv_cell(value: Any, key: str) -> str:
    if _is_records(value) or (isinstance(value, dict) and value):  # nested deeper than a block: JSON text
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        if not value:
            return ""
        if key == "serials" and _is_range(value):
            return f"{value[0]}{RANGE_DASH}{value[1]}"
        if all(_is_range(v) for v in value):
            return ";".join(f"{a}{RANGE_DASH}{b}" for a, b in value)
        return ";".join(_csv_cell(v, "") for v in value)
    return text_of(value, key)
