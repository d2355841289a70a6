"""Every file kind the system reads: a file with three bad rows, each bad in a different column, is
refused in one line that names all three rows under the headers the user wrote — once with English
headers, once with Chinese ones — and nothing is written (the database's digest is unchanged, no
output file appears). One message shape everywhere: ``row N, column "header": …`` (services/tabular.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from openets.cli.app import app
from openets.services.database import make_engine as open_engine
from openets.testing.builders import build_world
from openets.testing.digest import digest

runner = CliRunner()
RULES = Path(__file__).parents[2] / "src/openets/rules/data/auctions/shanghai-2017.toml"


def _csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    path.write_text(",".join(header) + "\n" + "".join(",".join(r) + "\n" for r in rows), encoding="utf-8")
    return path


# kind → (file name, English header, Chinese header, rows, the three (row, column index) that are bad,
#         the command after the file's path). Row numbers count the header as row 1.
CASES: dict[str, Any] = {
    "registry parties": (
        "parties.csv", ["ref", "kind", "name", "market", "region"], ["编号", "类型", "名称", "市场", "地区代码"],
        [["p1", "emperor", "甲", "BJ", "110101"],   # row 2: kind
         ["p2", "company", "乙", "XX", "110101"],   # row 3: market
         ["p3", "company", "丙", "BJ", "11"],       # row 4: region
         ["p4", "company", "丁", "BJ", "110101"]],  # row 5: good
        [(2, 1), (3, 3), (4, 4)], ["registry", "import", "--kind", "parties", "--as", "{REG}"]),
    "registry accounts": (
        "accounts.csv", ["number", "party_ref", "market", "type"], ["账户号", "企业编号", "市场", "账户类型"],
        [["A-1", "nobody", "BJ", "holding"], ["A-2", "{PARTY}", "XX", "holding"], ["A-3", "{PARTY}", "BJ", "bogus"]],
        [(2, 1), (3, 2), (4, 3)], ["registry", "import", "--kind", "accounts", "--as", "{REG}"]),
    "registry issuances": (
        "issuances.csv", ["key", "unit_class", "account", "quantity"], ["业务编号", "配额类别", "账户", "数量"],
        [["k1", "NOPE-1", "{ACC}", "10"], ["k2", "{UC}", "BJ-NONE", "10"], ["k3", "{UC}", "{ACC}", "-5"]],
        [(2, 1), (3, 2), (4, 3)], ["registry", "import", "--kind", "issuances", "--as", "{REG}"]),
    "allocation production": (
        "production.csv", ["company", "source_id", "sector", "output", "local_factor", "history"],
        ["企业编号", "设施编号", "行业", "产量", "地方调整系数", "历史强度"],
        [["P1", "S1", "cement", "abc", "1", ""], ["P1", "S2", "cement", "10", "1e400", ""],
         ["P1", "S3", "cement", "10", "1", "0.9;x"]],
        [(2, 3), (3, 4), (4, 5)], ["allocation", "run", "--market", "CEA", "--year", "2019", "--propose",
                                   "--as", "{REG}"]),
    "market replay": (
        "orders.csv", ["at", "instrument", "order_id", "party", "side", "price", "quantity"],
        ["时间", "交易品种", "委托编号", "交易主体", "方向", "价格", "数量"],
        [["2021-02-30T09:30", "CEA", "1", "10", "sell", "49", "100"],
         ["2021-07-16T09:30", "CEA", "x", "10", "sell", "49", "100"],
         ["2021-07-16T09:31", "CEA", "3", "10", "sideways", "49", "100"]],
        [(2, 0), (3, 2), (4, 4)], ["market", "replay"]),
    "auction bids": (
        "bids.csv", ["bidder", "bid_id", "price", "quantity", "at"], ["投标人", "申报编号", "价格", "数量", "时间"],
        [["b1", "a", "45", "100", "2017-06-30T09:35"], ["1", "b", "1e400", "100", "2017-06-30T09:35"],
         ["2", "c", "45", "9223372036854775808", "2017-06-30T09:35"]],
        [(2, 0), (3, 2), (4, 3)], ["auction", "clear", "--rules", str(RULES), "--bids"]),
    "offset credits": (
        "credits.csv", ["id", "standard", "project_id", "project_type", "province", "county", "period_start",
                        "period_end", "quantity"],
        ["减排量编号", "标准", "项目编号", "项目类型", "省份", "区县", "减排起始日", "减排截止日", "数量"],
        [["c1", "CCER", "001", "rural_biogas", "42", "421123", "2014-13-01", "2014-12-31", "10"],
         ["c2", "CCER", "001", "rural_biogas", "42", "421123", "2014-01-01", "2014-12-31", "x"],
         ["c3", "CCER", "001", "rural_biogas", "42", "421123", "2014-01-01", "2014-02-30", "10"]],
        [(2, 6), (3, 8), (4, 7)], ["offsets", "check-eligibility", "--market", "HB", "--year", "2016",
                                   "--company", "HB1", "--basis", "500000", "--applied-on", "2017-06-15"]),
    "cap split": (
        "companies.csv", ["id", "weight"], ["编号", "权重"],
        [["A", "x"], ["B", "1"], ["B", "2"], ["C", "1e400"]],
        [(2, 1), (4, 0), (5, 1)], ["cap", "split", "--total", "100"]),
    "allocation changes": (
        "changes.csv", ["kind", "on", "company"], ["变更类型", "生效日期", "企业"],
        [["closure", "2019-13-01", "P1"], ["vanished", "2019-07-01", "P1"], ["closure", "2019-07-01", ""]],
        [(2, 1), (3, 0), (4, 2)], ["allocation", "run", "{PRODUCTION}", "--market", "CEA", "--year", "2019",
                                   "--changes"]),
    "lab firms": (
        "firms.csv", ["firm_id", "sector", "bau_t", "allocation_t", "mac_slope"],
        ["企业编号", "行业", "基准情景排放", "配额", "边际减排成本斜率"],
        [["A", "cement", "abc", "900", "0.5"], ["B", "cement", "1000", "x", "0.5"],
         ["C", "cement", "1000", "900", "0"], ["D", "cement", "1000", "900", "0.5"]],
        [(2, 2), (3, 3), (4, 4)], ["lab", "run", "{LAB}"]),
}
LAB = """[lab]
name = "t"
market = "CEA"
years = [2021]
trading_days = 20
penalty_yuan = "200"
firms = "firms.csv"
"""


def _bilingual_report(tmp_path: Path, zh: bool) -> tuple[Path, list[str]]:
    """An MRV workbook: three bad activity rows (month, quantity, stream) and the headers they used."""
    wb = openpyxl.Workbook()
    assert wb.active is not None
    wb.remove(wb.active)
    streams = wb.create_sheet("排放源 streams" if zh else "streams")
    streams.append(["设施", "排放源", "类型", "燃料", "活动数据单位"] if zh
                   else ["installation", "stream_id", "kind", "fuel", "activity_unit"])
    streams.append(["I1", "gas-1", "combustion", "natural_gas", "10**4 Nm3"])
    activity = wb.create_sheet("活动数据 activity" if zh else "activity")
    header = ["排放源", "月份", "活动数据"] if zh else ["stream_id", "month", "quantity"]
    activity.append(header)
    activity.append(["gas-1", 13, 5])      # row 2: month
    activity.append(["gas-1", 2, "x"])     # row 3: quantity
    activity.append(["nope", 3, 5])        # row 4: stream_id
    activity.append(["gas-1", 4, 5])       # row 5: good
    path = tmp_path / "report.xlsx"
    wb.save(path)
    return path, [f'row 2, column "{header[1]}"', f'row 3, column "{header[2]}"', f'row 4, column "{header[0]}"']


def _world(db_url: str) -> dict[str, str]:
    """A market BJ with its regulators, a unit class and one company with its account: the names the
    files refer to."""
    w = build_world(open_engine(db_url), companies=1)
    return {"REG": str(w.reg.user), "UC": w.unit_class.code, "ACC": w.accounts[0].number,
            "PARTY": "BJ-REG-00000"}


@pytest.mark.parametrize("zh", [False, True], ids=["english", "chinese"])
@pytest.mark.parametrize("kind", [*CASES, "mrv workbook"])
def test_three_bad_rows_all_named_under_the_users_headers(kind: str, zh: bool, db_url: str, tmp_path: Path) -> None:
    if kind == "mrv workbook":
        path, needles = _bilingual_report(tmp_path, zh)
        args = ["mrv", "calc", str(path), "--year", "2021"]
        uses_db = False
    else:
        name, en, cn, rows, bad, command = CASES[kind]
        header = cn if zh else en
        uses_db = "--as" in command
        names = _world(db_url) if uses_db else {}
        names["PRODUCTION"] = str(_csv(tmp_path / "production.csv", ["company", "source_id", "sector", "fuel",
                                                                     "capacity_mw", "cooling", "electricity_mwh"],
                                       [["P1", "U1", "power", "gas", "400", "water", "365000"]]))
        (tmp_path / "lab.toml").write_text(LAB, encoding="utf-8")
        names["LAB"] = str(tmp_path / "lab.toml")
        path = _csv(tmp_path / name, header, [[c.format(**names) for c in r] for r in rows])
        needles = [f'{name} row {n}, column "{header[c]}": ' for n, c in bad]
        args = [a.format(**names) for a in command]
        if kind != "lab firms":  # the lab file names its firms table; the command names the lab file
            args.append(str(path))
        if uses_db or command[:2] == ["allocation", "run"]:
            args += ["--db", db_url]
    before = digest(open_engine(db_url)) if uses_db else None
    result = runner.invoke(app, args)
    err = result.stderr.strip()
    assert result.exit_code == 1 and len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert err.startswith("error: 3 problems, nothing "), err
    for needle in needles:
        assert needle in err, (needle, err)
    places = [err.index(n) for n in needles]
    assert places == sorted(places), err  # in row order, whichever check found each
    assert result.stdout == ""
    if uses_db:
        assert digest(open_engine(db_url)) == before


def test_more_than_fifty_bad_rows_name_fifty_and_count_the_rest(tmp_path: Path) -> None:
    path = _csv(tmp_path / "companies.csv", ["编号", "权重"], [[f"c{i}", "x"] for i in range(57)])
    result = runner.invoke(app, ["cap", "split", str(path), "--total", "100"])
    err = result.stderr.strip()
    assert result.exit_code == 1 and err.startswith("error: 57 problems, nothing split: "), err
    assert 'companies.csv row 51, column "权重"' in err and "row 52," not in err
    assert err.endswith("; and 7 more [file_invalid]"), err
