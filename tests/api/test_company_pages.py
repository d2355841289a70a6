"""A covered company's pages on a real database, through the app: holdings with serial blocks, the
statement (counter account and holder, balance after, paged, CSV), transfer and surrender through
the confirmation step (a double submit moves once; refusals in one translated line), obligations with
deadline and days left, orders with their trade confirmations, an MRV workbook uploaded with its
status and findings — and another company's account, order or report answered 404 as a page.

The world (tests/api/conftest.py, build_world): Beijing, 1,000,000 t of BEA-2016 issued, companies
0 and 1 allocated 10,000 t each in that order, from the top of the issuance block: company 0 holds
serials 990,001–1,000,000 and company 1 980,001–990,000; the clock is 2017-06-01 10:00 Beijing time."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from tests.api.conftest import PW
from tests.cli.test_mrv_cli import GAS, filled

from openets.services.queries import RegistryQueries
from openets.services.reports import ReportService
from openets.web.pages import COOKIE

CO0, CO1 = "BJ-C00000", "BJ-C00001"


@pytest.fixture
def site(make_api):  # type: ignore[no-untyped-def]
    def setup(w):  # type: ignore[no-untyped-def]
        # company 0's 2016 emissions, set by the regulator: 10,000 t owed (Beijing: one allowance a tonne)
        ReportService(w.svc).determine_missing(w.reg, market="BJ", year=2016, company="BJ-REG-00000",
                                               emissions=Decimal("10000"))

    c, w = make_api(("BJ-co-0", "BJ-co-1"), setup)
    return c, w


def as_user(c: TestClient, user: str) -> TestClient:
    c.cookies.clear()
    r = c.post("/ui/login", data={"username": user, "password": PW}, follow_redirects=False)
    assert r.status_code == 303, r.text
    c.cookies.set(COOKIE, r.cookies[COOKIE])
    return c


def review_and_confirm(c: TestClient, kind: str, form: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The review page and the hidden form its confirm button posts (the client key with it)."""
    import re

    r = c.post(f"/ui/company/{kind}/review", data=form)
    assert r.status_code == 200, r.text
    hidden = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">', r.text))
    assert len(hidden["key"]) == 32
    return r.text, hidden


def test_holdings_show_each_accounts_serial_blocks(site) -> None:  # type: ignore[no-untyped-def]
    c, _ = site
    html = as_user(c, "BJ-co-0").get("/ui/company/holdings").text
    assert CO0 in html and "990,001–1,000,000" in html and "980,001" not in html  # its own block, not company 1's
    assert 'href="/ui/company/holdings"' in html and 'href="/ui/company/surrender"' in html  # in the navigation
    assert "持仓与序列号" in html
    assert "Holdings and serials" in c.get("/ui/company/holdings?lang=en").text


def test_transfer_confirmation_names_the_receiver_and_a_double_submit_moves_once(site, engine) -> None:  # type: ignore[no-untyped-def]
    c, _ = site
    as_user(c, "BJ-co-0")
    page, hidden = review_and_confirm(c, "transfer", {"from_account": CO0, "to_account": CO1, "unit_class": "BEA-2016",
                                                      "quantity": "300"})
    assert CO1 in page and "企业1" in page and "300" in page and "10,000 → 9,700" in page  # available before → after
    keyless = c.post("/ui/company/transfer", data={**hidden, "key": ""})  # no key: a double submit could move twice
    assert keyless.status_code == 422  # refused (the balances below show nothing moved)
    first = c.post("/ui/company/transfer", data=hidden)
    second = c.post("/ui/company/transfer", data=hidden)  # the same key: a replay
    assert first.status_code == second.status_code == 200
    assert "已完成" in first.text and "重复提交" in second.text
    q = RegistryQueries(engine)
    assert [b.total for b in q.balances(CO0)] == [9_700] and [b.total for b in q.balances(CO1)] == [10_300]
    # the statement: newest first, the counter account with its holder, the balance after each line
    st = c.get(f"/ui/company/statement/{CO0}").text
    assert st.index("-300") < st.index("+10,000")
    assert "9,700" in st and CO1 in st and "企业1" in st and "BJ-ISSUANCE" in st and "转移" in st
    csv = c.get(f"/ui/company/statement/{CO0}/export.csv")
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.lstrip("\ufeff").splitlines()
    # one language, the page's: the Chinese page's file in Chinese, headers and transaction types alike
    assert len(lines) == 3 and lines[1].endswith(f"转移,BEA-2016,-300,9700,{CO1},企业1")
    assert lines[0].startswith("时间 (北京时间)") and "类别" in lines[0] and "time" not in lines[0].lower()
    en = c.get(f"/ui/company/statement/{CO0}/export.csv?lang=en").text.lstrip("\ufeff").splitlines()
    assert en[0].startswith("Time (Beijing time)") and en[1].endswith(f"transfer,BEA-2016,-300,9700,{CO1},企业1")


def test_statement_is_paged(site, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import openets.web.company_pages as cp

    c, _ = site
    monkeypatch.setattr(cp, "PER_PAGE", 2)
    as_user(c, "BJ-co-0")
    for qty in ("1", "2"):  # three lines in all: the allocation and two transfers
        _, hidden = review_and_confirm(c, "transfer", {"from_account": CO0, "to_account": CO1,
                                                       "unit_class": "BEA-2016", "quantity": qty})
        c.post("/ui/company/transfer", data=hidden)
    one, two = c.get(f"/ui/company/statement/{CO0}").text, c.get(f"/ui/company/statement/{CO0}?page=2").text
    assert "1 / 2" in one and "9,997" in one and "+10,000" not in one  # 10,000 − 1 − 2 after the newest
    assert "+10,000" in two and "9,997" not in two


def test_refusals_are_one_translated_line_on_the_form(site, engine) -> None:  # type: ignore[no-untyped-def]
    c, _ = site
    as_user(c, "BJ-co-0")
    form = {"from_account": CO0, "to_account": CO1, "unit_class": "BEA-2016", "quantity": "20000"}
    _, hidden = review_and_confirm(c, "transfer", form)  # the review warns; the registry decides
    r = c.post("/ui/company/transfer?lang=en", data=hidden)
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
    assert 'id="error">Refused: not enough units available [available_balance]</p>' in r.text
    r = c.post("/ui/company/transfer/review", data={**form, "quantity": "1.5"})
    assert r.status_code == 422 and r.text.count('class="err"') == 1
    assert "Refused: whole tonnes only [quantity_not_whole]" in r.text
    r = c.post("/ui/company/transfer/review", data={**form, "to_account": "BJ-NOPE"})  # English: remembered
    assert r.status_code == 422 and "Refused: not found (no such account, unit class or number) [not_found]" in r.text
    assert [b.total for b in RegistryQueries(engine).balances(CO0)] == [10_000]  # nothing moved


def test_surrender_states_the_obligation_before_and_after_and_the_status_changes(site, engine) -> None:  # type: ignore[no-untyped-def]
    c, _ = site
    as_user(c, "BJ-co-0")
    ob = c.get("/ui/company/obligations").text
    # Beijing 2016: owed 10,000, nothing surrendered; the deadline 15 June 2017 (end of that day, Beijing
    # time), from 1 June: 15 − 1 = 14 days left
    assert "2017-06-15" in ob and '<td class="days">14</td>' in ob and "待清缴" in ob
    form = {"from_account": CO0, "unit_class": "BEA-2016", "quantity": "6000", "compliance_year": "BJ 2016"}
    page, hidden = review_and_confirm(c, "surrender", form)
    assert '<td class="l" id="surr">0 → 6,000</td>' in page
    assert '<td class="l" id="gap">10,000 → 4,000</td>' in page  # 10,000 owed − 6,000
    assert "待清缴" in c.get("/ui/company/obligations").text  # nothing happens before the confirmation
    assert "已完成" in c.post("/ui/company/surrender", data=hidden).text
    c.post("/ui/company/surrender", data=hidden)  # a double submit
    ob = c.get("/ui/company/obligations").text
    assert "6,000" in ob and "4,000" in ob and "待清缴" in ob  # surrendered once: 4,000 still short
    _, hidden = review_and_confirm(c, "surrender", {**form, "quantity": "4000"})
    c.post("/ui/company/surrender", data=hidden)
    ob = c.get("/ui/company/obligations?lang=en").text
    assert '<td class="l status">compliant</td>' in ob
    assert "compliant" in c.get("/ui/me").text.split('id="obligations"')[1]  # the same obligation on the home page
    with engine.connect() as conn:  # each confirmation has its audit row, named with its user; the replay too
        rows = conn.execute(text("SELECT user_name, status FROM audit_log WHERE path = '/ui/company/surrender'")).all()
    assert [tuple(r) for r in rows] == [("BJ-co-0", 200)] * 3


def test_orders_and_trade_confirmations(site) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from openets.services.exchange import open_exchange

    c, w = site
    seller, buyer = w.companies
    w.svc.clock.at = datetime(2017, 6, 6, 2, 0, tzinfo=UTC)  # Tuesday 10:00 in Beijing: trading
    ex = open_exchange(w.svc, "BEA-2016")
    ex.deposit(buyer, 100_000_000)
    sell = ex.submit(seller, account=CO0, side="sell", quantity=100, price_fen=5000)
    buy = ex.submit(buyer, account=CO1, side="buy", quantity=60, price_fen=5000)
    as_user(c, "BJ-co-0")
    html = c.get("/ui/company/orders").text
    assert f'data-id="{sell.order_id}"' in html and f'data-id="{buy.order_id}"' not in html
    assert "成交回报" in html and "3,000.00" in html  # 60 t × 50.00 yuan
    one = c.get(f"/ui/company/orders/{sell.order_id}").text
    assert "卖出" in one and "100" in one and "60" in one and "50.00" in one and "2017-06-06 10:00" in one
    other = c.get(f"/ui/company/orders/{buy.order_id}")  # company 1's order
    assert other.status_code == 404 and other.headers["content-type"].startswith("text/html")


def test_mrv_workbook_upload_shows_status_and_findings(site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    c, _ = site
    as_user(c, "BJ-co-1")
    book = filled(tmp_path, [GAS], [["gas-1", m, 100 / 12, ""] for m in range(1, 13)])
    r = c.post("/ui/company/reports", data={"market": "BJ", "year": "2016"},
               files={"workbook": ("report.xlsx", book.read_bytes())}, follow_redirects=False)
    assert r.status_code == 303, r.text
    shown = c.get(r.headers["location"]).text
    # 100 (10⁴ Nm³) of natural gas: 2,165.015… t, shown half-up to 0.01 t (the CLI's case, test_mrv_cli)
    assert '<td class="l" id="state">已提交</td>' in shown and "2165.02 tCO2e" in shown and "企业1" in shown
    assert "identical_to_previous_month" in shown  # the data-quality warnings go with the report
    rid = r.headers["location"].rsplit("/", 1)[1]
    assert f'data-id="{rid}"' in c.get("/ui/company/reports").text
    bad = c.post("/ui/company/reports", data={"market": "BJ", "year": "2016"},
                 files={"workbook": ("report.xlsx", b"not a workbook")})
    assert bad.status_code == 422 and bad.text.count('class="err"') == 1
    as_user(c, "BJ-co-0")
    assert c.get(f"/ui/company/reports/{rid}").status_code == 404  # company 1's report
    assert f'data-id="{rid}"' not in c.get("/ui/company/reports").text


def test_another_companys_account_is_not_found(site) -> None:  # type: ignore[no-untyped-def]
    c, _ = site
    as_user(c, "BJ-co-0")
    for url in (f"/ui/company/statement/{CO1}", f"/ui/company/statement/{CO1}/export.csv"):
        r = c.get(url)
        assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    r = c.post("/ui/company/transfer/review", data={"from_account": CO1, "to_account": CO0, "unit_class": "BEA-2016",
                                                    "quantity": "1"})
    assert r.status_code == 422 and "未找到" in r.text  # not "forbidden": numbers cannot be probed
    assert c.get("/ui/company/holdings", follow_redirects=False).status_code == 200
    c.cookies.clear()
    assert c.get("/ui/company/holdings", follow_redirects=False).status_code == 303  # to the login page
