"""``openets lab``: a run's JSON has every figure per year; an ensemble reports medians and bands; a
bad lab file is refused with all its problems on one line and nothing run; the seed's chain."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from typer.testing import CliRunner

from openets.cli.app import app
from openets.testing.lab import write_lab_file as lab_file

runner = CliRunner()


def test_run_json_has_every_figure(tmp_path: Path) -> None:
    result = runner.invoke(app, ["lab", "run", str(lab_file(tmp_path, 8, 2, 20)), "--json"])
    assert result.exit_code == 0, result.stderr
    (year,) = json.loads(result.stdout)["years"]
    for key in ("price_yuan", "analytic_price_yuan", "abatement_t", "analytic_abatement_t", "cost_yuan",
                "least_cost_yuan", "no_trade_cost_yuan", "efficiency", "compliance_rate", "banked_t"):
        assert key in year, key
    assert year["year"] == 2021 and year["orders"] > 0


def test_ensemble_two_runs_two_workers(tmp_path: Path) -> None:
    result = runner.invoke(app, ["lab", "run", str(lab_file(tmp_path, 6, 2, 20)), "--runs", "2", "--workers", "2", "--json"])
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    (year,) = out["years"]
    assert out["runs"] == 2 and year["runs"] == 2
    band = year["price_yuan"]
    assert Decimal(band["p5"]) <= Decimal(band["median"]) <= Decimal(band["p95"])
    assert "Normal(0, 0.05)" in out["bau_shock"]
    # each run's emission shocks move its BAU, so the analytic answer differs between the runs
    bau, a = year["bau_t"], year["analytic_price_yuan"]
    assert Decimal(bau["p5"]) < Decimal(bau["p95"]) and Decimal(a["p5"]) < Decimal(a["p95"])


def test_ensemble_without_shocks_varies_only_the_agents(tmp_path: Path) -> None:
    path = lab_file(tmp_path, 6, 2, 20)
    path.write_text(path.read_text(encoding="utf-8") + 'bau_shock = "0"\n', encoding="utf-8")
    result = runner.invoke(app, ["lab", "run", str(path), "--runs", "3", "--json"])
    assert result.exit_code == 0, result.stderr
    (year,) = json.loads(result.stdout)["years"]
    # the analytic price does not depend on the agents' draws: its band is one value
    a, bau = year["analytic_price_yuan"], year["bau_t"]
    assert a["p5"] == a["median"] == a["p95"] and bau["p5"] == bau["p95"]


def test_bad_lab_file_refused_with_every_problem(tmp_path: Path) -> None:
    (tmp_path / "firms.csv").write_text("firm_id,sector,bau_t,allocation_t,mac_slope\nA,c,x,1,1\nB,c,10,,0\n", encoding="utf-8")
    lab = tmp_path / "lab.toml"
    lab.write_text('[lab]\nname = "t"\nyears = [2021]\ntrading_days = 5\npenalty_yuan = "100"\nfirms = "firms.csv"\n'
                   'db = "x"\n', encoding="utf-8")
    result = runner.invoke(app, ["lab", "run", str(lab), "--db", f"sqlite:///{tmp_path / 'never.db'}"])
    assert result.exit_code == 1
    assert "lab.db" in result.stderr and "Traceback" not in result.stderr
    lab.write_text('[lab]\nname = "t"\nyears = [2021]\ntrading_days = 5\npenalty_yuan = "100"\nfirms = "firms.csv"\n',
                   encoding="utf-8")
    result = runner.invoke(app, ["lab", "run", str(lab), "--db", f"sqlite:///{tmp_path / 'never.db'}"])
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 1 and len(lines) == 1
    assert "3 problems" in lines[0] and 'row 2, column "bau_t"' in lines[0] and "row 3: no allocation" in lines[0]
    assert 'row 3, column "mac_slope": 0 is not above 0' in lines[0]
    assert not (tmp_path / "never.db").exists()  # nothing run


def test_seed_chain() -> None:
    result = runner.invoke(app, ["lab", "seed", "--json"])
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    # A: 1.70 − 1.80 = −0.10 Mt; B: 3.41 − 3.20 = +0.21 Mt; A buys 100,000 t, 110,000 t stay with B
    assert [c["position_mt"] for c in out["companies"]] == ["-0.10", "0.21"]
    assert out["trade"] == {"buyer": "A", "seller": "B", "tonnes": 100_000, "left_with_b_t": 110_000}
    # implied clinker: 1.70 / 0.8534 = 1.992 Mt, intensity 1.80 / 1.992 = 0.9036 > 0.8534 (why A is short)
    assert out["companies"][0]["implied_clinker_mt"] == "1.992" and out["companies"][0]["implied_intensity"] == "0.9036"
    assert out["covered"]["covered_share"] == "0.3979"  # 4.417 / 11.1
    assert any("10.3 Gt in 2030, not 12.7" in g for g in out["gaps"]) and any("284.2 Gt" in g for g in out["gaps"])
    (year,) = out["lab"]["years"]
    assert year["analytic_price_yuan"] == "0.00"  # the pair is long: 5.11 Mt allocated against 5.00 Mt emitted
    assert year["compliance_rate"] == "1.0000" and year["banked_t"] == 110_000
    assert {f["firm_id"]: f["abatement_t"] for f in year["firms"]} == {"A": 0, "B": 0}


def test_compare_writes_the_report_and_prints_the_same_numbers(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "cmp"
    result = runner.invoke(app, ["lab", "compare", str(lab_file(tmp_path, 8, 3, 20)), "--what-if", "cap=-10%",
                                 "--what-if", "floor=90", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert [v["name"] for v in doc["variants"]] == ["base", "cap=-10%", "floor=90"]
    written = json.loads((out / "comparison.json").read_text(encoding="utf-8"))
    assert written["variants"][1]["years"] == doc["variants"][1]["years"]  # the page's JSON: the same numbers
    html = (out / "comparison.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == 5 and "cap=-10%" in html
    wb = load_workbook(out / "comparison.xlsx")
    assert wb.sheetnames == ["Summary 概要", "Sectors 行业", "Firms 企业", "Daily 逐日"]
    ws = wb["Summary 概要"]
    header = [c.value for c in ws[1]]
    price = header.index("理论价格 / analytic price") + 1
    row = [r for r in ws.iter_rows(min_row=2) if r[0].value == "floor=90"][0]
    assert row[price - 1].value == Decimal("90.00")  # typed: a number, not text


def test_compare_names_every_bad_what_if_and_runs_nothing(tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    result = runner.invoke(app, ["lab", "compare", str(lab_file(tmp_path, 4, 2, 10)), "--what-if", "cap=ten",
                                 "--what-if", "bank_limit=-5", "--out", str(out)])
    assert result.exit_code != 0
    assert "--what-if cap=ten" in result.stderr and "--what-if bank_limit=-5" in result.stderr
    assert "Traceback" not in result.stderr and not out.exists()


def test_worker_processes_start_fresh_and_give_the_runs_made_here(tmp_path: Path) -> None:
    """The ensemble's and the comparison's workers are spawned, not forked: a fork copies the parent's
    threads mid-call (CI: a forked worker died at once, BrokenProcessPool, after an in-process Ray run had
    left gRPC's threads behind). Spawned, the runs are the same runs as in this process, digest for digest."""
    from openets.simulation.lab_ensemble import run_ensemble, worker_pool

    with worker_pool(2) as pool:
        assert pool._mp_context.get_start_method() == "spawn"  # type: ignore[attr-defined]
    path = lab_file(tmp_path, 6, 2, 20)
    here = run_ensemble(path, 2, 1, 7)
    spawned = run_ensemble(path, 2, 2, 7)
    assert [r.digest for r in spawned] == [r.digest for r in here] and len({r.digest for r in here}) == 2


def test_an_ensembles_table_shows_each_figure_whole_in_80_columns(tmp_path: Path) -> None:
    """Each year's figures a row each, median | 5 % | 95 % in columns of their own (before: nested tables in
    the cells of a 13-column table, every number broken across lines in an 80-column terminal); the same
    figures as --json gives."""
    import re

    path = str(lab_file(tmp_path, 6, 2, 20))
    table = runner.invoke(app, ["lab", "run", path, "--runs", "2", "--workers", "2"], env={"COLUMNS": "80"})
    doc = runner.invoke(app, ["lab", "run", path, "--runs", "2", "--workers", "2", "--json"])
    assert table.exit_code == 0 and doc.exit_code == 0, (table.stderr, doc.stderr)
    assert max(len(line) for line in table.stdout.splitlines()) <= 80
    (year,) = json.loads(doc.stdout)["years"]
    assert "2021, median and 5–95 % over 2 runs" in table.stdout
    for figure in ("bau_t", "price_yuan", "cost_yuan", "efficiency", "banked_t"):
        band = year[figure]
        row = re.search(rf"│ {figure} +│ +(\S+) │ +(\S+) │ +(\S+) │", table.stdout)
        assert row is not None, (figure, table.stdout)
        assert row.groups() == (band["median"], band["p5"], band["p95"]), figure
