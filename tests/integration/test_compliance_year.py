"""The main job end to end on a small scenario: one compliance year of three markets through the
command line; every unit class conserved across the whole year; the report files exist and hold
the figures the run printed; a bad scenario file is refused with its place named."""

from __future__ import annotations

import json
import re
import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd
from sqlalchemy import text
from typer.testing import CliRunner

from openets.cli.app import app
from openets.services.queries import RegistryQueries
from openets.simulation.schema import BUNDLED
from openets.storage.db import make_engine

SMALL = {"companies = 600": "companies = 30", "companies = 310": "companies = 24", "companies = 300": "companies = 24",
         "companies = 150": "companies = 12", "orders_per_day = 400": "orders_per_day = 150",
         "trading_days = 40": "trading_days = 4", "trading_days = 30": "trading_days = 4",
         "orders_per_day = 800": "orders_per_day = 150", "orders_per_day = 750": "orders_per_day = 150"}


def small_scenario(tmp: Path) -> Path:
    text = (BUNDLED / "pilots-2016.toml").read_text(encoding="utf-8")
    for a, b in SMALL.items():
        text = text.replace(a, b)
    shutil.copy(BUNDLED / "pilots-2016-rules.toml", tmp / "pilots-2016-rules.toml")
    path = tmp / "small.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_small_year_end_to_end(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'year.db'}"
    report = tmp_path / "report"
    r = CliRunner().invoke(app, ["run", str(small_scenario(tmp_path)), "--db", db, "--report", str(report), "--json"])
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["conserved"] and [m["market"] for m in out["markets"]] == ["BJ", "SH", "HB", "CEA"]
    totals = RegistryQueries(make_engine(db)).totals()
    assert totals and all(t.conserved for t in totals)  # allowances of each market and every CCER vintage
    assert len(totals) == out["unit_classes"]
    by = {m["market"]: m for m in out["markets"]}
    assert all(m["orders"] > 0 and m["trades"] > 0 for m in out["markets"])
    assert by["HB"]["offsets_t"] > 0 and by["SH"]["offsets_t"] == 0  # only Hubei's rules let credits count here
    assert out["auctions"]["SH"]["reserve_fen"] <= 4200  # min(1.2 × VWAP, 42 yuan)
    for m in out["markets"]:
        rate = float(m["compliance"].split()[0])
        assert 50 <= rate <= 100
    # block agreement trades where the rules have them, each of the rules' size (national: ≥ 100,000 t)
    with make_engine(db).connect() as conn:
        blocks = conn.execute(text("SELECT market, quantity FROM trades WHERE mode = 'block'")).all()
    assert blocks and all(q >= (100_000 if mk == "CEA" else 10_000) for mk, q in blocks)
    # the report: files, and the same totals in the workbook and the page
    names = {Path(f).name for f in out["files"]}
    assert {"report.html", "report.xlsx", "prices.png", "compliance.png", "kline-BJ.png"} <= names
    wb = openpyxl.load_workbook(report / "report.xlsx")
    ws = wb["Markets 市场"]
    # headers 中文 / English; the English half names the figure, numbers are numbers (rates as fractions)
    head = [str(c.value).split(" / ")[1] for c in ws[1]]
    rows = {r[0]: dict(zip(head, r)) for r in ws.iter_rows(min_row=2, values_only=True)}
    for code, m in by.items():
        assert rows[code]["allocated (t)"] == m["allocated_t"] and rows[code]["surrendered (t)"] == m["surrendered_t"]
        assert rows[code]["trades"] == m["trades"]
        assert Decimal(str(rows[code]["compliance rate"])) == Decimal(m["compliance"].split()[0]) / 100
    assert rows["BJ"]["banked (t)"] == by["BJ"]["allocated_t"] - by["BJ"]["surrendered_t"]  # no auction, no offsets
    companies = list(wb["Companies 企业"].iter_rows(min_row=2, values_only=True))
    assert len(companies) == 30 + 24 + 24 + 12
    page = (report / "report.html").read_text(encoding="utf-8")
    for code, m in by.items():
        assert f"<th>{code}</th>" in page and f"<td>{m['allocated_t']:,}</td>" in page  # markets are the columns
    assert page.count("data:image/png;base64,") >= 5
    assert page.count("<h3>数据质量处罚 · Data-quality sanctions</h3>") == len(by)  # one per market (none found)
    # the public list and the per-company data through the compliance commands
    for code, m in by.items():
        year = "2019" if code == "CEA" else "2016"  # the national market's year is 2019 (it listed no one before)
        r = CliRunner().invoke(app, ["compliance", "published", "--market", code, "--year", year, "--db", db, "--json"])
        assert r.exit_code == 0, r.stderr
        listed = [p for p in json.loads(r.stdout) if p["kind"] == "listed"]
        assert len(listed) == m["listed"]
    r = CliRunner().invoke(app, ["compliance", "public-data", "--market", "HB", "--year", "2016", "--at", "2017-08-05",
                                 "--rules", str(tmp_path / "pilots-2016-rules.toml"), "--db", db, "--json"])
    assert r.exit_code == 0, r.stderr
    rows = json.loads(r.stdout)
    assert len(rows) == 24 and sum(x["surrendered_offsets"] for x in rows) >= by["HB"]["offsets_t"]
    assert all(x["name"] for x in rows)  # the company's name beside its credit code
    for suffix in (".csv", ".xlsx"):  # the same table as a file: typed columns, every company
        out_file = tmp_path / f"public{suffix}"
        r = CliRunner().invoke(app, ["compliance", "public-data", "--market", "HB", "--year", "2016", "--at",
                                     "2017-08-05", "--rules", str(tmp_path / "pilots-2016-rules.toml"), "--db", db,
                                     "--out", str(out_file), "--json"])
        assert r.exit_code == 0, r.stderr
        df = pd.read_csv(out_file, encoding="utf-8-sig") if suffix == ".csv" else pd.read_excel(out_file)
        assert len(df) == 24 and pd.api.types.is_integer_dtype(df["分配配额 (吨) / allocated (t)"])
        assert df["分配配额 (吨) / allocated (t)"].sum() == sum(x["allocated"] for x in rows)
        assert pd.api.types.is_numeric_dtype(df["核查排放 (吨) / verified emissions (tCO2e)"])


def test_bad_scenario_files_are_named(tmp_path: Path) -> None:
    path = small_scenario(tmp_path)
    for broken, expect in ((("companies = 30", "companies = 1"), "markets.0.companies"),
                           (("price_yuan = \"50.00\"", "price_yuan = \"free\""), "markets.0.price_yuan"),
                           (("code = \"BJ\"", "code = \"XX\""), "XX"),
                           (("[scenario]", "[scenari]"), "scenario")):
        bad = tmp_path / "bad.toml"
        bad.write_text(path.read_text(encoding="utf-8").replace(*broken), encoding="utf-8")
        r = CliRunner().invoke(app, ["run", str(bad), "--db", f"sqlite:///{tmp_path / 'bad.db'}", "--json"])
        assert r.exit_code == 1 and "Traceback" not in r.stderr
        line = r.stderr.strip().splitlines()
        assert len(line) == 1 and re.search(re.escape(expect), line[0]), r.stderr


def test_the_year_runs_again_over_its_own_database(tmp_path: Path) -> None:
    """``make demo`` twice: the second run replaces the first one's database. Its agents' refused orders
    are in the audit trail as the exchange writes them (the user, no source): not a person's act through
    the API, the dashboard or the CLI, so the database is still the run's own, not a live registry (the
    second `make demo` of a fresh clone was refused: "users who have acted (bji00607-rep)")."""
    from openets.services.administration import live_registry
    from openets.services.exchange.base import INS_AUDIT, refusal_audit

    db = f"sqlite:///{tmp_path / 'year.db'}"
    path = str(small_scenario(tmp_path))
    first = CliRunner().invoke(app, ["run", path, "--db", db, "--report", str(tmp_path / "r1"), "--json"])
    assert first.exit_code == 0, first.stderr
    eng = make_engine(db)
    try:
        with eng.begin() as c:  # the exchange's own row for a refused order (the full demo writes hundreds)
            user = c.execute(text("SELECT user_name FROM representatives LIMIT 1")).scalar_one()
            c.execute(INS_AUDIT, [refusal_audit("BEA-2016", user, 1, "available_balance", 0)])
        assert live_registry(eng) is None
    finally:
        eng.dispose()
    again = CliRunner().invoke(app, ["run", path, "--db", db, "--report", str(tmp_path / "r2"), "--json"])
    assert again.exit_code == 0, again.stderr
    assert json.loads(again.stdout)["conserved"]
    # one act of that user through the CLI (its row has a source) and the database is a live registry
    from openets.core.clock import SystemClock
    from openets.services.audit import audit_row
    from openets.storage import tables as t

    eng = make_engine(db)
    try:
        with eng.begin() as c:
            user = c.execute(text("SELECT user_name FROM representatives LIMIT 1")).scalar_one()
            c.execute(t.audit_log.insert(), [audit_row(SystemClock(), user=user, role="company", source="cli",
                                                       method="CLI", path="openets market submit …", status=200,
                                                       action="market.submit", answer="ok")])
        assert live_registry(eng) == f"users who have acted ({user})"
    finally:
        eng.dispose()
