"""Lab files: a good one read with English and with Chinese headers; a bad one refused with every
problem named by file, row and column header as written (all of them, not the first)."""

from __future__ import annotations

from fractions import Fraction as F
from pathlib import Path

import pytest

from openets.core.errors import DomainError
from openets.simulation.labfile import load_lab

HEAD = """[lab]
name = "t"
market = "CEA"
years = [2021]
trading_days = 20
penalty_yuan = "200"
firms = "{firms}"
"""


def write(tmp: Path, table: str, head: str = HEAD, name: str = "firms.csv") -> Path:
    (tmp / name).write_text(table, encoding="utf-8")
    lab = tmp / "lab.toml"
    lab.write_text(head.format(firms=name), encoding="utf-8")
    return lab


def test_good_file_english_and_chinese(tmp_path: Path) -> None:
    lab = load_lab(write(tmp_path, "firm_id,sector,bau_t,allocation_t,mac_slope\nA,cement,1000,900,0.5\n"
                                   "B,cement,1000.2,800,1\n"))
    assert [f.firm_id for f in lab.firms] == ["A", "B"]
    assert lab.firms[1].bau == 1001  # 1,000.2 t rounded up to whole tonnes
    zh = load_lab(write(tmp_path, "企业编号,行业,基准情景排放,基准值,产量,边际减排成本曲线\n"
                                  "C1,水泥,2000000,0.8534,2000000,100000:20；300000:60\n", name="zh.csv"))
    c = zh.firms[0]
    # 0.8534 × 2,000,000 = 1,706,800 t (benchmark × output)
    assert c.allocation == 1_706_800 and c.points == ((F(100_000), F(20)), (F(300_000), F(60)))
    assert zh.firms_of(0)[0].allocation == 1_706_800


def test_every_problem_named(tmp_path: Path) -> None:
    table = ("企业编号,sector,bau_t,配额,benchmark,output,mac_slope,mac_points\n"
             "A,cement,abc,900,,,0.5,\n"        # row 2: BAU not a number
             "B,,1000,900,0.8,10,,\n"           # row 3: sector empty, both allocations, no MAC
             "A,power,1000,900,,,-1,\n"         # row 4: A again, a negative slope
             "D,power,1000,,,,,5:1;3:2\n")      # row 5: no allocation, falling points
    with pytest.raises(DomainError) as err:
        load_lab(write(tmp_path, table))
    msg = err.value.message
    assert msg.startswith("8 problems, nothing run: ")
    for part in ("firms.csv row 2, column \"bau_t\": 'abc' is not a number",
                 "firms.csv row 3, column \"sector\": empty",
                 'firms.csv row 3: give column "配额" or column "benchmark" and column "output", not both',
                 'firms.csv row 3: give the MAC as column "mac_slope" or column "mac_points"',
                 "firms.csv row 4, column \"mac_slope\": '-1' is below the minimum 0",
                 'firms.csv row 4, column "企业编号": A again (first at firms.csv row 2)',
                 "firms.csv row 5: no allocation",
                 'firms.csv row 5, column "mac_points": MAC points rise'):
        assert part in msg, part


def test_bad_head_every_field(tmp_path: Path) -> None:
    head = '[lab]\nname = "t"\nyears = [2021, 2023]\ntrading_days = 0\npenalty_yuan = "-1"\nfirms = "{firms}"\nbogus = 1\n'
    with pytest.raises(DomainError) as err:
        load_lab(write(tmp_path, "firm_id,sector,bau_t,allocation_t,mac_slope\nA,c,1,1,1\n", head=head))
    msg = err.value.message
    assert "lab.trading_days" in msg and "lab.penalty_yuan" in msg and "lab.bogus" in msg
    assert msg.startswith("4 problems") or msg.startswith("3 problems")


def test_excel_firms_sheet_with_chinese_headers(tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "企业"
    ws.append(["企业编号", "行业", "基准情景排放", "配额", "边际减排成本斜率"])
    ws.append(["A", "水泥", 1800000, 1700000, 0.0005])
    ws.append(["B", "水泥", 3200000, "x", 0.0005])
    wb.save(tmp_path / "firms.xlsx")
    (tmp_path / "lab.toml").write_text(HEAD.format(firms="firms.xlsx"), encoding="utf-8")
    with pytest.raises(DomainError) as err:
        load_lab(tmp_path / "lab.toml")
    assert err.value.message == "1 problem, nothing run: firms.xlsx:企业 row 3, column \"配额\": 'x' is not a number"
    ws["D3"] = 3410000
    wb.save(tmp_path / "firms.xlsx")
    lab = load_lab(tmp_path / "lab.toml")
    assert [(f.firm_id, f.bau, f.allocation, f.slope) for f in lab.firms] == [
        ("A", 1_800_000, 1_700_000, F(5, 10_000)), ("B", 3_200_000, 3_410_000, F(5, 10_000))]
