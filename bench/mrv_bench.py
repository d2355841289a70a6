"""MRV figures: annual reports for 10,000 companies × 12 months × 10 fuel streams, computed and
quality-checked; and reading one company's Excel report.

    python bench/mrv_bench.py [--quick]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import openpyxl  # noqa: E402

from openets.mrv import quality  # noqa: E402
from openets.mrv.accounting import Stream, emissions, resolve, totals  # noqa: E402
from openets.mrv.factors import Factor, default_factors  # noqa: E402
from openets.services.mrv import read_report, write_template  # noqa: E402

FUELS = ["natural_gas", "diesel", "fuel_oil", "gasoline"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    companies = 1_000 if ap.parse_args().quick else 10_000
    rng = random.Random(7)
    table = default_factors()
    coal = {"ncv": Factor(Decimal("20.908"), "GJ/t", "lab", "measured"),
            "carbon_content": Factor(Decimal("26.18"), "tC/TJ", "lab", "measured"),
            "oxidation": Factor(Decimal("98"), "percent", "lab", "measured")}
    data = []
    for c in range(companies):
        for s in range(10):
            if s < 4:
                st = Stream(f"C{c}", f"C{c}-S{s}", "combustion", "10**4 Nm3" if FUELS[s] == "natural_gas" else "t",
                            fuel=FUELS[s])
            elif s < 9:
                st = Stream(f"C{c}", f"C{c}-S{s}", "combustion", "t", fuel="coal", measured=coal)
            else:
                st = Stream(f"C{c}", f"C{c}-S{s}", "electricity", "MWh")
            base = rng.randint(100, 10_000)
            monthly = [(m, Decimal(round(base * rng.uniform(0.85, 1.15)))) for m in range(1, 13)]
            data.append((st, monthly))
    t0 = time.perf_counter()
    rows, findings = [], []
    for st, monthly in data:
        r = resolve(st, table, year=2021)
        findings += quality.month_rows(st.stream_id, monthly)
        by_month = dict(monthly)
        findings += quality.identical_neighbours(st.stream_id, by_month)
        findings += quality.jumps(st.stream_id, by_month)
        rows.append(emissions(r, by_month))
    per = totals(rows)
    elapsed = time.perf_counter() - t0
    assert len(per) == companies
    print(f"MRV: {companies:,} companies × 12 months × 10 streams computed and checked in {elapsed:.2f} s "
          f"(target < 10 s); {len(findings):,} findings")

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "report.xlsx"
        write_template(path)
        wb = openpyxl.load_workbook(path)
        ws, act = wb["排放源 streams"], wb["活动数据 activity"]  # the template's bilingual sheet names
        ws.delete_rows(2, ws.max_row)
        act.delete_rows(2, act.max_row)
        for s in range(10):
            fuel = FUELS[s % 4]
            ws.append(["I1", f"S{s}", "combustion", fuel, "10**4 Nm3" if fuel == "natural_gas" else "t"] + [""] * 9)
            for m in range(1, 13):
                act.append([f"S{s}", m, rng.randint(100, 10_000), ""])
        wb.save(path)
        t0 = time.perf_counter()
        report = read_report(path, year=2021)
        elapsed = time.perf_counter() - t0
        assert len(report.streams) == 10
        print(f"MRV: one company's Excel report (10 streams × 12 months) read and computed in {elapsed:.2f} s "
              "(target < 1 s)")


if __name__ == "__main__":
    main()
