"""Engine factory and the unit of work.

SQLite (default): WAL, synchronous=FULL (durable; NORMAL on request, for the simulated year), a busy timeout, and every write transaction
opened with BEGIN IMMEDIATE so writers queue for the lock instead of failing with "database is
locked" half way. PostgreSQL: READ COMMITTED with row locks (SELECT … FOR UPDATE in a fixed order);
deadlocks and serialization failures are retried.
"""

from __future__ import annotations

import os
import random
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.pool import NullPool, QueuePool

from openets.core.settings import setting
from openets.storage.tables import audit_log

DEFAULT_URL = "sqlite:///openets.db"
T = TypeVar("T")


def database_url(url: str | None = None) -> str:
    url = url or setting("database_url") or DEFAULT_URL
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


SYNCHRONOUS = ("FULL", "NORMAL")


def make_engine(url: str | None = None, *, busy_timeout_ms: int = 120_000, synchronous: str = "FULL") -> Engine:
    """``synchronous`` (SQLite): FULL (the default: a commit is on disk before it returns, against power
    loss too) or NORMAL (with WAL a commit survives the process crashing or being killed, never corrupts
    the file, and may be lost only with the last transactions before an OS crash or power cut: no fsync
    per commit, only at checkpoints — for a simulated year that its seed replays, not a live registry)."""
    if synchronous not in SYNCHRONOUS:
        raise ValueError(f"synchronous must be one of {', '.join(SYNCHRONOUS)}, not {synchronous!r}")
    url = database_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, poolclass=NullPool if path == ":memory:" else None,
                               connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            # a new database gets 2 KiB pages (an existing one keeps its own): a commit writes and
            # fsyncs every page it touched, and a transfer touches ~14 whatever their size; measured
            # 2 KiB against 4 KiB: one transfer per transaction ~15 % faster, batches the same
            # (1 KiB: deeper trees, batches ~13 % slower). Before journal_mode, which writes page 1.
            cur.execute("PRAGMA page_size=2048")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA synchronous={synchronous}")
            cur.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn):
            # writers take the write lock up front (and queue for it); readers do not block anyone.
            # On the driver itself (SQLAlchemy's execution path costs more than the statement), its
            # error wrapped as SQLAlchemy's would be, so that a lock still busy is retried
            sql = "BEGIN IMMEDIATE" if conn.get_execution_options().get("writer") else "BEGIN"
            try:
                conn.connection.dbapi_connection.execute(sql)
            except sqlite3.Error as exc:
                raise DBAPIError.instance(sql, None, exc, sqlite3.Error) from exc

        event.listen(engine, "engine_disposed", _disposed)
        return engine
    # no pre-ping: it would cost a round trip per checkout; a connection the server dropped is
    # recognised as a disconnect on first use and the pool discarded (one failed request, not many)
    if url.startswith("postgresql"):
        import importlib.util

        if importlib.util.find_spec("psycopg") is None:  # an optional dependency: say how to get it
            raise ValueError("PostgreSQL needs the driver: pip install 'openets[postgres]'")
    engine = create_engine(url, isolation_level="READ COMMITTED", pool_recycle=3600)
    event.listen(engine, "engine_disposed", _disposed)
    return engine


def _disposed(engine: Engine) -> None:
    """This thread's kept write connection goes with the pool (SQLite: so that, the last one closed,
    the WAL is checkpointed into the file); other threads' are set aside at their next unit of work."""
    kept = _writers.conns.get(id(engine))
    if kept is not None and kept[0] is engine and not kept[3].in_transaction():
        _forget(id(engine))


def _retryable(exc: DBAPIError) -> bool:
    code = getattr(exc.orig, "sqlstate", None)
    if code in ("40001", "40P01"):  # serialization failure, deadlock
        return True
    if code == "23505" and "idempotency_keys" in str(exc.orig):
        return True  # a concurrent request with the same key committed first: the retry replays it
    # SQLite: BEGIN IMMEDIATE waits for the busy timeout; retry if it still found the lock taken
    return isinstance(exc, OperationalError) and "database is locked" in str(exc.orig)


_INSERT_AUDIT = audit_log.insert()  # built once: compiled once


class PendingAudit:
    """An audit row to write inside the first write transaction that commits while it is pending (so
    a committed change is never without its audit row, and costs no commit of its own). ``make_row``
    is called inside that transaction (None: not known yet, leave it to the caller); ``written`` tells
    the caller whether it happened. A refusal found by a later write of the same request
    (:func:`refused_in_request`) goes on that one row, with ``refused_status``."""

    def __init__(self, make_row: Callable[[], dict[str, object] | None], refused_status: int = 422) -> None:
        self.make_row = make_row
        self.refused_status = refused_status
        self.row: dict[str, object] | None = None
        self.row_id: int | None = None
        self.refusal: str | None = None
        self.written = False


_pending_audit: ContextVar[PendingAudit | None] = ContextVar("openets_pending_audit", default=None)


@contextmanager
def audit_with_writes(pending: PendingAudit) -> Iterator[PendingAudit]:
    """Within the block (and the threads it hands work to, which copy the context), the first write
    transaction to commit also writes ``pending``'s audit row."""
    token = _pending_audit.set(pending)
    try:
        yield pending
    finally:
        _pending_audit.reset(token)


@contextmanager
def audit_suspended() -> Iterator[None]:
    """Within the block, no write transaction writes (or amends) the surrounding request's audit row:
    for the system's own work done on the way, such as an exchange's crash recovery when a request
    opens it (orders another process logged, matched now: not this request's change, nor its user's)."""
    token = _pending_audit.set(None)
    try:
        yield
    finally:
        _pending_audit.reset(token)


class _Writers(threading.local):
    """Each thread keeps its write connection to an engine between units of work. Checking a
    connection out of the pool, marking it a writer and handing it back cost ~55 µs of Python, more
    than SQLite's BEGIN IMMEDIATE … COMMIT itself (the fsync aside). A connection is set aside after a
    database error (or an interruption), when its engine was disposed (a new pool) or in another
    process (after a fork); a thread keeps a few engines' connections at most (tests make many
    engines, a service one)."""

    def __init__(self) -> None:
        self.conns: dict[int, tuple[Engine, object, int, Connection]] = {}


_writers = _Writers()
_KEEP_ENGINES = 4
# kept connections are checked out of the engine's pool for good: at most this many an engine (and one
# fewer than the pool holds), so that other threads and readers still find connections in the pool
_KEEP_PER_ENGINE = 4
_kept: weakref.WeakKeyDictionary[Engine, weakref.WeakSet[Connection]] = weakref.WeakKeyDictionary()
_kept_lock = threading.Lock()


def _may_keep(engine: Engine, conn: Connection) -> bool:
    pool = engine.pool
    cap = min(_KEEP_PER_ENGINE, max(pool.size() - 1, 1)) if isinstance(pool, QueuePool) else 1
    with _kept_lock:
        held = _kept.setdefault(engine, weakref.WeakSet())
        if len(held) >= cap:
            return False
        held.add(conn)
        return True


def _writer(engine: Engine) -> tuple[Connection, bool]:
    """A write connection not in a transaction, and whether it is this thread's kept one."""
    if engine.pool.__class__ is NullPool:
        return engine.connect().execution_options(writer=True), False
    kept = _writers.conns.get(id(engine))
    if kept is not None:
        eng, pool, pid, conn = kept
        if eng is engine and pool is engine.pool and pid == os.getpid() and not conn.closed \
                and not conn.invalidated:
            if not conn.in_transaction():
                return conn, True
            return engine.connect().execution_options(writer=True), False  # a unit of work inside another
        _forget(id(engine))
    conn = engine.connect().execution_options(writer=True)
    if not _may_keep(engine, conn):
        return conn, False  # enough threads keep one already: this one uses the pool as usual
    _writers.conns[id(engine)] = (engine, engine.pool, os.getpid(), conn)
    for key in [k for k, v in _writers.conns.items() if not v[3].in_transaction()][:-_KEEP_ENGINES]:
        _forget(key)  # the least recently kept idle ones
    return conn, True


def release_kept_writers() -> None:
    """Close every write connection this thread keeps (``_Writers``): a restore replaces the database
    file under them, and SQLite refuses the replacement while one of them is open."""
    for key in list(_writers.conns):
        _forget(key)


def _forget(key: int) -> None:
    kept = _writers.conns.pop(key, None)
    if kept is not None:
        with _kept_lock:
            _kept.get(kept[0], set()).discard(kept[3])
    if kept is not None and kept[2] == os.getpid():  # another process's copy is left alone (its parent's)
        if not kept[3].closed and not kept[3].invalidated:
            kept[3].detach()  # closed for good, not handed back to a pool that may have been disposed
        kept[3].close()


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Connection]:
    """One write transaction: committed when the block ends, rolled back on any error."""
    request = _pending_audit.get()
    # what the request's audit row holds before this transaction: a refusal found in it
    # (refused_in_request) or its row amended in it are rolled back with it, here as in the database
    saved = None if request is None else (request.refusal, request.row, request.row_id)
    pending = None if request is None or request.written else request
    conn, kept = _writer(engine)
    try:
        with conn.begin():
            yield conn
            if pending is not None:
                pending.row = pending.make_row()
                if pending.row is not None:
                    if pending.refusal is not None:
                        pending.row = {**pending.row, "status": pending.refused_status, "answer": pending.refusal}
                    key = conn.execute(_INSERT_AUDIT, pending.row).inserted_primary_key
                    pending.row_id = None if key is None else int(key[0])
    except BaseException as exc:
        if request is not None and saved is not None:
            request.refusal, request.row, request.row_id = saved
        if kept and isinstance(exc, Exception) and not isinstance(exc, DBAPIError) and not conn.invalidated \
                and not conn.in_transaction():
            raise  # a refusal: rolled back, the connection is as good as before
        if kept and _writers.conns.get(id(engine), (None,) * 4)[3] is conn:
            _forget(id(engine))  # after a database error, a fresh connection next time
        else:
            conn.close()
        raise
    if not kept:
        conn.close()
    if pending is not None and pending.row is not None:
        pending.written = True  # only once committed: a retried transaction writes it again


def refused_in_request(conn: Connection, answer: str) -> bool:
    """A refusal found inside a write of a request (API, dashboard, CLI command) that has its audit row
    pending: that one row says refused, with ``answer`` — amended in this transaction when it was
    written by an earlier one (an order logged, then refused at matching). False: no request around,
    the caller writes a row of its own."""
    pending = _pending_audit.get()
    if pending is None:
        return False
    pending.refusal = answer[:200]
    if pending.written and pending.row_id is not None and pending.row is not None:
        conn.execute(audit_log.update().where(audit_log.c.id == pending.row_id),
                     {"status": pending.refused_status, "answer": pending.refusal})
        pending.row = {**pending.row, "status": pending.refused_status, "answer": pending.refusal}
    return True


@contextmanager
def autocommit(engine: Engine) -> Iterator[Connection]:
    """A connection for work that is one statement (a lookup, a version check, an audit row): on
    PostgreSQL in autocommit, so it costs one round trip, not BEGIN … COMMIT/ROLLBACK around it (one
    statement is atomic by itself). Statements that must see one snapshot or commit together use
    ``engine.connect()`` / :func:`run_in_transaction` instead. SQLite: a plain connection."""
    conn = engine.connect()
    try:
        if engine.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        yield conn
    finally:
        conn.close()


def write_audit(engine: Engine, row: dict[str, object]) -> None:
    """An audit row on its own (a request that changed nothing). PostgreSQL: a single INSERT in
    autocommit, atomic and durable by itself (one round trip); SQLite: a write transaction (BEGIN
    IMMEDIATE queues for the lock)."""
    if engine.dialect.name == "sqlite":
        run_in_transaction(engine, lambda c: c.execute(_INSERT_AUDIT, row))
        return
    with autocommit(engine) as c:
        c.execute(_INSERT_AUDIT, row)


def amend_audit(engine: Engine, row_id: int, status: int, answer: str) -> None:
    """The answer a request finally got, on the row its change wrote (one row per request)."""
    stmt = audit_log.update().where(audit_log.c.id == row_id)
    values = {"status": status, "answer": answer[:200]}
    if engine.dialect.name == "sqlite":
        run_in_transaction(engine, lambda c: c.execute(stmt, values))
        return
    with autocommit(engine) as c:
        c.execute(stmt, values)


def run_in_transaction(engine: Engine, work: Callable[[Connection], T], *, attempts: int = 20) -> T:
    """Run ``work`` in one transaction, retrying it whole on deadlocks and serialization failures."""
    for attempt in range(attempts):
        try:
            with unit_of_work(engine) as conn:
                return work(conn)
        except DBAPIError as exc:
            if attempt + 1 < attempts and _retryable(exc):
                time.sleep(random.uniform(0, 0.01 * (attempt + 1)))
                continue
            raise
    raise AssertionError("unreachable")
