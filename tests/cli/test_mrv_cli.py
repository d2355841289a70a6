"""openets mrv template | calc: a filled template computes; bad input names sheet, row and column."""

import json
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from openets.cli.app import app

runner = CliRunner()


def filled(tmp_path: Path, streams: list[list[str]], activity: list[list[object]]) -> Path:
    path = tmp_path / "report.xlsx"
    assert runner.invoke(app, ["mrv", "template", str(path)]).exit_code == 0
    wb = openpyxl.load_workbook(path)
    for name, rows in (("排放源 streams", streams), ("活动数据 activity", activity)):
        ws = wb[name]
        ws.delete_rows(2, ws.max_row)
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


def test_template_headers_are_bilingual_and_old_english_files_still_read(tmp_path: Path) -> None:
    path = tmp_path / "report.xlsx"
    assert runner.invoke(app, ["mrv", "template", str(path)]).exit_code == 0
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["说明 readme", "排放源 streams", "活动数据 activity", "补充数据表 output"]
    head = [c.value for c in wb["排放源 streams"][1]]
    assert head[:4] == ["设施 / installation", "排放源 / stream_id", "类型 / kind", "燃料 / fuel"]
    assert [c.value for c in wb["活动数据 activity"][1]][:3] == ["排放源 / stream_id", "月份 / month", "活动数据 / quantity"]
    # the file as written computes: 100 (10⁴ Nm³) of natural gas over the year, as in the case below
    ws = wb["活动数据 activity"]
    for m in range(1, 13):
        ws.cell(row=m + 1, column=3, value=100 / 12)
    wb.save(path)
    new = runner.invoke(app, ["mrv", "calc", str(path), "--year", "2021", "--json"])
    assert new.exit_code == 0, new.stderr
    # an old file: English sheet names and headers only (what the template wrote before)
    old = openpyxl.Workbook()
    old.active.title = "readme"
    streams = old.create_sheet("streams")
    streams.append(["installation", "stream_id", "kind", "fuel", "activity_unit"])
    streams.append(list(GAS[:5]))
    activity = old.create_sheet("activity")
    activity.append(["stream_id", "month", "quantity"])
    for m in range(1, 13):
        activity.append(["gas-1", m, 100 / 12])
    old.save(tmp_path / "old.xlsx")
    was = runner.invoke(app, ["mrv", "calc", str(tmp_path / "old.xlsx"), "--year", "2021", "--json"])
    assert was.exit_code == 0, was.stderr
    assert json.loads(was.stdout)["installations"] == json.loads(new.stdout)["installations"]
    assert json.loads(was.stdout)["installations"]["I1"]["total_t"] == "2165.02"  # the gas case below


def row(*cells: str) -> list[str]:
    base = [""] * 15
    base[: len(cells)] = cells
    return base


GAS = row("I1", "gas-1", "combustion", "natural_gas", "10**4 Nm3")
COAL = row("I1", "coal-1", "燃烧", "bituminous", "t", "20.908", "GJ/t", "26.18", "tC/TJ", "98", "%")


def test_calc_with_measured_coal_and_default_gas(tmp_path: Path) -> None:
    path = filled(tmp_path, [GAS, COAL], [["gas-1", m, 100 / 12, ""] for m in range(1, 13)]
                  + [["coal-1", m, 1000 if m == 1 else 0, ""] for m in range(1, 13)])
    r = runner.invoke(app, ["mrv", "calc", str(path), "--year", "2021", "--json"])
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    by = {s["stream"]: s for s in out["streams"]}
    assert by["coal-1"]["emissions_t"] == "1966.89"  # the by-hand case of the unit tests
    assert Decimal(by["gas-1"]["emissions_t"]) == Decimal("2165.02")
    assert "measured" in by["coal-1"]["factors"]["ncv"]
    assert out["installations"]["I1"]["total_t"] == "4131.90"  # 1,966.888 + 2,165.015: rounded once, at the end


@pytest.mark.parametrize("streams, activity, needle", [
    ([row("I1", "c", "combustion", "lignite", "t")], [["c", 1, 1, ""]], "streams row 2: stream c: coal's NCV must be measured"),
    ([GAS], [["gas-1", 1, -5, ""]], 'activity row 2, column "活动数据 / quantity": negative consumption'),
    ([row("I1", "g", "combustion", "natural_gas", "t")], [["g", 1, 1, ""]], "cannot be expressed"),
    ([row("I1", "c", "combustion", "x", "t", "20", "GJ/t")], [["c", 1, 1, ""]], "no carbon_content"),
    ([GAS], [["nope", 1, 1, ""]], 'activity row 2, column "排放源 / stream_id": nope is not in the streams sheet'),
    ([row("I1", "k", "clinker", "", "t", "", "", "", "", "", "", "cao=0.6;mgo")], [["k", 1, 1, ""]],
     'column "参数 / parameters"'),
])
def test_bad_report_names_where(tmp_path: Path, streams: list[list[str]], activity: list[list[object]],
                                needle: str) -> None:
    path = filled(tmp_path, streams, activity)
    r = runner.invoke(app, ["mrv", "calc", str(path), "--year", "2021"])
    assert r.exit_code == 1 and len(r.stderr.strip().splitlines()) == 1
    assert needle in r.stderr, r.stderr


def test_malformed_workbook(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really")
    r = runner.invoke(app, ["mrv", "calc", str(bad), "--year", "2021"])
    assert r.exit_code == 1 and "not a readable Excel workbook" in r.stderr


def test_batches_purchases_and_stock(tmp_path: Path) -> None:
    """Two coal batches measured on their own; purchases that do not cover consumption are reported."""
    coal = row("I1", "coal-1", "combustion", "bituminous", "t", "20", "GJ/t", "26", "tC/TJ", "100", "%")
    coal[14] = "500"  # opening stock
    path = filled(tmp_path, [coal], [["coal-1", m, 1000, "", "", "", "", ""] for m in range(1, 13)])
    wb = openpyxl.load_workbook(path)
    act = wb["活动数据 activity"]
    act.cell(row=2, column=5, value="22")  # January's batch: NCV 22 GJ/t instead of 20
    act.cell(row=2, column=7, value="900")  # purchased in January …
    act.cell(row=13, column=8, value="400")  # … and the stock at the end of December
    wb.save(path)
    r = runner.invoke(app, ["mrv", "calc", str(path), "--year", "2021", "--json"])
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    # 12,000 t × 20 GJ/t × 0.026 tC/GJ × 44/12 = 22,880 t, + January's extra 1,000 × 2 × 0.026 × 44/12 = 190.67
    assert out["streams"][0]["emissions_t"] == "23070.67"
    assert any("fuel_balance" in f for f in out["findings"])  # 900 bought vs 12,000 used − 100 from stock


def test_mrv_evidence_lists_late_and_missing_months_and_names_every_bad_row(tmp_path: Path) -> None:
    """National rules (40 days after the month's end, from April 2022, unverified), judged on 20 April 2023
    for generation and ncv: January is due 31 Jan + 40 = 12 March, February 28 Feb + 40 = 9 April, March
    31 Mar + 40 = 10 May (not yet due). U1: generation January on 12 March (on time), February on
    15 April (6 days late); ncv January not uploaded (empty cell: missing), February on 9 April (on
    time). U2 uploaded nothing: January and February missing for both items. 1 + 1 + 4 = 6 findings."""
    good = tmp_path / "evidence.csv"
    good.write_text("机组,月份,数据项,存证日期\nU1,1,generation,2023-03-12\nU1,2,generation,2023-04-15\nU1,1,ncv,\n"
                    "U1,2,ncv,2023-04-09\nU2,1,generation,\n", encoding="utf-8")
    args = ["mrv", "evidence", str(good), "--market", "CEA", "--year", "2023", "--today", "2023-04-20",
            "--items", "generation,ncv"]
    r = runner.invoke(app, [*args, "--json"])
    assert r.exit_code == 1 and "6 unit-month items late or missing" in r.stderr  # 6 findings over 2 units
    got = [(f["where"], f["check"]) for f in json.loads(r.stdout)]
    assert got == [("U1 2023-01 ncv", "evidence_missing"), ("U1 2023-02 generation", "evidence_late"),
                   ("U2 2023-01 generation", "evidence_missing"), ("U2 2023-01 ncv", "evidence_missing"),
                   ("U2 2023-02 generation", "evidence_missing"), ("U2 2023-02 ncv", "evidence_missing")]
    assert "6 days after the due day 2023-04-09" in json.loads(r.stdout)[1]["message"]
    on_time = tmp_path / "on-time.csv"
    on_time.write_text("unit,month,item,uploaded\nU1,1,generation,2023-03-12\nU1,2,generation,2023-04-09\n",
                       encoding="utf-8")
    r = runner.invoke(app, ["mrv", "evidence", str(on_time), "--market", "CEA", "--year", "2023",
                            "--today", "2023-04-20", "--items", "generation", "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout) == []
    bad = tmp_path / "bad.csv"  # a month 13, a date that is none, a row twice: every row named, in one line
    bad.write_text("unit,month,item,uploaded\nU1,13,ncv,2023-03-01\nU1,2,ncv,2023-02-30\nU1,1,ncv,2023-03-01\n"
                   "U1,1,ncv,2023-03-02\n", encoding="utf-8")
    r = runner.invoke(app, ["mrv", "evidence", str(bad), "--market", "CEA", "--year", "2023"])
    assert r.exit_code == 1 and len(r.stderr.strip().splitlines()) == 1
    assert all(f"row {n}" in r.stderr for n in (2, 3, 5)) and "given twice" in r.stderr
    r = runner.invoke(app, [*args[:-1], "generation,coal_colour"])  # an item the rules do not name
    assert r.exit_code == 1 and "no monthly evidence item coal_colour" in r.stderr
    r = runner.invoke(app, ["mrv", "evidence", str(good), "--market", "CEA", "--year", "2021",
                            "--today", "2022-06-01"])  # no evidence rules for 2021: named, not a silent default
    assert r.exit_code == 1 and "no evidence rules for compliance year 2021" in r.stderr
