"""The README's browse instructions on a demo-like database (the bundled scenario, small): `/` at the
README's time (OPENETS_NOW=2017-06-14T10:00, when the national market's CEA-2019 has no trading rules
yet) answers a page showing what exists; the dashboard's errors are pages, the API's problem details;
`mrv export` works on every report the year made, as .html and .xlsx; `mrv list` and `mrv show`."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from tests.integration.test_compliance_year import small_scenario
from typer.testing import CliRunner

from openets.cli.app import app as cli
from openets.core.clock import FixedClock
from openets.storage.db import make_engine

README_NOW = datetime(2017, 6, 14, 2, 0, tzinfo=UTC)  # 10:00 in Beijing


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    tmp = tmp_path_factory.mktemp("demo")
    db = f"sqlite:///{tmp / 'demo.db'}"
    r = CliRunner().invoke(cli, ["run", str(small_scenario(tmp)), "--db", db, "--report", str(tmp / "r"), "--json"])
    assert r.exit_code == 0, r.stderr
    return db


@pytest.fixture(scope="module")
def client(demo_db: str) -> TestClient:
    from openets.api.app import create_app

    return TestClient(create_app(make_engine(demo_db), secret="s" * 32, clock=FixedClock(README_NOW)))


def test_the_landing_page_at_the_readme_time_is_a_page(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    for code in ("BEA-2016", "SHEA-2016", "HBEA-2016", "CEA-2019"):  # every instrument, traded today or not
        assert f'href="/ui/market/{code}"' in r.text
    # the national market, without trading rules on 2017-06-14: its page says so, with no order form
    r = client.get("/ui/market/CEA-2019")
    assert r.status_code == 200 and 'id="closed"' in r.text and 'id="order"' not in r.text
    assert "该市场在此日期没有适用于该履约年度的规则" in r.text  # the refusal through the catalogue, in Chinese
    assert "no trading rules" in client.get("/ui/market/CEA-2019?lang=en").text  # in English with its detail
    client.cookies.delete("lang")  # ?lang=en is remembered in a cookie: back to the default
    # a market trading today: a book, a band
    r = client.get("/ui/market/BEA-2016")
    assert r.status_code == 200 and 'id="closed"' not in r.text
    # the tape in Beijing time: Beijing's sessions are 9:30–11:30 and 13:00–15:00 (UTC would show 01–07 h)
    hours = {int(h) for h in re.findall(r'<td class="l">2017-\d\d-\d\d (\d\d):\d\d</td>', r.text.split('id="tape"')[1])}
    assert hours and hours <= set(range(9, 16)), hours


def test_dashboard_errors_are_pages_and_api_errors_problem_details(client: TestClient) -> None:
    for url, status in (("/ui/nowhere", 404), ("/ui/market/NOPE-1", 404), ("/ui/compliance/BJ/1900", 422)):
        r = client.get(url)
        assert r.status_code == status and r.headers["content-type"].startswith("text/html"), url
        assert 'id="problem"' in r.text and "{" not in r.text.split('id="detail"')[1][:80]
    r = client.get("/market/NOPE-1/book")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"


def test_mrv_export_list_and_show_on_every_demo_report(demo_db: str, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENETS_LOCAL_ADMIN", "1")
    monkeypatch.setenv("OPENETS_CONFIG_DIR", str(tmp_path))
    run = CliRunner().invoke
    got = run(cli, ["mrv", "list", "--as", "bj-reg-1", "--db", demo_db, "--json"])
    assert got.exit_code == 0, got.stderr
    listed = json.loads(got.stdout)
    assert len(listed) == 30 and {r["market"] for r in listed} == {"BJ"}  # a regulator sees its market's
    assert all(r["company_name"].startswith("BJ") for r in listed)  # every company named
    engine = make_engine(demo_db)
    with engine.connect() as c:
        ids = [r[0] for r in c.execute(text("SELECT id FROM emission_reports ORDER BY id"))]
        regs = dict(c.execute(text("SELECT id, market FROM emission_reports")).all())
    assert len(ids) == 30 + 24 + 24 + 12  # one per company of the small year
    from openets.reports.mrv_report import write
    from openets.services.registry import RegistryService
    from openets.services.reports import ReportService

    reports = ReportService(RegistryService(engine))
    for rid in ids:  # what `mrv export` writes, for every report (power units, pilots, determined alike)
        got_ = reports.export_data(rid)
        for ext in ("html", "xlsx"):
            out = write(tmp_path / f"r{rid}.{ext}", got_.report, market=got_.market, streams=got_.streams,
                        indirect=got_.indirect)
            assert out.stat().st_size > 0
    for ext in ("html", "xlsx"):  # and the command itself
        r = run(cli, ["mrv", "export", str(ids[-1]), "--out", str(tmp_path / f"cli.{ext}"), "--db", demo_db])
        assert r.exit_code == 0, r.stderr
    # a non-power report's streams: activity = the months' sum, emissions = sum × factor (0.01 t half-up)
    wb = openpyxl.load_workbook(tmp_path / f"r{ids[0]}.xlsx")
    head = [c.value for c in wb["streams"][1]]
    first = dict(zip(head, next(wb["streams"].iter_rows(min_row=2, values_only=True))))
    with engine.connect() as c:
        stored = json.loads(c.execute(text("SELECT streams FROM emission_reports WHERE id = :i"), {"i": ids[0]}).scalar())
    s1 = stored[0]
    total = sum(Decimal(x) for x in s1["monthly"])
    assert Decimal(first["activity"]) == total
    assert Decimal(first["emissions (tCO2e)"]) == (total * Decimal(s1["tco2_per_unit"])).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP)
    # show: a regulator of the report's market sees it; a company another company's is not found
    rid = ids[0]
    reg = "bj-reg-1" if regs[rid] == "BJ" else None
    assert reg is not None
    r = run(cli, ["mrv", "show", str(rid), "--as", reg, "--db", demo_db, "--json"])
    assert r.exit_code == 0, r.stderr
    shown = json.loads(r.stdout)
    assert shown["company_name"] != "—" and [s["event"] for s in shown["trail"]][0] == "submit"
    other = next(i for i in ids if regs[i] == "BJ" and i != rid)
    r = run(cli, ["mrv", "show", str(other), "--as", "bjc00000-rep", "--db", demo_db])
    assert r.exit_code == 1 and "not found" in r.stderr


def test_the_compliance_year_paged_searched_sorted_and_exported(demo_db: str, client: TestClient) -> None:
    from openets.services.auth import AuthService
    from openets.services.registry import RegistryService

    AuthService(RegistryService(make_engine(demo_db))).set_password("bj-reg-1", "a long password")
    r = client.post("/ui/login", data={"username": "bj-reg-1", "password": "a long password"}, follow_redirects=False)
    cookies = {"openets_token": r.cookies["openets_token"]}
    page = client.get("/ui/compliance/BJ/2016", cookies=cookies)
    assert page.status_code == 200
    body = page.text
    assert 'id="deadline">2017-06-15<' in body and 'id="as-of">2017-06-14 10:00<' in body  # Beijing's deadline
    rows = body.split('id="statuses"')[1].split("</table>")[0].count("<tr>") - 1
    assert rows == 30  # the small year's 30 Beijing companies, all on one page of 50
    assert "BJ企业00007" in body and "BJC00007" in body  # named, with the code beside
    # search by a part of the name, then a status filter, then a sort
    one = client.get("/ui/compliance/BJ/2016", params={"q": "00007"}, cookies=cookies).text
    assert one.split('id="statuses"')[1].split("</table>")[0].count("<tr>") == 2
    csv = client.get("/ui/compliance/BJ/2016/export.csv", params={"sort": "shortfall"}, cookies=cookies)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.lstrip("\ufeff").strip().splitlines()
    # the page's files in the page's language (Chinese here), the CLI's and the reports' in both
    assert len(lines) == 31 and lines[0].startswith("企业名称,统一社会信用代码,履约状态")
    shortfalls = [int(x.rsplit(",", 1)[1]) for x in lines[1:]]
    assert shortfalls == sorted(shortfalls, reverse=True)  # the biggest gap first
    # the same table as a typed workbook: tonnes as integers, the deadline and the as-of time as dates
    xlsx = client.get("/ui/compliance/BJ/2016/export.xlsx", params={"sort": "shortfall"}, cookies=cookies)
    assert xlsx.status_code == 200 and xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    companies, year = pd.read_excel(io.BytesIO(xlsx.content), sheet_name=None).values()
    assert len(companies) == 30 and companies["缺口 (吨)"].tolist() == shortfalls
    assert pd.api.types.is_integer_dtype(companies["已清缴 (吨)"])
    assert year["履约截止日"][0] == pd.Timestamp(2017, 6, 15)  # Beijing's, as on the page
    assert year["数据截至"][0] == pd.Timestamp(2017, 6, 14)
    # the year's rates: the page's, from the same statuses as the companies' sheet
    shown = body.split('id="rate"')[1].split("</")[0] if 'id="rate"' in body else ""
    for col in ("按时履约率", "最终履约率", "按量履约率"):
        assert f"{year[col][0] * 100:.1f} %" in shown, (col, shown)
    en = client.get("/ui/compliance/BJ/2016/export.xlsx", params={"lang": "en"}, cookies=cookies)
    en_companies, _ = pd.read_excel(io.BytesIO(en.content), sheet_name=None).values()
    assert list(en_companies.columns)[:3] == ["company name", "credit code", "status"]
    assert set(en_companies["status"]) <= {"compliant", "compliant late", "late", "non-compliant", "due"}
    client.cookies.delete("lang")  # the rest in Chinese
    assert 'id="xlsx"' in body
    # the public sees the published list only, and no export
    client.cookies.clear()
    assert client.get("/ui/compliance/BJ/2016/export.csv").status_code == 403
    assert client.get("/ui/compliance/BJ/2016/export.xlsx").status_code == 403
    assert 'id="statuses"' not in client.get("/ui/compliance/BJ/2016").text


def test_the_compliance_commands_name_each_company(demo_db: str, tmp_path: Path) -> None:
    run = CliRunner().invoke
    r = run(cli, ["compliance", "status", "--market", "BJ", "--year", "2016", "--at", "2017-06-14T10:00", "--db", demo_db,
                  "--json"])
    assert r.exit_code == 0, r.stderr
    rows = json.loads(r.stdout)
    assert len(rows) == 30 and all(x["company_name"] == "BJ企业" + x["company"][3:] for x in rows)
    book = tmp_path / "bj-2016.xlsx"  # --xlsx: the compliance page's workbook from the command line
    r = run(cli, ["compliance", "status", "--market", "BJ", "--year", "2016", "--at", "2017-06-14T10:00", "--db", demo_db,
                  "--xlsx", str(book), "--json"])
    assert r.exit_code == 0, r.stderr
    companies, year = pd.read_excel(book, sheet_name=None).values()
    assert companies["企业名称 / company name"].tolist() == [x["company_name"] for x in rows]
    assert companies["缺口 (吨) / shortfall (t)"].tolist() == [x["shortfall"] for x in rows]
    assert pd.api.types.is_integer_dtype(companies["缺口 (吨) / shortfall (t)"])
    assert year["数据截至 / as of"][0] == pd.Timestamp(2017, 6, 14)
    r = run(cli, ["compliance", "status", "--market", "BJ", "--year", "2016", "--db", demo_db, "--xlsx", str(tmp_path)])
    assert r.exit_code == 1 and r.stderr.startswith("error: --xlsx") and len(r.stderr.strip().splitlines()) == 1
    r = run(cli, ["compliance", "published", "--market", "BJ", "--year", "2016", "--db", demo_db, "--json"])
    assert r.exit_code == 0, r.stderr
    assert all(x["company_name"].startswith("BJ企业") for x in json.loads(r.stdout))
