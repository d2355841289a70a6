"""Reading tables from CSV or Excel for bulk input: every row checked against a schema, header
names in English or Chinese, one clear message naming the file, sheet, row and column; and a TOML
file's table given by a user (``read_toml_table``)."""

from __future__ import annotations

import csv
import io
import tomllib
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from openets.core.errors import DomainError
from openets.core.numbers import parse_decimal
from openets.core.text import check_text

T = TypeVar("T")
SHOWN = 50  # bad rows named in one message; the rest counted


@dataclass(frozen=True, slots=True)
class Schema:
    columns: tuple[str, ...]
    required: tuple[str, ...]
    aliases: dict[str, str] = field(default_factory=dict)  # other header → column (e.g. 企业编号 → company)


@dataclass(frozen=True, slots=True)
class Row:
    where: str  # "file:sheet row N"
    values: dict[str, str]
    headers: dict[str, str] = field(default_factory=dict)  # column → its header as the file wrote it

    def number(self, col: str, default: str | None = None, *, negative: bool = True) -> Decimal:
        """A cell as a Decimal (thousands separators allowed); a clear error naming row and column."""
        text = self.values.get(col) or (default if default is not None else "")
        try:  # the one bounded parser: a huge exponent is refused before any conversion
            value = parse_decimal(text, f"column {col}")
        except DomainError as exc:
            raise DomainError("file_value", f"{self.where}, {exc.message}") from None
        if not negative and value < 0:
            raise DomainError("file_value", f"{self.where}, column {col}: {value} is negative")
        return value


def each_row(rows: Iterable[Row], parse: Callable[[Row], T], *, nothing: str = "nothing used") -> list[T]:
    """``parse`` of every row. Each row it refuses (DomainError or ValueError) is named with its
    problem, and the file is refused with all of them in one message (``file_value``)."""
    out: list[T] = []
    bad: list[str] = []
    for r in rows:
        try:
            out.append(parse(r))
        except (DomainError, ValueError) as exc:
            said = str(getattr(exc, "message", exc))
            bad.append(said if said.startswith(r.where) else f"{r.where}: {said}")
    if bad:
        shown = "; ".join(bad[:SHOWN]) + (f"; and {len(bad) - SHOWN} more" if len(bad) > SHOWN else "")
        raise DomainError("file_value", f"{len(bad)} bad row{'s' if len(bad) > 1 else ''}, {nothing}: {shown}")
    return out


def read_toml_table(path: Path, table: str, what: str) -> dict[str, Any]:
    """The ``[table]`` of a TOML file given by a user, or one clear DomainError: not a file, not UTF-8,
    not TOML (its line), no such table."""
    path = Path(path)
    if not path.is_file():
        raise DomainError("file_missing", f"{path}: no such file")
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise DomainError("file_encoding", f"{path.name}: not UTF-8 text (offset {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise DomainError("file_malformed", f"{path.name}: not a TOML {what} ({exc})") from None
    except OSError as exc:
        raise DomainError("file_missing", f"{path}: cannot be read ({exc.strerror or 'unreadable'})") from None
    got = data.get(table)
    if not isinstance(got, dict):
        raise DomainError("file_malformed", f"{path.name}: not a {what}: no [{table}] table")
    return got


def read_tables(path: Path, schemas: dict[str, Schema], *, kind: str | None = None,
                encoding: str = "utf-8-sig") -> dict[str, list[Row]]:
    """CSV: one table, its kind from ``kind`` or the file name. Excel: one table per sheet, named by kind."""
    path = Path(path)
    if not path.is_file():
        raise DomainError("file_missing", f"{path}: no such file")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(path, schemas)
    if path.suffix.lower() != ".csv":
        raise DomainError("file_type", f"{path.name}: only .csv and .xlsx files can be read")
    kind = kind or path.stem
    if kind not in schemas:
        raise DomainError("file_kind", f"{path.name}: say what it holds with --kind ({', '.join(schemas)})")
    data = path.read_bytes()
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise DomainError("file_encoding", f"{path.name}: not {encoding} text (byte 0x{data[exc.start]:02x} at "
                                           f"offset {exc.start}); save it as UTF-8 or pass --encoding gbk") from None
    except LookupError:
        raise DomainError("file_encoding", f"unknown encoding {encoding!r}") from None
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        raise DomainError("file_malformed", f"{path.name}: malformed CSV ({exc})") from None
    return {kind: _rows(path.name, schemas[kind], records)}


def _read_xlsx(path: Path, schemas: dict[str, Schema]) -> dict[str, list[Row]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise DomainError("file_malformed", f"{path.name}: not a readable Excel workbook ({exc})") from None
    out: dict[str, list[Row]] = {}
    try:
        sheets = [s for s in wb.sheetnames if not s.lower().startswith(("readme", "说明"))]  # instructions
        unknown = [s for s in sheets if _sheet_kind(s, schemas) not in schemas]
        if unknown:
            raise DomainError("file_kind", f"{path.name}: unknown sheets {unknown} (known: {', '.join(schemas)})")
        for name in sheets:
            records = [["" if v is None else _cell(v) for v in row] for row in wb[name].iter_rows(values_only=True)]
            kind = _sheet_kind(name, schemas)
            out[kind] = _rows(f"{path.name}:{name}", schemas[kind], records)
    finally:
        wb.close()
    return out


def _cell(v: object) -> str:
    if isinstance(v, float):
        # Excel stores numbers as floats; a whole number is written without ".0", a fraction kept
        return str(int(v)) if v.is_integer() else repr(v)
    return str(v).strip()


def _column(schema: Schema, header: str) -> str:
    """A header as its column: English, a Chinese alias, or both as the templates write them ("设施 / installation")."""
    h = header.strip()
    if h in schema.aliases:
        return schema.aliases[h]
    if " / " in h:
        for part in (p.strip() for p in h.split(" / ")):
            if part in schema.aliases:
                return schema.aliases[part]
            if part.lower() in schema.columns:
                return part.lower()
    return h.lower()


def _sheet_kind(name: str, schemas: dict[str, Schema]) -> str:
    """A sheet's kind: its name, or the last word of a bilingual one ("排放源 streams")."""
    return name if name in schemas or not name.split() else name.split()[-1]


def _rows(origin: str, schema: Schema, records: list[list[str]]) -> list[Row]:
    records = [r for r in records if any(c.strip() for c in r)]
    if not records:
        raise DomainError("file_empty", f"{origin}: no header row")
    written = [h.strip() for h in records[0]]
    header = [_column(schema, h) for h in records[0]]
    unknown = [h for h in header if h not in schema.columns]
    missing = [h for h in schema.required if h not in header]
    if unknown or missing:
        raise DomainError("file_header", f"{origin}: unknown columns {unknown}, missing columns {missing}")
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise DomainError("file_header", f"{origin}: columns given twice: {dupes}")
    rows = []
    for n, rec in enumerate(records[1:], start=2):
        if len(rec) != len(header):
            raise DomainError("file_malformed",
                              f"{origin} row {n}: {len(rec)} fields, the header has {len(header)} (truncated?)")
        values = {h: c.strip() for h, c in zip(header, rec)}
        for col, cell in values.items():
            try:  # a NUL byte would be stored (SQLite) or refused late (PostgreSQL): refused here, named
                check_text(cell, f"column {col}", max_length=4000)
            except DomainError as exc:
                raise DomainError("file_value", f"{origin} row {n}, {exc.message}") from None
        for col in schema.required:
            if not values.get(col):
                raise DomainError("file_value", f"{origin} row {n}: column {col} is empty")
        rows.append(Row(f"{origin} row {n}", values, dict(zip(header, written))))
    return rows
