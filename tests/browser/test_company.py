"""A company's job in a real browser: it finds its 2016 obligation due, surrenders through the
confirmation step (which states the obligation before and after), and sees the status change to
compliant; its statement shows the surrender with the balance after."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from tests.browser.test_dashboard import PW, page, server  # noqa: F401  (fixtures)


def test_company_surrenders_through_the_confirmation_and_sees_its_status_change(server, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    from openets.services.reports import ReportService

    base, w = server  # company 1 holds 10,300 t of BEA-2016 (10,000 allocated + 300 bought); Tuesday 6 June 2017
    ReportService(w.svc).determine_missing(w.reg, market="BJ", year=2016, company="BJ-REG-00001",
                                           emissions=Decimal("10000"))
    page.goto(f"{base}/ui/login")
    page.fill("input[name=username]", "BJ-co-1")
    page.fill("input[name=password]", PW)
    page.click("#login button")
    page.wait_for_url(f"{base}/ui/me")
    page.click("#nav-obligations")
    row = page.locator("#obligations tr[data-year='BJ-2016']")
    assert "待清缴" in row.inner_text() and row.locator(".days").inner_text() == "9"  # 15 June − 6 June
    page.click("#nav-surrender")
    page.select_option("#move select[name=from_account]", w.accounts[1].number)
    page.fill("#move input[name=quantity]", "10000")
    page.select_option("#move select[name=compliance_year]", "BJ 2016")
    page.click("#move button")
    facts = page.inner_text("#facts")
    assert "企业1" in facts and "10,300 → 300" in facts  # available before → after
    assert page.inner_text("#gap") == "10,000 → 0"  # the shortfall before → after: 10,000 owed − 10,000
    page.screenshot(path=str(tmp_path / "confirm.png"), full_page=True)
    page.click("#confirm-button")
    assert "已完成" in page.inner_text("#done")
    page.click("#nav-obligations")
    assert page.locator("#obligations tr[data-year='BJ-2016'] .status").inner_text() == "已按期履约"
    page.goto(f"{base}/ui/company/statement/{w.accounts[1].number}")
    assert "清缴" in page.inner_text("#statement") and "-10,000" in page.inner_text("#statement")
    page.click("#lang")
    assert "Statement" in page.inner_text("h1")
