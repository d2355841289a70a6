"""A national-market regulator's data-quality findings in the browser (Decree 775): the second regulator
opens the page from the navigation and sees the finding decided — the fine in yuan, the cut share as
decided, the year it cuts — in Chinese, then in English; an auditor reads it from its own navigation, the
market named on the row; a company user is refused the page."""

from __future__ import annotations

import socket
import threading
import time
from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
from tests.browser.test_dashboard import PW, _need_browser, page  # noqa: F401  (fixtures)
from tests.browser.test_tasks import _login

from openets.core.clock import FixedClock


@pytest.fixture
def server(engine):  # type: ignore[no-untyped-def]
    """The national market on 3 March 2025 (Decree 775 in force): two regulators, company A's 2023 report
    determined, a finding against it recorded by the first regulator and decided by the second (600,000 yuan,
    individuals 50,000 yuan, not corrected: 50.5 % of 2024 cut)."""
    _need_browser()
    import uvicorn

    from openets.api.app import create_app
    from openets.services.auth import AuthService
    from openets.services.falsification import FalsificationService
    from openets.services.reports import ReportService
    from openets.testing.builders import build_world

    clock = FixedClock(datetime(2025, 3, 3, 2, tzinfo=UTC))
    w = build_world(engine, clock, market="CEA", vintage=2024, companies=1, issue=0, allocate=0)
    ReportService(w.svc).determine_missing(w.reg, market="CEA", year=2023, company="CEA-REG-00000", emissions=D(1))
    svc = FalsificationService(w.svc)
    f = svc.record(w.reg, market="CEA", company="CEA-REG-00000", year=2023, kind="falsified", basis="invoices altered")
    svc.decide(w.reg2, f.id, gains_fen=0, amount_fen=60_000_000, individual_fen=5_000_000, corrected=False,
               cut_share=D("0.505"))
    from openets.core.actor import SYSTEM_SETUP, Role
    from openets.registry.model import PartyKind

    aud = w.svc.create_party(kind=PartyKind.REGULATOR, name="审计", registration_id="AUD")
    w.svc.add_user(SYSTEM_SETUP, name="auditor", party_id=aud, role=Role.AUDITOR)
    for user in ("CEA-reg-2", "CEA-co-0", "auditor"):
        AuthService(w.svc).set_password(user, PW)
    app = create_app(engine, secret="browser-secret-of-thirty-two-bytes-or-more", clock=clock)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not srv.started and time.time() < deadline:
        time.sleep(0.05)
    assert srv.started, "the server did not start"
    yield f"http://127.0.0.1:{port}", f.id
    srv.should_exit = True
    thread.join(10)


def test_the_regulator_and_an_auditor_read_the_decided_finding_and_a_company_is_refused(server, page) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    base, finding = server
    _login(page, base, "CEA-reg-2")
    page.click("#nav-falsifications")
    page.wait_for_url(f"{base}/ui/falsifications*")
    row = page.locator(f'tr[data-id="{finding}"]')
    assert "已决定" in row.inner_text() and "600,000.00" in row.inner_text() and "50,000.00" in row.inner_text()
    assert row.locator("td.share").inner_text() == "50.5 %"  # the decision as decided, not rounded to 50 %
    assert row.locator("td.cut-year").inner_text() == "2024"
    page.goto(f"{base}/ui/falsifications?lang=en")
    assert "falsified data" in page.locator(f'tr[data-id="{finding}"]').inner_text()
    _login(page, base, "auditor")  # every market's findings, read-only
    page.click("#nav-falsifications")
    page.wait_for_url(f"{base}/ui/falsifications*")
    row = page.locator(f'tr[data-id="{finding}"]')
    assert row.locator("td.market").inner_text() == "CEA" and "600,000.00" in row.inner_text()
    _login(page, base, "CEA-co-0")
    r = page.goto(f"{base}/ui/falsifications")
    assert r is not None and r.status == 403 and "Traceback" not in page.content()
