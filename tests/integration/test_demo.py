"""The main job (`make demo`) runs end to end on the embedded default and adds up."""

from pathlib import Path

from typer.testing import CliRunner

from openets.cli.app import app
from openets.simulation.walkthrough import registry_walkthrough


def test_walkthrough(tmp_path: Path) -> None:
    result = registry_walkthrough(f"sqlite:///{tmp_path / 'demo.db'}")
    assert result["conserved"] and result["journal_ok"]
    assert [s["type"] for s in result["trace"]][:3] == ["issue", "allocate", "transfer"]  # type: ignore[index]
    national = result["national"]
    assert national["conserved"] and national["true_up"] > 0  # type: ignore[index]
    assert result["beijing"]["statuses"] == {"911100000000000001": "compliant",  # type: ignore[index]
                                             "911100000000000002": "non_compliant"}
    # the average (5,000 × 100,000 + 5,200 × 50,000) / 150,000 = 5,066.666… fen, half up to the fen
    # 5,067; 3 × 5,067 × 20,000 t = 304,020,000 fen (304,000,000 before the average was rounded)
    assert result["beijing"]["fine_fen"] == 304_020_000  # type: ignore[index]
    assert result["shanghai"]["volume_sold_t"] == 2_000_000 and result["shanghai"]["winners"] == 3  # type: ignore[index]


def test_walkthrough_command_json(tmp_path: Path) -> None:
    r = CliRunner().invoke(app, ["walkthrough", "--db", f"sqlite:///{tmp_path / 'd.db'}", "--json"])
    assert r.exit_code == 0, r.stderr
