"""Reading tables from CSV or Excel for bulk input: every row checked against a schema, header
names in English or Chinese. A bad cell is named in one shape everywhere, under the header the user
wrote: ``file:sheet row 3, column "排放量": 'x' is not a number``; a file's problems are collected
(``Problems``) and refused together, the first MAX_NAMED named and the rest counted; and a TOML file's
table given by a user (``read_toml_table``)."""

from __future__ import annotations

import csv
import io
import re
import tomllib
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from openets.core.errors import DomainError
from openets.core.numbers import parse_decimal
from openets.core.text import check_text

T = TypeVar("T")
MAX_NAMED = 50  # a file with more problems names the first 50 and counts the rest
_WHERE = re.compile(r"(.*?) row (\d+)[,:]")  # a problem's place: Row.where, then its column or message


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

    def col(self, col: str) -> str:
        """A column as the user wrote its header: 'column "排放量"' (the label the parsers put first)."""
        return f'column "{self.headers.get(col, col)}"'

    def problem(self, col: str | None, message: str) -> str:
        """The one shape of a bad cell (or, without a column, a bad row)."""
        return f"{self.where}, {self.col(col)}: {message}" if col else f"{self.where}: {message}"

    def number(self, col: str, default: str | None = None, *, negative: bool = True) -> Decimal:
        """A cell as a Decimal (thousands separators allowed); a clear error naming row and column."""
        text = self.values.get(col) or (default if default is not None else "")
        try:  # the one bounded parser: a huge exponent is refused before any conversion
            value = parse_decimal(text, self.col(col))
        except DomainError as exc:
            raise DomainError("file_value", f"{self.where}, {exc.message}") from None
        if not negative and value < 0:
            raise DomainError("file_value", self.problem(col, f"{value} is negative"))
        return value


class Problems:
    """Every problem of a file, collected row by row, then refused as one error (nothing written)."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def __bool__(self) -> bool:
        return bool(self.lines)

    def add(self, row: Row, col: str | None, message: str) -> None:
        self.lines.append(row.problem(col, message))

    def parse(self, row: Row, col: str, parser: Callable[[str, str], T]) -> T | None:
        """``parser(cell, 'column "header"')`` — the parsers of core put that label first; None if refused."""
        try:
            return parser(row.values.get(col, ""), row.col(col))
        except (DomainError, ValueError) as exc:  # a bare ValueError's text is named too
            self.lines.append(f"{row.where}, {getattr(exc, 'message', exc)}")
            return None

    @contextmanager
    def at(self, row: Row, col: str | None = None) -> Iterator[None]:
        """Whatever the block refuses (a message without a column label), named under the row and column.
        A message that already names its place (``file_value`` from ``Row``) is kept as it is."""
        try:
            yield
        except (DomainError, ValueError) as exc:
            message = getattr(exc, "message", str(exc))
            self.lines.append(message if message.startswith(row.where) else row.problem(col, message))

    def refuse(self, nothing: str = "nothing written", code: str = "file_invalid") -> None:
        """Raise every problem as one line, if there are any."""
        if not self.lines:
            return
        n = len(self.lines)
        order: dict[str, int] = {}  # sheets in the order they were read

        def place(line: str) -> tuple[int, int]:  # a file-wide problem first, then row by row
            m = _WHERE.match(line)
            return (-1, 0) if m is None else (order.setdefault(m[1], len(order)), int(m[2]))

        # in row order: a row's own problems (found as it was read) and those the checks found later together
        lines = sorted(self.lines, key=place)
        more = f"; and {n - MAX_NAMED} more" if n > MAX_NAMED else ""
        raise DomainError(code, f"{n} problem{'s' if n > 1 else ''}, {nothing}: " + "; ".join(lines[:MAX_NAMED]) + more)


def read_tables(path: Path, schemas: dict[str, Schema], *, kind: str | None = None,
                encoding: str = "utf-8-sig", problems: Problems | None = None) -> dict[str, list[Row]]:
    """CSV: one table, its kind from ``kind`` or the file name. Excel: one table per sheet, named by kind.
    A row with an empty required cell, a NUL or the wrong number of fields is left out and named in
    ``problems`` (the caller checks the rest, then refuses them all); without ``problems`` they are
    refused here, all of them."""
    own = Problems() if problems is None else problems
    tables = _read(Path(path), schemas, kind, encoding, own)
    if problems is None:
        own.refuse()
    return tables


def _read(path: Path, schemas: dict[str, Schema], kind: str | None, encoding: str,
          problems: Problems) -> dict[str, list[Row]]:
    if not path.is_file():
        raise DomainError("file_missing", f"{path}: no such file")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(path, schemas, problems)
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
    return {kind: _rows(path.name, schemas[kind], records, problems)}


def _read_xlsx(path: Path, schemas: dict[str, Schema], problems: Problems) -> dict[str, list[Row]]:
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
            out[kind] = _rows(f"{path.name}:{name}", schemas[kind], records, problems)
    finally:
        wb.close()
    return out


def _long_text(cell: str, what: str) -> str:
    return check_text(cell, what, max_length=4000)


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


def _rows(origin: str, schema: Schema, records: list[list[str]], problems: Problems) -> list[Row]:
    records = [r for r in records if any(c.strip() for c in r)]
    if not records:
        raise DomainError("file_empty", f"{origin}: no header row")
    written = [h.strip() for h in records[0]]
    header = [_column(schema, h) for h in records[0]]
    unknown = [w for w, h in zip(written, header) if h not in schema.columns]
    missing = [h for h in schema.required if h not in header]
    if unknown or missing:
        raise DomainError("file_header", f"{origin}: unknown columns {unknown}, missing columns {missing}")
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise DomainError("file_header", f"{origin}: columns given twice: {dupes}")
    headers = dict(zip(header, written))
    rows = []
    for n, rec in enumerate(records[1:], start=2):
        row = Row(f"{origin} row {n}", {h: c.strip() for h, c in zip(header, rec)}, headers)
        if len(rec) != len(header):
            problems.add(row, None, f"{len(rec)} fields, the header has {len(header)} (truncated?)")
            continue
        before = len(problems.lines)
        for col in row.values:
            # a NUL byte would be stored (SQLite) or refused late (PostgreSQL): refused here, named
            problems.parse(row, col, _long_text)
        for col in schema.required:
            if not row.values.get(col):
                problems.add(row, col, "empty")
        if len(problems.lines) == before:
            rows.append(row)
    return rows


_TOML_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)$|\s*\(at end of document\)$")


def read_toml(path: Path, what: str, *, code: str = "file_malformed") -> dict[str, Any]:
    """A TOML file given by a user, or one clear DomainError line naming the file: not a file
    (``file_missing``), not UTF-8 (``file_encoding``, with the byte's offset), not TOML (``code``, with the
    line and column of the first syntax error: ``rules.toml, line 3, column 7: not a TOML auction rule
    file (invalid value)``)."""
    path = Path(path)
    if not path.is_file():
        raise DomainError("file_missing", f"{path}: no such file")
    try:
        body = path.read_bytes()
    except OSError as exc:
        raise DomainError("file_missing", f"{path}: cannot be read ({(exc.strerror or 'unreadable').lower()})") from None
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = body[:exc.start].count(b"\n") + 1
        raise DomainError("file_encoding", f"{path.name}, line {line}: not UTF-8 text (byte 0x{body[exc.start]:02x} "
                                           f"at offset {exc.start}); save it as UTF-8") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        at = _TOML_AT.search(message)
        reason = (message[:at.start()] if at else message).strip().lower() or "malformed"
        if at is None:
            where = ""
        elif at.group(1):
            where = f", line {at.group(1)}, column {at.group(2)}"
        else:
            where = f", line {text.count(chr(10)) + 1} (the end)"
        raise DomainError(code, f"{path.name}{where}: not a TOML {what} ({reason})") from None
    except RecursionError:  # thousands of nested arrays
        raise DomainError(code, f"{path.name}: not a TOML {what} (nested too deeply)") from None


def read_toml_table(path: Path, table: str, what: str) -> dict[str, Any]:
    """The ``[table]`` of a TOML file given by a user (``read_toml``), or one clear DomainError: no such table."""
    path = Path(path)
    data = read_toml(path, what)
    got = data.get(table)
    if not isinstance(got, dict):
        raise DomainError("file_malformed", f"{path.name}: not a {what}: no [{table}] table")
    return got
