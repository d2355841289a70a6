"""The registry's hot path runs its prebuilt SQLAlchemy statements on the driver cursor directly.

Each Core statement is compiled once per dialect to the driver's own SQL and parameter style; an
expanding ``IN`` list is rendered for the number of values it gets (also cached). This skips
SQLAlchemy's per-execution work (~100 µs a statement here, against ~15 µs for the driver itself)
while the SQL stays written against the table definitions, in one place. Only for statements whose
parameters are plain values; results come back as driver tuples in the statement's column order.
"""

from __future__ import annotations

import re
from collections import namedtuple
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, cast

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement

from openets.core.numbers import INT64_MAX

_POST = re.compile(r"\(__\[POSTCOMPILE_(\w+)\]\)")
_NAMED = re.compile(r"%\((\w+)\)s|\(__\[POSTCOMPILE_(\w+)\]\)")
# per (statement, dialect): its compiled form, the values bound inside it, the names of its IN lists
_base: dict[tuple[int, str], tuple[Any, dict[str, Any], list[str]]] = {}
# the statements themselves, kept alive: the caches are keyed by identity, which a freed statement's
# successor could otherwise reuse (meant for prebuilt, module-level statements anyway)
_keep: dict[int, ClauseElement] = {}


def _compiled(stmt: ClauseElement, conn: Connection) -> tuple[Any, dict[str, Any], list[str]]:
    key = (id(stmt), conn.dialect.name)
    hit = _base.get(key)
    if hit is None:
        c = stmt.compile(dialect=conn.dialect)
        defaults = {k: v for k, v in c.params.items() if v is not None}
        hit = _base[key] = (c, defaults, _POST.findall(c.string))
        _keep[id(stmt)] = stmt
    return hit


# per statement and dialect (and, for one with IN lists, their sizes): (driver SQL, [(parameter name,
# None for a value, 0 for a list of values, k for a list of k-tuples)] in order, values bound inside the
# statement, and — no IN lists — the names alone)
_Plan = tuple[str, list[tuple[str, int | None]], dict[str, Any], list[str] | None]
_plans: dict[tuple[Any, ...], _Plan] = {}


def _shape(post: list[str], params: Mapping[str, Any]) -> tuple[tuple[str, int, int], ...]:
    out = []
    for name in post:
        v = params[name]
        out.append((name, len(v), len(v[0]) if v and isinstance(v[0], (tuple, list)) else 0))
    return tuple(out)


def _plan(stmt: ClauseElement, conn: Connection, params: Mapping[str, Any]) -> _Plan:
    plan = _plans.get((id(stmt), conn.dialect.name))  # one lookup for a statement without IN lists
    if plan is not None:
        return plan
    compiled, defaults, post = _compiled(stmt, conn)
    shape = _shape(post, params) if post else ()
    key = (id(stmt), conn.dialect.name, shape) if post else (id(stmt), conn.dialect.name)
    plan = _plans.get(key)
    if plan is None:
        sql, steps = _build(compiled, conn.dialect.paramstyle == "qmark", shape)
        plan = _plans[key] = (sql, steps, defaults, None if post else [name for name, _ in steps])
    return plan


def _build(compiled: Any, qmark: bool, shape: tuple[tuple[str, int, int], ...]) -> tuple[str, list[tuple[str, int | None]]]:
    """The driver SQL (IN lists rendered for their sizes) and the parameters in order."""
    sql = compiled.string
    order: list[str]
    if qmark:
        order = list(compiled.positiontup)
    else:  # pyformat → positional %s: psycopg then skips matching names for every execution
        order = []

        def positional(m: re.Match[str]) -> str:
            order.append(m.group(1) or m.group(2))
            return "%s" if m.group(1) else m.group(0)  # an IN list is expanded below

        sql = _NAMED.sub(positional, sql)
    ph = "?" if qmark else "%s"
    for name, n, width in shape:
        one = "(" + ", ".join([ph] * width) + ")" if width else ph
        sql = sql.replace(f"(__[POSTCOMPILE_{name}])", "(" + ", ".join([one] * n) + ")")
    widths = {name: width for name, _n, width in shape}
    return sql, [(name, widths.get(name)) for name in order]


def _values(stmt: ClauseElement, conn: Connection, params: Mapping[str, Any]) -> tuple[str, list[Any]]:
    """The driver SQL and its positional values (literals in a statement are parameters too)."""
    sql, steps, defaults, names = _plan(stmt, conn, params)
    if names is not None and not defaults:
        return sql, _bindable(conn, [params[n] for n in names])
    out: list[Any] = []
    for name, width in steps:
        if width is None:
            out.append(params[name] if name in params else defaults[name])
        elif width == 0:
            out.extend(params[name])
        else:
            for row in params[name]:
                out.extend(row)
    return sql, _bindable(conn, out)


def _bindable(conn: Connection, values: list[Any]) -> list[Any]:
    """The values, refused as SQLite's driver refuses them when an integer is beyond a BIGINT: psycopg
    would send it as a numeric, and a read comparing it with a BIGINT column would find nothing instead."""
    if conn.dialect.name == "postgresql" and any(type(v) is int and not -INT64_MAX - 1 <= v <= INT64_MAX
                                                 for v in values):
        raise OverflowError("an integer beyond a BIGINT")
    return values


_row_types: dict[int, Any] = {}
statements = [0]  # driver calls made here (the bench reports statements per transfer)


def _row_type(stmt: ClauseElement) -> Any:
    rt = _row_types.get(id(stmt))
    if rt is None:
        names = [c.key for c in stmt.selected_columns]  # type: ignore[attr-defined]
        rt = _row_types[id(stmt)] = namedtuple("Row", names, rename=True)
    return rt


def _cursor(conn: Connection) -> Any:
    return conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]  # the pool hands out a live DBAPI connection here


def _wrap(conn: Connection, sql: str, exc: Exception) -> DBAPIError:
    """A driver error as SQLAlchemy's, as if the statement had gone through it (so retries on
    deadlocks and the edges' error mapping see one kind of error)."""
    # instance() is typed StatementError; for a driver error (a dbapi Error) it builds a DBAPIError
    return cast(DBAPIError, DBAPIError.instance(sql, None, exc, conn.dialect.loaded_dbapi.Error))


def run(conn: Connection, stmt: ClauseElement, params: Mapping[str, Any] | None = None, *,
        raw: bool = False) -> list[Any]:
    """Execute and fetch all rows, as named tuples of the statement's columns (``raw``: plain tuples)."""
    sql, values = _values(stmt, conn, params or {})
    batch = conn.info.get(_BATCH) if conn.dialect.name == "postgresql" else None
    if batch is not None:
        if getattr(stmt, "is_dml", False) and not getattr(stmt, "_returning", None):  # writes that return nothing
            batch.append((sql, values))  # sent with the rest of the block
            return []
        _flush(conn, batch)  # a read inside the block sees the block's writes so far
    cur = _cursor(conn)
    statements[0] += 1
    try:
        cur.execute(sql, values)
        # a SELECT has rows to fetch; asking the driver for a description instead costs a column
        # object per column on psycopg
        # (a write without RETURNING has none, whatever the driver describes)
        returns = getattr(stmt, "is_select", False) or not getattr(stmt, "is_dml", False) or getattr(stmt, "_returning", None)
        rows = cur.fetchall() if returns and (getattr(stmt, "is_select", False) or cur.description) else []
    except conn.dialect.loaded_dbapi.Error as exc:
        raise _wrap(conn, sql, exc) from exc
    finally:
        cur.close()
    if raw or not rows:
        return rows
    make = _row_type(stmt)._make
    return [make(r) for r in rows]


def run_together(conn: Connection, items: Sequence[tuple[ClauseElement, Mapping[str, Any]]]) -> list[list[Any]]:
    """Several reads whose parameters are all known up front, answered in order (rows as named tuples).
    PostgreSQL: sent in one pipeline, so they cost one round trip together; the server still runs them
    one after another (a row lock taken by one is held when the next runs). SQLite: one by one."""
    if conn.dialect.name != "postgresql" or conn.info.get(_BATCH) is not None:
        return [run(conn, stmt, params) for stmt, params in items]
    driver = conn.connection.driver_connection
    rendered = [_values(stmt, conn, params) for stmt, params in items]
    curs = []
    try:
        with driver.pipeline():  # type: ignore[union-attr]  # psycopg connection: only PostgreSQL reaches this
            for sql, values in rendered:
                cur = driver.cursor()  # type: ignore[union-attr]  # psycopg connection: only PostgreSQL reaches this
                curs.append(cur)
                statements[0] += 1
                cur.execute(sql, values)
            out = [cur.fetchall() for cur in curs]
    except conn.dialect.loaded_dbapi.Error as exc:
        raise _wrap(conn, "(pipeline)", exc) from exc
    finally:
        for cur in curs:
            cur.close()
    return [[_row_type(stmt)._make(r) for r in rows] for (stmt, _), rows in zip(items, out, strict=True)]


_perms: dict[tuple[Any, ...], list[int] | None] = {}


def run_many(conn: Connection, stmt: ClauseElement, rows: Sequence[Any], names: tuple[str, ...] | None = None) -> None:
    """executemany with the same statement for every row (no expanding parameters). ``rows``: mappings
    by parameter name, or with ``names``, sequences of values in that order (no dict per row)."""
    if not rows:
        return
    sql, _steps, _defaults, order = _plan(stmt, conn, {})
    assert order is not None, "run_many takes statements without IN lists"
    if names is None:
        values: Sequence[Any] = [[r[n] for n in order] for r in rows]
    else:
        key = (id(stmt), conn.dialect.name, names)
        if key not in _perms:
            perm = [names.index(n) for n in order]
            _perms[key] = None if perm == list(range(len(names))) else perm
        known = _perms[key]
        values = rows if known is None else [[r[i] for i in known] for r in rows]
    batch = conn.info.get(_BATCH) if conn.dialect.name == "postgresql" else None
    if batch is not None:
        batch.extend((sql, v) for v in values)
        return
    statements[0] += 1
    cur = _cursor(conn)
    try:
        if len(values) == 1:  # one row: execute skips executemany's per-call set-up
            cur.execute(sql, values[0])
        else:
            cur.executemany(sql, values)
    except conn.dialect.loaded_dbapi.Error as exc:
        raise _wrap(conn, sql, exc) from exc
    finally:
        cur.close()


_BATCH = "openets.fastsql.batch"


def _flush(conn: Connection, batch: list[tuple[str, list[Any]]]) -> None:
    """PostgreSQL: the collected writes as one simple-protocol message (values quoted by psycopg's own
    client-side binding), so the whole batch costs one round trip and one driver call instead of a
    bind/execute per row. It runs inside the caller's transaction; any error aborts it as usual."""
    if not batch:
        return
    import psycopg

    driver = conn.connection.driver_connection
    cur = psycopg.ClientCursor(driver)  # type: ignore[arg-type]  # the DBAPI connection is psycopg's on PostgreSQL
    try:
        text = ";\n".join(cur.mogrify(sql, params) for sql, params in batch)
        statements[0] += 1
        cur.execute(text.encode(), prepare=False)
    except psycopg.Error as exc:
        raise _wrap(conn, "(batch)", exc) from exc
    finally:
        cur.close()
        batch.clear()


@contextmanager
def pipeline(conn: Connection) -> Iterator[None]:
    """Send the writes of the block together. PostgreSQL: statements that return nothing are collected
    and sent as one message at the end of the block (a read inside the block first sends what is
    collected); errors surface there, inside the same transaction, which is then rolled back as usual.
    SQLite: nothing to do (its driver runs in-process)."""
    if conn.dialect.name != "postgresql" or conn.info.get(_BATCH) is not None:
        yield
        return
    batch: list[tuple[str, list[Any]]] = []
    conn.info[_BATCH] = batch
    try:
        yield
        _flush(conn, batch)
    finally:
        conn.info.pop(_BATCH, None)
