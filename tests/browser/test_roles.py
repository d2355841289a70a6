"""A verifier's and an auditor's jobs in the browser: the verifier opens its assigned report from the
navigation, records findings and the verified emissions, ticks the confirmation and verifies — the
report shows verified, with its findings; the auditor filters the audit log by that day (Beijing
time) and the verifier's name and finds its rows, refused and done."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D
from pathlib import Path

import pytest
from sqlalchemy import text
from tests.browser.test_dashboard import CHROMIUM, PW, page, server  # noqa: F401  (fixtures)
from tests.browser.test_tasks import _login

from openets.core.actor import SYSTEM_SETUP, Role
from openets.core.clock import MARKET_TZ
from openets.registry.model import PartyKind


@pytest.fixture
def assigned(server):  # type: ignore[no-untyped-def]  # noqa: F811
    from openets.services.auth import AuthService
    from openets.services.reports import ReportService

    base, w = server
    v = w.svc.create_party(kind=PartyKind.VERIFIER, name="北京某核查机构", registration_id="V-1")
    w.svc.add_user(SYSTEM_SETUP, name="ver", party_id=v, role=Role.VERIFIER)
    w.svc.add_user(SYSTEM_SETUP, name="aud", party_id=w.svc.registry_party("BJ"), role=Role.AUDITOR)
    auth = AuthService(w.svc)
    for user in ("ver", "aud"):
        auth.set_password(user, PW)
    reports = ReportService(w.svc)
    rid = reports.submit(w.companies[0], market="BJ", year=2016, emissions=D("8200.5"),
                         output=[{"product": "heat", "quantity": "900"}])
    reports.assign(w.reg, rid, str(v))
    return base, w, rid


def test_a_verifier_verifies_a_report_and_an_auditor_finds_the_days_rows(assigned, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    base, w, rid = assigned
    _login(page, base, "ver")
    page.click("#nav-verifier")
    row = page.locator(f"#reports tr[data-id='{rid}']")
    assert "企业0" in row.inner_text() and "已提交" in row.inner_text()
    row.locator("a").first.click()
    page.wait_for_url(f"{base}/ui/verifier/reports/{rid}")
    assert "8,200.5" in page.inner_text("#emissions")
    # verifying without the confirmation ticked is held by the browser itself (the box is required)
    page.fill("#verify input[name=emissions]", "8300")
    page.fill("#verify textarea[name=findings]", "major:December gas invoices missing\nobservation:meter recalibrated")
    page.fill("#verify input[name=statement]", "verified with one correction")
    page.click("#do-verify")
    assert page.url == f"{base}/ui/verifier/reports/{rid}" and page.locator("#state").inner_text() == "已提交"
    page.check("#verify input[name=confirm]")
    page.click("#do-verify")
    page.wait_for_selector("#state:has-text('已核查')")
    assert "8,300" in page.inner_text("#verified")
    assert "December gas invoices missing" in page.inner_text("#findings") and "重大" in page.inner_text("#findings")
    assert page.locator("#verify").count() == 0  # verified: nothing more to do here
    page.goto(f"{base}/ui/verifier")
    assert "已核查" in page.locator(f"#reports tr[data-id='{rid}']").inner_text()
    page.screenshot(path=str(tmp_path / "verifier.png"), full_page=True)
    # the auditor: that day (Beijing time, the wall clock of the rows) and the verifier's name
    _login(page, base, "aud")
    page.click("#nav-audit")
    page.fill("#filters input[name=day]", datetime.now(UTC).astimezone(MARKET_TZ).date().isoformat())
    page.fill("#filters input[name=user]", "ver")
    page.click("#filters button")
    audit = page.inner_text("#audit")
    assert f"/ui/verifier/reports/{rid}/verify" in audit and "ver" in audit and "成功" in audit  # ok, by its name
    assert "核查结论" in audit  # ui.verifier_decide, by its name
    assert page.locator('#audit td[title="ui.verifier_decide"]').count() >= 1  # the code beside, for the filter
    page.fill("#filters input[name=day]", "2016-01-04")  # another day: none of them
    page.click("#filters button")
    assert f"/ui/verifier/reports/{rid}/verify" not in page.inner_text("#audit")


def test_the_exchange_operator_closes_the_day_and_reconciles_in_the_browser(server, page) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    from openets.services.auth import AuthService

    base, w = server
    x = w.svc.create_party(kind=PartyKind.EXCHANGE, name="北京绿色交易所", registration_id="X-BJ")
    w.svc.add_user(SYSTEM_SETUP, name="ops", party_id=x, role=Role.EXCHANGE, market="BJ")
    AuthService(w.svc).set_password("ops", PW)
    _login(page, base, "ops")
    page.click("#nav-exchange")
    row = page.locator("#instruments tr[data-instrument='BEA-2016']")
    form = row.locator("form", has=page.locator("button.op-close"))
    form.locator("button.op-close").click()  # the confirmation not ticked: the browser holds the form
    assert page.locator("#result").count() == 0
    form.locator("input[name=confirm]").check()
    form.locator("button.op-close").click()
    page.wait_for_selector("#result")
    assert "日终收市" in page.inner_text("#result")
    with w.svc.engine.connect() as c:  # the seller's resting day order of 500 t is cancelled at the close
        assert c.execute(text("SELECT count(*) FROM orders WHERE status = 'open'")).scalar_one() == 0
    row = page.locator("#instruments tr[data-instrument='BEA-2016']")
    form = row.locator("form", has=page.locator("button.op-reconcile"))
    form.locator("input[name=confirm]").check()
    form.locator("button.op-reconcile").click()
    page.wait_for_selector("#breaks")
    assert page.inner_text("#breaks") == "0" and "账实相符" in page.inner_text("#result")
