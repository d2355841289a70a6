"""SQLite durability settings: FULL by default (the registry), NORMAL only when asked (the simulated year)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from openets.storage.db import make_engine


def _pragmas(url: str, **kw: str) -> tuple[str, int]:
    engine = make_engine(url, **kw)
    try:
        with engine.connect() as c:
            return c.execute(text("PRAGMA journal_mode")).scalar_one(), c.execute(text("PRAGMA synchronous")).scalar_one()
    finally:
        engine.dispose()


def test_default_is_wal_and_full(tmp_path: Path) -> None:
    # SQLite's codes: 2 = FULL, 1 = NORMAL
    assert _pragmas(f"sqlite:///{tmp_path / 'r.db'}") == ("wal", 2)


def test_normal_on_request_keeps_wal(tmp_path: Path) -> None:
    assert _pragmas(f"sqlite:///{tmp_path / 's.db'}", synchronous="NORMAL") == ("wal", 1)


def test_other_values_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="FULL, NORMAL"):
        make_engine(f"sqlite:///{tmp_path / 'x.db'}", synchronous="OFF")


def test_the_simulated_year_runs_on_normal(tmp_path: Path) -> None:
    from openets.simulation.runner import YearRunner
    from openets.simulation.schema import BUNDLED, load_scenario

    scenario, rules = load_scenario(BUNDLED / "pilots-2016.toml")
    runner = YearRunner(scenario, url=f"sqlite:///{tmp_path / 'y.db'}", rule_files=rules)
    try:
        with runner.engine.connect() as c:
            assert c.execute(text("PRAGMA synchronous")).scalar_one() == 1
    finally:
        runner.engine.dispose()
