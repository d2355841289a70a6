"""psycopg is an optional dependency (openets[postgres]): without it a PostgreSQL URL is refused with
the line that says how to install it, not a ModuleNotFoundError; SQLite needs nothing."""

from __future__ import annotations

import importlib.util
import tomllib
from pathlib import Path

import pytest

from openets.storage.db import make_engine


def test_postgres_url_without_the_driver_says_which_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "psycopg" else real(name, *a))
    with pytest.raises(ValueError, match=r"pip install 'openets\[postgres\]'"):
        make_engine("postgresql+psycopg://u@127.0.0.1:1/x")


def test_psycopg_is_an_extra_that_dev_installs() -> None:
    project = tomllib.loads((Path(__file__).resolve().parents[3] / "pyproject.toml").read_text())["project"]
    assert not any(d.startswith("psycopg") for d in project["dependencies"])
    assert project["optional-dependencies"]["postgres"] == ["psycopg[binary]>=3.1"]
    assert "openets[postgres]" in project["optional-dependencies"]["dev"]
