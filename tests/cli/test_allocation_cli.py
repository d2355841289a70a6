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
    assert r.exit_code == 1 and 'column "供电量": -1 is negative' in r.stderr and not out2.exists()


def test_compare_writes_png_and_html(tmp_path: Path) -> None:
    data = tmp_path / "history.csv"
    data.write_text("企业编号,设施编号,行业,产量,历史强度\n早减排,S1,cement,1000000,0.90;0.82;0.78\n"
                    "后进,S2,cement,1000000,0.99;0.98;0.97\n", encoding="utf-8")
    png, page = tmp_path / "c.png", tmp_path / "c.html"
    r = runner.invoke(app, ["allocation", "compare", str(data), "--png", str(png), "--html", str(page),
                            "--db", f"sqlite:///{tmp_path / 'x.db'}", "--json"])
    assert r.exit_code == 0, r.stderr
    assert {x["company"]: x["difference"] for x in json.loads(r.stdout)} == {"早减排": 28_400, "后进": -116_800}
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "data:image/png;base64," in page.read_text(encoding="utf-8") and "早减排" in page.read_text(encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("企业编号,设施编号,行业,产量,历史强度\n早减排,S1,cement,1000000,0.9;x\n", encoding="utf-8")
    r = runner.invoke(app, ["allocation", "compare", str(bad), "--db", f"sqlite:///{tmp_path / 'x.db'}"])
    assert r.exit_code == 1 and 'column "历史强度"' in r.stderr


def test_allocation_run_with_changes(db_url: str, tmp_path: Path) -> None:
    assert runner.invoke(app, ["registry", "init", "--db", db_url]).exit_code == 0
    prod = tmp_path / "production.csv"
    prod.write_text("company,source_id,sector,fuel,capacity_mw,cooling,electricity_mwh\n"
                    "P1,U1,power,gas,400,water,365000\nP2,U2,power,gas,400,water,365000\n", encoding="utf-8")
    changes = tmp_path / "changes.csv"
    changes.write_text("类型,生效日期,企业,机组,转入企业\n关停,2019-07-02,P1,U1,\n合并,2019-01-01,P2,,P3\n", encoding="utf-8")
    r = runner.invoke(app, ["allocation", "run", str(prod), "--market", "CEA", "--year", "2019", "--changes",
                            str(changes), "--db", db_url, "--json"])
    assert r.exit_code == 0, r.stderr
    got = {c["company"]: c["tonnes"] for c in json.loads(r.stdout)["companies"]}
    assert got == {"P1": round(182_000 * 0.392), "P3": round(365_000 * 0.392)}
    changes.write_text("类型,生效日期,企业\n关停,2019-13-01,P1\n", encoding="utf-8")
    r = runner.invoke(app, ["allocation", "run", str(prod), "--market", "CEA", "--year", "2019", "--changes",
                            str(changes), "--db", db_url])
    assert r.exit_code == 1 and 'column "生效日期"' in r.stderr


def test_cap_sectors_and_split(tmp_path: Path) -> None:
    s = tmp_path / "sectors.csv"
    s.write_text("sector,base,potential,growth,policy\npower,3000,1,1,1\ncement,1000,1,1.5,1\n"
                 "aluminium,400,0.8,1,0.9\naviation,17,1,1.2,1\n", encoding="utf-8")
    r = runner.invoke(app, ["cap", "sectors", str(s), "--json"])
    assert r.exit_code == 0, r.stderr
    parts = {x["sector"]: x["allowances"] for x in json.loads(r.stdout)}
    assert sum(parts.values()) == 4_417_000_000
    c = tmp_path / "companies.csv"
    c.write_text("id,weight\nA,1\nB,1\nC,1\n", encoding="utf-8")
    r = runner.invoke(app, ["cap", "split", str(c), "--total", str(parts["cement"]), "--json"])
    assert r.exit_code == 0 and sum(x["allowances"] for x in json.loads(r.stdout)) == parts["cement"]
    c.write_text("id,weight\nA,1\nA,2\n", encoding="utf-8")
    r = runner.invoke(app, ["cap", "split", str(c), "--total", "10"])
    assert r.exit_code == 1 and "again (first at" in r.stderr
    s.write_text("sector,base,potential,growth\npower,3000,1,x\n", encoding="utf-8")
    r = runner.invoke(app, ["cap", "sectors", str(s)])
    assert r.exit_code == 1 and len(r.stderr.strip().splitlines()) == 1


def test_allocation_coverage_lists_each_company_and_names_every_bad_row(tmp_path: Path) -> None:
    good = tmp_path / "energy.csv"
    good.write_text("企业,行业,年份,综合能源消费总量\nA,cement,2013,9999\nA,cement,2014,10000\nB,steel,2015,50000\n"
                    "C,power,2015,9999\n", encoding="utf-8")
    r = runner.invoke(app, ["allocation", "coverage", str(good), "--market", "CEA", "--year", "2017",
                            "--on", "2017-06-01", "--json"])
    assert r.exit_code == 0, r.stderr
    got = {c["company"]: c["covered"] for c in json.loads(r.stdout)}
    assert got == {"A": True, "B": False, "C": False}  # B: steel left phase 1 (2017 draft); C: below 10,000 tce
    bad = tmp_path / "bad.csv"
    bad.write_text("company,sector,year,energy_tce\nA,cement,20x3,1\nB,cement,2014,-5\n", encoding="utf-8")
    r = runner.invoke(app, ["allocation", "coverage", str(bad), "--market", "CEA", "--year", "2017"])
    assert r.exit_code == 1 and len(r.stderr.strip().splitlines()) == 1
    assert "row 2" in r.stderr and "row 3" in r.stderr
