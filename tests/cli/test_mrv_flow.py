"""A cement plant end to end on the command line: monitoring plan → monthly data → report →
verification with a finding and a correction → confirmation → export."""

import json
from decimal import Decimal
from pathlib import Path

import openpyxl
from tests.cli.test_mrv_cli import filled, row
from typer.testing import CliRunner

from openets.cli.app import app

runner = CliRunner()


def cli(db: str, *args: str, ok: bool = True) -> dict:  # type: ignore[type-arg]
    r = runner.invoke(app, [args[0], args[1], "--db", db, "--json", *args[2:]])
    if ok:
        assert r.exit_code == 0, r.stderr
        return json.loads(r.stdout)
    assert r.exit_code != 0 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    return {"stderr": r.stderr}


def test_cement_plant(db_url: str, tmp_path: Path) -> None:
    cli(db_url, "registry", "init")
    cli(db_url, "registry", "add-user", "root", "--role", "administrator", "--market", "GD", "--person", "P-root")  # the bootstrap
    cli(db_url, "registry", "add-user", "li", "--role", "regulator", "--market", "GD", "--person", "P-li", "--as", "root")
    cli(db_url, "registry", "add-user", "wang", "--role", "regulator", "--market", "GD", "--person", "P-wang", "--as", "root")
    co = cli(db_url, "registry", "add-party", "--kind", "company", "--name", "广东某水泥", "--market", "GD",
             "--registration-id", "GD-C1", "--as", "li")["party"]
    ver = cli(db_url, "registry", "add-party", "--kind", "verifier", "--name", "核查机构", "--registration-id", "V1",
              "--as", "root")["party"]
    cli(db_url, "registry", "add-user", "zhao", "--role", "company", "--party", str(co), "--as", "li")
    cli(db_url, "registry", "add-user", "wu", "--role", "verifier", "--party", str(ver), "--as", "root")

    plan = cli(db_url, "mrv", "plan-submit", "--market", "GD", "--installation", "K1", "--streams", "coal-1,kiln",
               "--as", "zhao")["plan"]
    cli(db_url, "mrv", "plan-approve", str(plan), "--as", "li")

    coal = row("K1", "coal-1", "combustion", "bituminous", "t", "22.0", "GJ/t", "26.0", "tC/TJ", "94", "%")
    kiln = row("K1", "kiln", "clinker", "", "t", "", "", "", "", "", "", "cao=0.65;cao_nc=0.01;mgo=0.02;mgo_nc=0")
    dust = row("K1", "dryer", "combustion", "diesel", "t")
    monthly = [["coal-1", m, 10_000 + 37 * m, ""] for m in range(1, 13)] + \
              [["kiln", m, 100_000 + 113 * m, ""] for m in range(1, 13)]
    off_plan = filled(tmp_path, [coal, kiln, dust], monthly + [["dryer", m, 5 + m, ""] for m in range(1, 13)])
    refused = cli(db_url, "mrv", "submit", str(off_plan), "--market", "GD", "--year", "2016", "--as", "zhao", ok=False)
    assert "stream dryer is not in the monitoring plan" in refused["stderr"]
    missing_month = filled(tmp_path, [coal, kiln], monthly[:-1])
    r = runner.invoke(app, ["mrv", "check", str(missing_month), "--year", "2016"])
    assert r.exit_code == 1 and "month 12 has no data" in r.stderr

    good = filled(tmp_path, [coal, kiln], monthly)
    wb = openpyxl.load_workbook(good)
    wb["补充数据表 output"].append(["K1", "cement", "1300000"])  # clinker output
    wb.save(good)
    rid = cli(db_url, "mrv", "submit", str(good), "--market", "GD", "--year", "2016", "--as", "zhao")["report"]
    cli(db_url, "mrv", "assign", str(rid), "--verifier", str(ver), "--as", "li")
    done = cli(db_url, "mrv", "verify", str(rid), "--emissions", "952000", "--finding",
               "major:kiln feed CaO sampled monthly, not weekly as planned", "--statement",
               "verified with a correction of +3,000 t", "--as", "wu")
    assert done["state"] == "verified"
    assert cli(db_url, "mrv", "confirm", str(rid), "--as", "wang")["state"] == "confirmed"
    html, xlsx = tmp_path / "r.html", tmp_path / "r.xlsx"
    cli(db_url, "mrv", "export", str(rid), "--out", str(html))
    cli(db_url, "mrv", "export", str(rid), "--out", str(xlsx))
    page = html.read_text(encoding="utf-8")
    assert "952000" in page and "kiln feed CaO" in page and "confirm" in page
    assert openpyxl.load_workbook(xlsx).sheetnames == ["report", "streams", "findings", "trail"]
    # confirmed is final
    assert "cannot be" in cli(db_url, "mrv", "confirm", str(rid), "--as", "li", ok=False)["stderr"]


def test_determination_by_rule(db_url: str, tmp_path: Path) -> None:
    test_cement_plant(db_url, tmp_path)  # GD-C1 has a confirmed 2016 report of 952,000 t
    got = cli(db_url, "mrv", "determine", "--company", "GD-C1", "--market", "GD", "--year", "2017", "--as", "li")
    assert got["state"] == "determined" and Decimal(got["emissions"]) == 952000 * Decimal("1.1")
    r = runner.invoke(app, ["mrv", "determine", "--company", "GD-NOPE", "--market", "GD", "--year", "2017",
                            "--as", "li", "--db", db_url])
    assert r.exit_code == 1 and "give the emissions" in r.stderr


def test_coal_power_plant_and_sector_mixing(db_url: str, tmp_path: Path) -> None:
    """A coal-fired power plant end to end: plan → monthly data → report → verification with a finding and
    a correction → confirmation; then the sector check against a peer using default factors."""
    cli(db_url, "registry", "init")
    cli(db_url, "registry", "add-user", "root", "--role", "administrator", "--market", "CEA", "--person", "P-root")  # the bootstrap
    cli(db_url, "registry", "add-user", "mee-1", "--role", "regulator", "--market", "CEA", "--person", "P-mee-1", "--as", "root")
    cli(db_url, "registry", "add-user", "mee-2", "--role", "regulator", "--market", "CEA", "--person", "P-mee-2", "--as", "root")
    ver = cli(db_url, "registry", "add-party", "--kind", "verifier", "--name", "核查", "--registration-id", "V9", "--as", "root")["party"]
    cli(db_url, "registry", "add-user", "v", "--role", "verifier", "--party", str(ver), "--as", "root")
    for reg_id, user in (("PWR1", "p1"), ("PWR2", "p2")):
        pid = cli(db_url, "registry", "add-party", "--kind", "company", "--name", reg_id, "--market", "CEA",
                  "--registration-id", reg_id, "--as", "mee-1")["party"]
        cli(db_url, "registry", "add-user", user, "--role", "company", "--party", str(pid), "--as", "mee-1")
    plan = cli(db_url, "mrv", "plan-submit", "--market", "CEA", "--installation", "PLANT", "--streams",
               "coal-1,grid", "--as", "p1")["plan"]
    cli(db_url, "mrv", "plan-approve", str(plan), "--as", "mee-1")
    coal = row("PLANT", "coal-1", "combustion", "bituminous", "t", "20.908", "GJ/t", "26.18", "tC/TJ", "98", "%")
    grid = row("PLANT", "grid", "electricity", "", "MWh")
    monthly = [["coal-1", m, 90_000 + 500 * m, ""] for m in range(1, 13)] + \
              [["grid", m, 2_000 + 10 * m, ""] for m in range(1, 13)]
    path = filled(tmp_path, [coal, grid], monthly)
    wb = openpyxl.load_workbook(path)
    wb["补充数据表 output"].append(["U1", "power", "", "", "coal", "600", "water", "2400000"])
    wb.save(path)
    rid = cli(db_url, "mrv", "submit", str(path), "--market", "CEA", "--year", "2021", "--as", "p1")["report"]
    cli(db_url, "mrv", "assign", str(rid), "--verifier", str(ver), "--as", "mee-1")
    cli(db_url, "mrv", "verify", str(rid), "--emissions", "4000000", "--finding",
        "major:December coal receipts booked in January", "--statement", "verified, corrected", "--as", "v")
    assert cli(db_url, "mrv", "confirm", str(rid), "--as", "mee-2")["state"] == "confirmed"
    # a peer in the same sector filing with the default (here: gas) factors
    gas = row("G", "gas-1", "combustion", "natural_gas", "10**4 Nm3")
    peer = filled(tmp_path, [gas], [["gas-1", m, 100 + m, ""] for m in range(1, 13)])
    wb = openpyxl.load_workbook(peer)
    wb["补充数据表 output"].append(["U9", "power", "", "", "gas", "400", "water", "500000"])
    wb.save(peer)
    cli(db_url, "mrv", "submit", str(peer), "--market", "CEA", "--year", "2021", "--as", "p2")
    r = runner.invoke(app, ["mrv", "check-sector", "--market", "CEA", "--year", "2021", "--sector", "power",
                            "--db", db_url])
    assert r.exit_code == 1 and "measured (PWR1)" in r.stderr and "default (PWR2)" in r.stderr
