import json
from pathlib import Path

from typer.testing import CliRunner

from openets.cli.app import app

runner = CliRunner()


def test_cap_plan_json() -> None:
    r = runner.invoke(app, ["cap", "plan", "--json"])
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["country_budget_gt"] == "360.0" and out["total_to_2100_gt"] == "284.2"
    bad = runner.invoke(app, ["cap", "plan", "--factor", "1.5"])
    assert bad.exit_code == 1 and bad.stderr.startswith("error: ") and len(bad.stderr.strip().splitlines()) == 1


def test_allocation_run_writes_results_and_refuses_bad_rows(db_url: str, tmp_path: Path) -> None:
    assert runner.invoke(app, ["registry", "init", "--db", db_url]).exit_code == 0
    good = tmp_path / "production.csv"
    good.write_text("企业编号,机组编号,行业,燃料,装机容量,冷却方式,供电量\nP1,U1,电力,gas,400,水冷,1000000\n", encoding="utf-8")
    out = tmp_path / "result.xlsx"
    r = runner.invoke(app, ["allocation", "run", str(good), "--market", "CEA", "--year", "2019", "--out", str(out),
                            "--db", db_url, "--json"])
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["summary"]["total"] == 392_000 and out.is_file()
    bad = tmp_path / "bad.csv"
    bad.write_text("企业编号,机组编号,行业,燃料,装机容量,冷却方式,供电量\nP1,U1,电力,gas,400,水冷,-1\n", encoding="utf-8")
    out2 = tmp_path / "nothing.xlsx"
    r = runner.invoke(app, ["allocation", "run", str(bad), "--kind", "final", "--market", "CEA", "--year", "2019",
                            "--out", str(out2), "--db", db_url])
    assert r.exit_code == 1 and "column electricity_mwh" in r.stderr and not out2.exists()
