"""The command-line tests act through ``--as``: the local administration mode (OPENETS_LOCAL_ADMIN=1),
as an operator with the database in hand would; ``test_login.py`` turns it off to try logins. Each
test keeps its sessions in its own config directory."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def local_admin(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OPENETS_LOCAL_ADMIN", "1")
    monkeypatch.setenv("OPENETS_CONFIG_DIR", str(tmp_path / "config"))
