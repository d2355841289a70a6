"""The bundled national power scenarios at full size, calibrated to the magnitudes the project was asked
to reach for compliance years 2023 and 2024 (issue 15 part B; the brief's figures, not read from a
published source — unverified): 2023 allocation ≈ 567 Mt against ≈ 568 Mt verified, a close near 80.9
yuan and 98.5 % on time; 2024 ≈ 591 against ≈ 592 Mt, near 82 yuan, 98.5 %.

The allocation and the verified emissions are the world's (the fleet, the benchmarks, the MRV) and
pinned; the close and the on-time rate are the trading agents', calibrated through the scenario data
only (price_yuan) with the agents of this commit, so they are checked within a band: an agent change
that moves them further says so here."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from openets.cli.app import app
from openets.simulation.schema import BUNDLED

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(("year", "allocated", "verified", "close"), [
    (2023, 566_275_132, 567_102_376, Decimal("80.94")),
    (2024, 591_367_585, 591_773_744, Decimal("82.05")),
])
def test_the_national_year_reaches_its_magnitudes(tmp_path: Path, year: int, allocated: int, verified: int,
                                                   close: Decimal) -> None:
    db = f"sqlite:///{tmp_path / 'year.db'}"
    r = CliRunner().invoke(app, ["run", str(BUNDLED / f"national-{year}.toml"), "--db", db,
                                 "--report", str(tmp_path / "report"), "--json"])
    assert r.exit_code == 0, r.stderr
    (cea,) = json.loads(r.stdout)["markets"]
    # the world: the allocation (benchmark × generation × corrections, from the fleet) a little under the
    # verified emissions, as the plan's balance value intends (gas units above theirs owe only their allocation)
    assert (cea["allocated_t"], cea["verified_t"]) == (allocated, verified)
    assert 0 < verified - allocated < verified // 500  # under 0.2 %
    # the agents': within 5 % of the close, and 197 of 200 on time (1 late, 2 who never surrender in full);
    # listed: the 2 who never do (the late one paid in full before the consequences were decided)
    assert abs(Decimal(cea["close_yuan"]) - close) <= close * Decimal("0.05")
    assert cea["compliance"] == "98.5 %" and cea["listed"] == 2
