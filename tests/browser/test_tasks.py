"""A regulator's job in the browser: an issuance proposed by one Beijing regulator waits on the task
list; the proposer's own page offers only withdrawal and an approval forced through the form is
refused (four eyes); the second regulator approves it with a comment and it leaves the list; an
auditor finds both rows of that day in the audit log, named with their users."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from tests.browser.test_dashboard import CHROMIUM, PW, page, server  # noqa: F401  (fixtures)

from openets.core.actor import SYSTEM_SETUP


@pytest.fixture
def proposed(server):  # type: ignore[no-untyped-def]  # noqa: F811
    from openets.core.actor import Role
    from openets.registry.commands import Issue
    from openets.services.auth import AuthService

    base, w = server
    auth = AuthService(w.svc)
    w.svc.add_user(SYSTEM_SETUP, name="aud", party_id=w.svc.registry_party("BJ"), role=Role.AUDITOR)
    for user in (w.reg.user, w.reg2.user, "aud"):
        auth.set_password(user, PW)
    [out] = w.svc.submit(w.reg, [Issue(to_account=w.issuance.id, unit_class=w.unit_class.id, quantity=250_000)])
    assert out.record is not None and out.record.status == "awaiting_approval"
    return base, w, out.record.id


def _login(pg, base: str, user: str) -> None:  # type: ignore[no-untyped-def]
    pg.context.clear_cookies()
    pg.goto(f"{base}/ui/login")
    pg.fill("input[name=username]", user)
    pg.fill("input[name=password]", PW)
    pg.click("#login button")
    pg.wait_for_url(f"{base}/ui/me")


def test_two_regulators_approve_an_issuance_and_the_proposer_is_refused(proposed, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    base, w, txn = proposed
    _login(page, base, w.reg.user)
    page.click("#nav-tasks")
    row = page.locator(f"#tasks tr[data-id='{txn}']")
    assert "250,000" in row.inner_text() and row.locator("button.approve").count() == 0  # the proposer: withdraw only
    # forcing an approval through anyway is refused by the registry, on the page, in one line
    status = page.evaluate(f"""fetch('/ui/tasks/transaction/{txn}', {{method: 'POST', body: new URLSearchParams(
        {{decision: 'approve', comment: 'mine'}})}}).then(r => r.status)""")
    assert status == 422
    _login(page, base, w.reg2.user)
    page.goto(f"{base}/ui/tasks")
    row = page.locator(f"#tasks tr[data-id='{txn}']")
    row.locator("input[name=comment]").fill("checked against the allocation plan")
    row.locator("button.approve").click()
    page.wait_for_url(f"{base}/ui/tasks")
    assert page.locator(f"#tasks tr[data-id='{txn}']").count() == 0
    with w.svc.engine.connect() as c:
        assert c.execute(text("SELECT status, approved_by FROM transactions WHERE id = :i"), {"i": txn}).one() == (
            "completed", w.reg2.user)
    page.screenshot(path=str(tmp_path / "tasks.png"), full_page=True)
    # the auditor finds both decisions of that day, with their users and answers
    _login(page, base, "aud")
    page.click("#nav-audit")
    page.fill("#filters input[name=action]", "ui.decide_transaction")
    page.click("#filters button")
    audit = page.inner_text("#audit")
    # the answers by their names (成功: ok), a refusal's code beside its words; the action by its name
    assert w.reg.user in audit and w.reg2.user in audit and "four_eyes" in audit and "成功" in audit
    assert "复核交易" in audit and "ui.decide_transaction" not in audit  # the code is the cell's title only
    assert "checked against the allocation plan" in audit
