"""`openets run SCENARIO --check`: the file checked (every market, its rule files), nothing run, no
database made; a bad file refused as one line naming its place."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from openets.cli.app import app
from openets.simulation.schema import BUNDLED

runner = CliRunner()


def test_check_only(tmp_path: Path) -> None:
    db = tmp_path / "never.db"
    out = runner.invoke(app, ["run", str(BUNDLED / "pilots-2016.toml"), "--check", "--json", "--db", f"sqlite:///{db}",
                              "--report", str(tmp_path / "report")])
    assert out.exit_code == 0, out.stderr
    rows = json.loads(out.stdout)
    assert [r["market"] for r in rows] == ["BJ", "SH", "HB", "CEA"]
    assert {r["rules"] for r in rows} == {"pilots-2016-rules.toml"}
    assert not db.exists() and not (tmp_path / "report").exists()  # nothing run

    bad = tmp_path / "bad.toml"
    bad.write_text("[scenario]\nname = 'x'\nseed = \n", encoding="utf-8")
    refused = runner.invoke(app, ["run", str(bad), "--check"])
    assert refused.exit_code == 1
    assert refused.stderr.strip().splitlines() == [
        "error: bad.toml, line 3, column 8: not a TOML scenario file (invalid value) [scenario_invalid]"]
