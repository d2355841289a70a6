"""Backup and restore: SQLite's online backup API, pg_dump / pg_restore for PostgreSQL."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url


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


def restore(engine: Engine, source: Path) -> None:
    source = Path(source)
    if not source.is_file():
        raise ValueError(f"{source}: no such backup file")
    if engine.dialect.name == "sqlite":
        try:
            src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
            src.execute("SELECT count(*) FROM journal").fetchone()
        except sqlite3.DatabaseError as exc:
            raise ValueError(f"{source}: not an OpenETS SQLite backup ({exc})") from None
        engine.dispose()
        dst = sqlite3.connect(_sqlite_path(engine))
        try:
            # out of WAL mode while the pages are replaced: a backup may have another page size, which
            # a WAL database cannot take on
            dst.execute("PRAGMA journal_mode=DELETE")
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=WAL")
        finally:
            dst.close()
            src.close()
    else:
        _pg_tool("pg_restore")
        engine.dispose()
        proc = subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
                               "--dbname", _pg_url(engine), str(source)], capture_output=True, text=True)
        if proc.returncode != 0:
            raise ValueError(f"pg_restore failed: {proc.stderr.strip().splitlines()[-1] if proc.stderr else ''}")


def _pg_tool(name: str) -> None:
    if shutil.which(name) is None:
        raise ValueError(f"{name} is not installed (Debian package postgresql-client)")
