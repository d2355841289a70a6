"""The public per-company table as CSV and Excel: pandas reads numbers as numbers, the status by name."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from openets.reports.public_data import write_public

ROWS = [{"market": "BJ", "company": "91110000A", "name": "北京某热电", "installations": "一号机组; 二号机组",
         "allocated": 120_000, "verified_emissions": "118500.250", "obligation": 118_501,
         "surrendered_allowances": 110_000, "surrendered_offsets": 5_000, "status": "late", "shortfall": 3_501},
        {"market": "BJ", "company": "91110000B", "name": "北京某水泥", "installations": "",
         "allocated": 80_000, "verified_emissions": "79000", "obligation": 79_000,
         "surrendered_allowances": 79_000, "surrendered_offsets": 0, "status": "compliant", "shortfall": 0}]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_public_table_loads_with_numeric_dtypes(tmp_path: Path, suffix: str) -> None:
    path = write_public(ROWS, tmp_path / f"public{suffix}", title="BJ 2016 public data")
    df = pd.read_csv(path, encoding="utf-8-sig") if suffix == ".csv" else pd.read_excel(path)
    assert list(df.columns[:4]) == ["市场 / market", "统一社会信用代码 / credit code", "企业名称 / company name",
                                    "设施 / installations"]
    for col in ("分配配额 (吨) / allocated (t)", "清缴配额 (吨) / surrendered allowances (t)", "缺口 (吨) / shortfall (t)"):
        assert pd.api.types.is_integer_dtype(df[col]), col
    assert pd.api.types.is_float_dtype(df["核查排放 (吨) / verified emissions (tCO2e)"])
    # shortfall = obligation − surrendered = 118,501 − (110,000 + 5,000) = 3,501 t, as given
    assert df["缺口 (吨) / shortfall (t)"].tolist() == [3_501, 0]
    assert Decimal(str(df["核查排放 (吨) / verified emissions (tCO2e)"][0])) == Decimal("118500.25")
    assert df["企业名称 / company name"].tolist() == ["北京某热电", "北京某水泥"]
    assert "compliant" in df["履约状态 / status"][1] and df["履约状态 / status"][1] != "compliant"  # 中文 name too


def test_other_suffix_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="write .csv or .xlsx"):
        write_public(ROWS, tmp_path / "x.pdf", title="t")
