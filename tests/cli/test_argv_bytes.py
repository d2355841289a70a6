"""Bytes of the command line that are not UTF-8 (Python's surrogateescape) never reach the database nor
print a traceback: a text argument is refused as one line (exit 2), a path is used as given and printed
with its escapes (core/text.py: storable, shown, one_line). Run as a real process: argv as bytes."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def openets(tmp: Path, *args: bytes | str) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "OPENETS_LOCAL_ADMIN": "1", "LC_ALL": "C.UTF-8"}
    env.pop("OPENETS_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "openets.cli.app", *args], cwd=tmp, env=env, capture_output=True,
                          timeout=120, check=False)


def test_non_utf8_argv(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'r.db'}"
    assert openets(tmp_path, "registry", "init", "--db", db).returncode == 0
    with sqlite3.connect(tmp_path / "r.db") as c:
        before = c.execute("SELECT count(*) FROM parties").fetchone()[0]

    party = openets(tmp_path, "registry", "add-party", "--kind", "company", "--name", b"\xff\xfe", "--db", db)
    assert party.returncode == 2, party
    assert party.stderr.decode().splitlines() == ["error: --name: not UTF-8 text (byte 0xff at position 0)"]
    with sqlite3.connect(tmp_path / "r.db") as c:
        assert c.execute("SELECT count(*) FROM parties").fetchone()[0] == before  # nothing stored

    # a path is the file system's name: used as given, shown with its escapes (stdout is strict UTF-8)
    backup = openets(tmp_path, "registry", "backup", b"b\xff.db", "--db", db, "--json")
    assert backup.returncode == 0, backup.stderr
    assert '"backup": "b\\\\xff.db"' in backup.stdout.decode("utf-8"), backup.stdout
    assert (tmp_path / os.fsdecode(b"b\xff.db")).is_file()
    missing = openets(tmp_path, "mrv", "calc", b"r\xff.xlsx", "--year", "2016")
    assert missing.returncode == 1 and missing.stderr.decode().splitlines() == [
        "error: r\\xff.xlsx: no such file [file_missing]"], missing.stderr
    for out in (party, backup, missing):
        assert b"Traceback" not in out.stderr + out.stdout
