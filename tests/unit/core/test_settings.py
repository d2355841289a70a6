"""The environment is read in one place (core/settings.py), under the variable names users know."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from openets.core.settings import VARIABLES, export, setting
from openets.storage.db import DEFAULT_URL, database_url

SRC = Path(__file__).resolve().parents[3] / "src" / "openets"


def test_the_names_are_the_documented_ones() -> None:
    assert VARIABLES == {"database_url": "OPENETS_DATABASE_URL", "secret": "OPENETS_SECRET", "now": "OPENETS_NOW",
                         "user": "OPENETS_USER", "crash_at": "OPENETS_CRASH_AT",
                         "local_admin": "OPENETS_LOCAL_ADMIN", "config_dir": "OPENETS_CONFIG_DIR",
                         "xdg_config_home": "XDG_CONFIG_HOME", "trust_forwarded": "OPENETS_TRUST_FORWARDED",
                         "checkpoint_key": "OPENETS_CHECKPOINT_KEY", "lab_dir": "OPENETS_LAB_DIR",
                         "ray_timeout": "OPENETS_RAY_TIMEOUT", "ray_usage_stats": "RAY_USAGE_STATS_ENABLED"}


def test_read_at_each_call_empty_is_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENETS_DATABASE_URL", raising=False)
    assert setting("database_url") is None and database_url() == DEFAULT_URL
    monkeypatch.setenv("OPENETS_DATABASE_URL", "")
    assert database_url() == DEFAULT_URL  # an empty variable is no setting
    monkeypatch.setenv("OPENETS_DATABASE_URL", "postgresql://u@h/db")
    assert database_url() == "postgresql+psycopg://u@h/db"  # seen at once, no cache
    assert database_url("sqlite:///x.db") == "sqlite:///x.db"  # an explicit URL wins
    # setenv first, so that monkeypatch restores the variable as it was before the test (a delenv of
    # an unset variable records nothing, and a later delenv would restore "li" for every test after)
    monkeypatch.setenv("OPENETS_USER", "")
    export("user", "li")
    assert setting("user") == "li"


def test_no_other_module_reads_the_environment() -> None:
    readers = [p.relative_to(SRC).as_posix() for p in SRC.rglob("*.py")
               if re.search(r"os\.environ|getenv\(", p.read_text(encoding="utf-8"))]
    assert readers == ["core/settings.py"]
