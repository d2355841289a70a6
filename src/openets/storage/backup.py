"""Backup and restore: SQLite's online backup API, pg_dump / pg_restore for PostgreSQL."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from openets.core.errors import DomainError


def _pg_url(engine: Engine) -> str:
    url = make_url(str(engine.url.render_as_string(hide_password=False))).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _sqlite_path(engine: Engine) -> str:
    path = engine.url.database
    if not path or path == ":memory:":
        raise ValueError("an in-memory database cannot be backed up")
    return path


def backup(engine: Engine, target: Path) -> Path:
    target = Path(target)
    if target.exists():
        raise ValueError(f"{target} exists: choose a new file")
    tmp = target.with_suffix(target.suffix + ".part")
    if engine.dialect.name == "sqlite":
        src = sqlite3.connect(_sqlite_path(engine))
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)  # a consistent snapshot even while writers run
        finally:
            dst.close()
            src.close()
    else:
        _pg_tool("pg_dump")
        subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--file", str(tmp), _pg_url(engine)],
                       check=True, capture_output=True, text=True)
    tmp.replace(target)
    return target


@dataclass(frozen=True)
class Restored:
    """What a restore did: the transactions the database had that the backup has not (discarded by
    the restore: their count, first and last id, and the ids themselves when few), and the backup's
    last transaction."""

    discarded: int = 0
    discarded_first: int | None = None
    discarded_last: int | None = None
    discarded_ids: tuple[int, ...] = ()  # every id when at most LISTED, else empty (see first and last)
    backup_last: int | None = None
    lineage: str = "checked"  # "checked": the backup's history is this registry's; "empty": nothing to compare

    def summary(self) -> str:
        if not self.discarded:
            return "no transaction discarded"
        ids = (", ".join(map(str, self.discarded_ids)) if self.discarded_ids
               else f"ids {self.discarded_first}–{self.discarded_last}")
        return f"{self.discarded} transaction{'s' if self.discarded > 1 else ''} discarded ({ids})"


LISTED = 20


def restore(engine: Engine, source: Path, *, force: bool = False) -> Restored:
    """Restore ``source`` over the database of ``engine``. SQLite: refused while another process has the
    database open (a server, a writer) and unless the backup is of this registry (its journal and its
    transactions agree with the database's wherever both have them; an empty database takes any
    backup; ``force``: restore one whose history differs, e.g. a clean backup over a database found
    altered); answers which transactions the restore discards. PostgreSQL: the same lineage check, on the
    backup restored into a scratch database beside this one (dropped after; a role that may not create
    databases gets the restore with the check said not done), then pg_restore; no in-use check (a
    server's sessions are not told from this process's)."""
    source = Path(source)
    if not source.is_file():
        raise ValueError(f"{source}: no such backup file")
    if engine.dialect.name == "sqlite":
        target = _sqlite_path(engine)
        try:
            src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
            src.execute("SELECT count(*) FROM journal").fetchone()
            src.execute("SELECT count(*) FROM transactions").fetchone()
        except sqlite3.DatabaseError as exc:
            raise ValueError(f"{source}: not an OpenETS SQLite backup ({exc})") from None
        try:
            from openets.storage.db import release_kept_writers

            release_kept_writers()  # this process's own kept connections: the restore replaces the file under them
            engine.dispose()
            if _in_use(target):
                raise DomainError("database_in_use", f"{target} is open in another process (a server or a writer): "
                                                     "stop it, then restore")
            report = _lineage(src, target, source, force)
            dst = sqlite3.connect(target, timeout=2)
            try:
                # out of WAL mode while the pages are replaced: a backup may have another page size, which
                # a WAL database cannot take on
                dst.execute("PRAGMA journal_mode=DELETE")
                src.backup(dst)
                dst.execute("PRAGMA journal_mode=WAL")
            except sqlite3.OperationalError as exc:  # a connection of this process, or one opened since the check
                raise DomainError("database_in_use", f"{target} is in use ({exc}): close what has it open, then "
                                                     "restore") from None
            finally:
                dst.close()
        finally:
            src.close()
        return report
    _pg_tool("pg_restore")
    engine.dispose()
    report = _pg_lineage(engine, source, force)
    _pg_restore(_pg_url(engine), source)
    return report


def _pg_restore(url: str, source: Path) -> None:
    proc = subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
                           "--dbname", url, str(source)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise ValueError(f"pg_restore failed: {proc.stderr.strip().splitlines()[-1] if proc.stderr else ''}")


def _pg_lineage(engine: Engine, source: Path, force: bool) -> Restored:
    """The backup against the PostgreSQL database it would replace, as :func:`_compare` does for SQLite:
    the backup is restored into a scratch database (``<name>_restore_check_<pid>``) and read from there."""
    import psycopg

    url = make_url(_pg_url(engine))
    scratch = f"{url.database}_restore_check_{os.getpid()}"[:63]
    admin = url.render_as_string(hide_password=False)
    try:
        with psycopg.connect(admin, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
            c.execute(f'CREATE DATABASE "{scratch}"')
    except psycopg.errors.InsufficientPrivilege:
        return Restored(lineage="not checked (this role may not create the scratch database)")
    try:
        there = url.set(database=scratch).render_as_string(hide_password=False)
        _pg_restore(there, source)
        with psycopg.connect(there) as theirs, psycopg.connect(admin) as mine:
            tables = {r[0] for r in mine.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")}
            cursors = [theirs.cursor(), mine.cursor(), theirs.cursor(), mine.cursor()]
            try:
                return _compare(cursors, source, force, tables, "%s")  # type: ignore[arg-type]
            except psycopg.errors.UndefinedTable:  # a dump, but not of a registry
                raise ValueError(f"{source}: not an OpenETS PostgreSQL backup (no journal or transactions)") from None
    finally:
        with psycopg.connect(admin, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{scratch}"')


# every connection to a WAL database holds a shared lock on this byte of its -shm file while it is open
# (SQLite's os_unix.c: UNIX_SHM_DMS = (22 + 8) * 4 + 8, the "dead man switch")
_SHM_DMS = 128


def _in_use(path: str) -> bool:
    """Whether another process has the SQLite database at ``path`` open: an exclusive lock on the
    -shm file's dead-man-switch byte is refused while any other process holds its shared one. (POSIX
    locks are per process: this process's own connections are not seen; the engine is disposed first.)"""
    shm = Path(path + "-shm")
    if not shm.exists():
        return False  # no WAL connection open anywhere (the last one to close removes it)
    import fcntl

    try:
        fd = os.open(shm, os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, _SHM_DMS)
    except OSError:
        return True
    else:
        fcntl.lockf(fd, fcntl.LOCK_UN, 1, _SHM_DMS)
        return False
    finally:
        os.close(fd)


def _lineage(src: sqlite3.Connection, target: str, source: Path, force: bool) -> Restored:
    """The backup against the database it would replace: refused (``backup_other_registry``) when a
    journal line of the same number has another hash, or a transaction of the same id another type,
    quantity or time; else which of the database's transactions the backup has not."""
    if not Path(target).exists():
        return Restored(lineage="empty")
    cur = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
    cursors = [src.cursor(), cur.cursor(), src.cursor(), cur.cursor()]
    try:
        tables = {r[0] for r in cursors[1].execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()}
        return _compare(cursors, source, force, tables, "?")
    finally:
        for c in cursors:  # a statement left unfinished keeps its connection open past close() (close_v2)
            c.close()
        cur.close()


def _compare(cursors: list[sqlite3.Cursor], source: Path, force: bool, tables: set[str], mark: str) -> Restored:
    """``cursors``: the backup's and the database's, twice (DB-API cursors of sqlite3 or psycopg; ``mark``
    their parameter marker); ``tables``: the database's tables (a new one has none of the registry's)."""
    theirs_j, mine_j, theirs_t, mine_t = cursors
    if not {"journal", "transactions"} <= tables:
        return Restored(lineage="empty")  # a new database: nothing to keep, nothing to compare
    backup_last = theirs_j.execute("SELECT max(id) FROM transactions").fetchone()[0]
    lineage = "checked"
    common = min(theirs_j.execute("SELECT coalesce(max(seq), 0) FROM journal").fetchone()[0],
                 mine_j.execute("SELECT coalesce(max(seq), 0) FROM journal").fetchone()[0])
    if common:
        q = f"SELECT seq, hash FROM journal WHERE seq <= {mark} ORDER BY seq"
        for a, b in zip(theirs_j.execute(q, (common,)), mine_j.execute(q, (common,)), strict=False):
            if a != b and not force:
                raise DomainError("backup_other_registry", _other(source, f"journal line {a[0]}"))
            if a != b:
                lineage = "differs (forced)"
                break
    # both in id order, walked side by side: the database's ids the backup lacks are discarded
    q = "SELECT id, type, quantity, at_us FROM transactions ORDER BY id"
    theirs, count, first, last, any_mine = iter(theirs_t.execute(q)), 0, None, None, False
    listed: list[int] = []
    other = next(theirs, None)
    for row in mine_t.execute(q):
        any_mine = True
        while other is not None and other[0] < row[0]:
            other = next(theirs, None)
        if other is not None and other[0] == row[0]:
            if tuple(other) != tuple(row) and not force:
                raise DomainError("backup_other_registry", _other(source, f"transaction {row[0]}"))
            if tuple(other) != tuple(row):
                lineage = "differs (forced)"
            continue
        count += 1
        first = row[0] if first is None else first
        last = row[0]
        if len(listed) <= LISTED:
            listed.append(row[0])
    if not any_mine:
        return Restored(backup_last=backup_last, lineage="empty")
    return Restored(count, first, last, tuple(listed) if count <= LISTED else (), backup_last, lineage)


def _other(source: Path, what: str) -> str:
    return (f"{source.name} is not a backup of this registry: its {what} differs from the database's (another "
            "registry's backup, or this database was altered since): restore it into a new, empty database, or "
            "with --force once that is understood")


def _pg_tool(name: str) -> None:
    if shutil.which(name) is None:
        raise ValueError(f"{name} is not installed (Debian package postgresql-client)")
