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


def test_the_bundled_three_year_run_closes_near_its_references(tmp_path: Path) -> None:
    """national-2023-2025.toml at full size (60 power companies, 30 industrial from 2024; ~15 s): before its
    calibration each year closed at 2.5–4 × its opening reference with 52–67 % on time (the years net short,
    no abatement curve: short companies bid the band's top every day). With the power curves (mac_yuan) the
    allocation balances the verified emissions and each close is within ±30 % of its reference — in this
    commit within 5 % under it (78.21, 63.93, 62.12 yuan: near a banked tonne, reference ÷ 1.05 = 77.95,
    62.10, 62.10) — and 58 of 60, then 88 of 90, on time (the 1 late and 1 never payer)."""
    db = f"sqlite:///{tmp_path / 'three.db'}"
    r = CliRunner().invoke(app, ["run", str(BUNDLED / "national-2023-2025.toml"), "--db", db,
                                 "--report", str(tmp_path / "report"), "--json"])
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["conserved"]
    got = {m["year"]: m for m in out["markets"]}
    # the world: allocation and verified emissions pinned (the fleet, the curves' abatement, the MRV)
    assert [(got[y]["allocated_t"], got[y]["verified_t"]) for y in (2023, 2024, 2025)] == [
        (163_295_128, 163_081_435), (227_416_860, 227_334_476), (231_029_097, 230_334_898)]
    for y in (2023, 2024, 2025):  # balanced: allocation within 0.5 % of the verified emissions
        assert abs(got[y]["allocated_t"] - got[y]["verified_t"]) < got[y]["verified_t"] // 200
    # the agents': within ±30 % of the opening reference (the brief's target), ≥ 90 % on time
    for y, ref in ((2023, Decimal("81.85")), (2024, Decimal("65.20")), (2025, Decimal("65.20"))):
        close = Decimal(got[y]["close_yuan"])
        assert abs(close - ref) <= ref * Decimal("0.30"), (y, close)
        assert Decimal(got[y]["compliance"].removesuffix(" %")) >= 90, (y, got[y]["compliance"])
    assert [got[y]["compliance"] for y in (2023, 2024, 2025)] == ["96.7 %", "97.8 %", "97.8 %"]
    assert [got[y]["listed"] for y in (2023, 2024, 2025)] == [1, 1, 1]
