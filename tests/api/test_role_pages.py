"""The verifier's and the exchange operator's pages, the auditor's filters and the regulator's
compliance summary, through the app on a real database: what each role sees, what its forms do
(through the same services as the CLI), and the boundaries — another verifier's report and another
exchange's instrument are 404, an auditor's post is refused read_only and changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import text
from tests.api.conftest import PW

from openets.api.deps import COOKIE
from openets.core.actor import SYSTEM_SETUP, Role
from openets.core.clock import MARKET_TZ
from openets.registry.model import PartyKind
from openets.services.reports import ReportService

OUT = [{"product": "heat", "quantity": "1000"}]


def _setup(w) -> None:  # type: ignore[no-untyped-def]
    """Two verifier organisations, each assigned one company's report; a Beijing and a Shanghai
    exchange operator; an auditor."""
    svc = w.svc
    reports = ReportService(svc)
    for i, company in enumerate(w.companies):
        v = svc.create_party(kind=PartyKind.VERIFIER, name=f"核查机构{i}", registration_id=f"V{i}")
        svc.add_user(SYSTEM_SETUP, name=f"ver-{i}", party_id=v, role=Role.VERIFIER)
        rid = reports.submit(company, market="BJ", year=2016, emissions=D("12345.6"), output=OUT)
        reports.assign(w.reg, rid, str(v))
    for market in ("BJ", "SH"):
        x = svc.create_party(kind=PartyKind.EXCHANGE, name=f"{market} 交易所", registration_id=f"X-{market}")
        svc.add_user(SYSTEM_SETUP, name=f"ops-{market}", party_id=x, role=Role.EXCHANGE, market=market)
    svc.add_user(SYSTEM_SETUP, name="aud", party_id=svc.registry_party("BJ"), role=Role.AUDITOR)


@pytest.fixture
def app(make_api):  # type: ignore[no-untyped-def]
    return make_api(("ver-0", "ver-1", "ops-BJ", "ops-SH", "aud", "BJ-co-0", "BJ-reg-1"), setup=_setup)


def _as(c, user: str) -> None:  # type: ignore[no-untyped-def]
    c.cookies.clear()
    r = c.post("/ui/login", data={"username": user, "password": PW}, follow_redirects=False)
    assert r.status_code == 303, r.text
    c.cookies.set(COOKIE, r.cookies[COOKIE])


def _state(engine, rid: int) -> str:  # type: ignore[no-untyped-def]
    with engine.connect() as c:
        return str(c.execute(text("SELECT state FROM emission_reports WHERE id = :i"), {"i": rid}).scalar_one())


def test_a_verifier_lists_its_reports_verifies_one_with_findings_and_another_is_404(app, engine) -> None:  # type: ignore[no-untyped-def]
    c, w = app
    _as(c, "ver-0")
    r = c.get("/ui/verifier")
    assert r.status_code == 200 and "企业0" in r.text and "BJ-REG-00000" in r.text and "已提交" in r.text
    assert "企业1" not in r.text  # the other organisation's report is not listed
    assert 'id="nav-verifier"' in r.text
    page = c.get("/ui/verifier/reports/1")
    assert page.status_code == 200 and "12,345.6" in page.text and 'id="verify"' in page.text
    other = c.get("/ui/verifier/reports/2")  # assigned to ver-1: as if there were none, an HTML page
    assert other.status_code == 404 and other.headers["content-type"].startswith("text/html") and "企业1" not in other.text
    assert c.get("/ui/verifier/reports/999").status_code == 404
    assert c.post("/ui/verifier/reports/2/verify", data={"emissions": "1", "confirm": "yes"}).status_code == 404
    # no confirmation ticked: refused in one line, nothing moved
    r = c.post("/ui/verifier/reports/1/verify", data={"emissions": "12400", "statement": "ok"})
    assert r.status_code == 422 and "confirmation_missing" in r.text and _state(engine, 1) == "submitted"
    r = c.post("/ui/verifier/reports/1/verify", data={"emissions": "12400", "findings": "bad line", "confirm": "yes"})
    assert r.status_code == 422 and "finding_invalid" in r.text and _state(engine, 1) == "submitted"
    r = c.post("/ui/verifier/reports/1/verify", follow_redirects=False, data={
        "emissions": "12400", "findings": "major:March purchases missing\r\nminor:meter label", "statement": "corrected",
        "confirm": "yes"})
    assert r.status_code == 303
    report = ReportService(w.svc).get(1)
    assert report.state == "verified" and report.verified_emissions == D("12400")
    assert [(f.severity, f.text) for f in report.findings] == [("major", "March purchases missing"),
                                                              ("minor", "meter label")]
    shown = c.get("/ui/verifier/reports/1?lang=en").text
    assert "verified" in shown and "March purchases missing" in shown and "12,400" in shown
    with engine.connect() as conn:  # its audit row names the verifier, one row for the request
        rows = conn.execute(text("SELECT user_name, answer FROM audit_log WHERE path LIKE '/ui/verifier/reports/1/%' "
                                 "ORDER BY id")).all()
    assert [tuple(x) for x in rows] == [("ver-0", "confirmation_missing"), ("ver-0", "finding_invalid"), ("ver-0", "ok")]


def test_a_verifier_sends_a_report_back_and_the_auditor_moves_nothing(app, engine) -> None:  # type: ignore[no-untyped-def]
    c, _ = app
    _as(c, "aud")
    assert "企业0" in c.get("/ui/verifier").text and "企业1" in c.get("/ui/verifier").text  # reads every report
    r = c.post("/ui/verifier/reports/2/return", data={"statement": "x", "confirm": "yes"})
    assert r.status_code == 422 and "read_only" in r.text and _state(engine, 2) == "submitted"
    _as(c, "ver-1")
    r = c.post("/ui/verifier/reports/2/return", data={"statement": "the fuel invoices are missing", "confirm": "yes"},
               follow_redirects=False)
    assert r.status_code == 303 and _state(engine, 2) == "draft"
    _as(c, "BJ-co-0")
    assert c.get("/ui/verifier").status_code == 403  # a company has no verifier page


def test_the_exchange_operator_closes_settles_and_reconciles_its_own_exchange_only(app, engine) -> None:  # type: ignore[no-untyped-def]
    c, w = app
    from openets.services.exchange import open_exchange

    seller, buyer = w.companies
    ex = open_exchange(w.svc, "BEA-2016")
    ex.deposit(buyer, 10_000_000)
    ex.submit(seller, account=w.accounts[0].number, side="sell", quantity=100, price_fen=5000)
    ex.submit(seller, account=w.accounts[0].number, side="sell", quantity=50, price_fen=5100)  # rests on the book
    ex.submit(buyer, account=w.accounts[1].number, side="buy", quantity=100, price_fen=5000)
    _as(c, "ops-BJ")
    r = c.get("/ui/exchange")
    assert r.status_code == 200 and "BEA-2016" in r.text and 'id="nav-exchange"' in r.text
    r = c.post("/ui/exchange/BEA-2016/close")  # the confirmation not ticked
    assert r.status_code == 422 and "confirmation_missing" in r.text
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM orders WHERE status = 'open'")).scalar_one() == 1
    r = c.post("/ui/exchange/BEA-2016/close", data={"confirm": "yes"})
    assert r.status_code == 200 and 'id="result"' in r.text and "50.00" in r.text  # the close: the day's last trade
    with engine.connect() as conn:  # day orders: the resting one is cancelled at the close
        assert conn.execute(text("SELECT count(*) FROM orders WHERE status = 'open'")).scalar_one() == 0
    r = c.post("/ui/exchange/BEA-2016/settle", data={"confirm": "yes"})
    assert r.status_code == 200 and 'id="settled">0<' in r.text  # Beijing settles T+0: nothing due
    r = c.post("/ui/exchange/BEA-2016/reconcile", data={"confirm": "yes"})
    assert r.status_code == 200 and 'id="breaks">0<' in r.text
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT path, answer FROM audit_log WHERE path LIKE '/ui/exchange/%' ORDER BY id")).all()
    assert [x.answer for x in rows] == ["confirmation_missing", "ok", "ok", "ok"]
    assert rows[-1].path == "/ui/exchange/BEA-2016/reconcile — breaks=0, clean=True"
    _as(c, "ops-SH")  # Shanghai's operator: Beijing's instrument is not its exchange
    assert "BEA-2016" not in c.get("/ui/exchange").text
    assert c.post("/ui/exchange/BEA-2016/close", data={"confirm": "yes"}).status_code == 404
    _as(c, "aud")
    r = c.post("/ui/exchange/BEA-2016/reconcile", data={"confirm": "yes"})
    assert r.status_code == 422 and "read_only" in r.text


def test_the_auditor_filters_by_day_user_action_answer_and_source(app, engine) -> None:  # type: ignore[no-untyped-def]
    c, _ = app
    _as(c, "ver-0")
    c.post("/ui/verifier/reports/1/verify", data={"emissions": "1"})  # refused: no confirmation
    c.post("/ui/verifier/reports/1/verify", data={"emissions": "12345.6", "confirm": "yes"})
    now = datetime.now(UTC)
    older = int((now - timedelta(days=3)).timestamp() * 1_000_000)
    with engine.begin() as conn:  # a row of three days ago (wall clock): no day filter of today finds it
        conn.execute(text("INSERT INTO audit_log (user_name, method, path, status, at_us, source, action, answer) "
                          "VALUES ('ver-0', 'POST', '/old', 200, :at, 'api', 'mrv.verify', 'ok')"), {"at": older})
    _as(c, "aud")
    today = now.astimezone(MARKET_TZ).date().isoformat()

    def table(**params: str) -> str:  # the rows' table only (the navigation names pages too)
        r = c.get("/ui/audit", params=params)
        assert r.status_code == 200, r.text
        return r.text.split('id="audit"')[1]

    got = table(day=today, user="ver-0")
    assert "/ui/verifier/reports/1/verify" in got and "/old" not in got
    old_day = (now - timedelta(days=3)).astimezone(MARKET_TZ).date().isoformat()
    got = table(day=old_day)
    assert "/old" in got and "/ui/verifier" not in got
    got = table(day=today, answer="confirmation_missing")
    assert "confirmation_missing" in got and ">ok<" not in got
    got = table(source="api", user="ver-0")
    assert "/old" in got and "/ui/verifier/reports/1/verify" not in got
    got = table(action="ui.verifier_decide", source="ui", answer="ok")
    assert "/ui/verifier/reports/1/verify" in got and "confirmation_missing" not in got
    # the action and the answer by their catalogue names (the code kept beside, for the filters)
    assert 'title="ui.verifier_decide">核查结论<' in got and ">成功<" in got
    got = table(day=today, answer="confirmation_missing")
    assert "<code>confirmation_missing</code>" in got and "ui.verifier_decide" in got
    got = table(action="ui.verifier_decide", answer="ok", lang="en")
    assert ">ok<" in got and "verifier&#39;s decision<" in got
    r = c.get("/ui/audit", params={"day": "2017-13-40"})
    assert r.status_code == 422 and "date_invalid" in r.text and r.headers["content-type"].startswith("text/html")


def test_the_compliance_page_shows_the_deadline_as_of_fines_decided_and_whether_published(app) -> None:  # type: ignore[no-untyped-def]
    c, _ = app
    _as(c, "BJ-reg-1")
    r = c.get("/ui/compliance/BJ/2016")
    assert r.status_code == 200
    assert 'id="deadline">2017-06-15<' in r.text and 'id="as-of">2017-06-01 10:00<' in r.text
    assert 'id="fines">0<' in r.text and 'id="is-published">否<' in r.text


def test_the_auditor_moves_nothing_on_every_roles_form(app, engine) -> None:  # type: ignore[no-untyped-def]
    from openets.services.exchange import open_exchange
    from openets.testing.digest import digest

    c, w = app
    open_exchange(w.svc, "BEA-2016")
    forms = [route.path for route in c.app.routes if getattr(route, "methods", None) == {"POST"}
             and route.path.startswith(("/ui/verifier", "/ui/exchange"))]
    assert sorted(forms) == ["/ui/exchange/{instrument}/{operation}", "/ui/verifier/reports/{report_id}/{decision}"]
    _as(c, "aud")
    before = digest(engine)
    for url in ("/ui/verifier/reports/1/verify", "/ui/verifier/reports/1/return", "/ui/exchange/BEA-2016/close",
                "/ui/exchange/BEA-2016/settle", "/ui/exchange/BEA-2016/reconcile"):
        r = c.post(url, data={"emissions": "12345.6", "statement": "x", "confirm": "yes"})
        assert r.status_code == 422 and "read_only" in r.text, (url, r.text[-300:])
        assert digest(engine) == before, url


def test_t_plus_one_delivery_from_the_page_hubei(engine, clock) -> None:  # type: ignore[no-untyped-def]
    """Hubei delivers T+1 (rule data): the trade waits on the page; the next trading day the operator's
    settlement delivers it and the page says so."""
    from fastapi.testclient import TestClient
    from tests.api.conftest import SECRET

    from openets.api.app import create_app
    from openets.services.auth import AuthService
    from openets.services.exchange import open_exchange
    from openets.testing.builders import build_world

    w = build_world(engine, clock, market="HB")
    x = w.svc.create_party(kind=PartyKind.EXCHANGE, name="湖北碳排放权交易中心", registration_id="X-HB")
    w.svc.add_user(SYSTEM_SETUP, name="ops-HB", party_id=x, role=Role.EXCHANGE, market="HB")
    AuthService(w.svc).set_password("ops-HB", PW)
    code = w.unit_class.code
    ex = open_exchange(w.svc, code)
    seller, buyer = w.companies
    ex.deposit(buyer, 1_000_000)
    ex.submit(seller, account=w.accounts[0].number, side="sell", quantity=200, price_fen=1800)
    assert ex.submit(buyer, account=w.accounts[1].number, side="buy", quantity=200, price_fen=1800).trades == [
        (1800, 200)]
    c = TestClient(create_app(engine, secret=SECRET, clock=clock))
    _as(c, "ops-HB")
    row = c.get("/ui/exchange").text.split(f'data-instrument="{code}"')[1]
    assert '"awaiting">1<' in row and '"delivered">0<' in row
    r = c.post(f"/ui/exchange/{code}/settle", data={"confirm": "yes"})
    assert 'id="settled">0<' in r.text  # due the next trading day, Friday 2 June
    clock.at = datetime(2017, 6, 2, 1, 0, tzinfo=UTC)
    r = c.post(f"/ui/exchange/{code}/settle", data={"confirm": "yes"})
    assert r.status_code == 200 and 'id="settled">1<' in r.text
    row = r.text.split(f'data-instrument="{code}"')[1]
    assert '"awaiting">0<' in row and '"delivered">1<' in row and "2017-06-02 09:00" in row


def test_bad_input_on_the_new_forms_is_refused_in_one_line_and_changes_nothing(app, engine) -> None:  # type: ignore[no-untyped-def]
    c, _ = app
    _as(c, "ver-0")
    for data in ({"emissions": "Infinity"}, {"emissions": "1e999999"}, {"emissions": "-5"},
                 {"emissions": "1", "findings": "minor:" + "x" * 20_000}, {"emissions": "1", "statement": "a\x00b"}):
        r = c.post("/ui/verifier/reports/1/verify", data={**data, "confirm": "yes"})
        assert r.status_code == 422 and r.headers["content-type"].startswith("text/html"), (data, r.text[-200:])
        assert "Traceback" not in r.text and 'id="error"' in r.text
        assert _state(engine, 1) == "submitted"
    for url in ("/ui/verifier/reports/abc", "/ui/verifier/reports/0", f"/ui/verifier/reports/{2**60}"):
        r = c.get(url)
        assert r.status_code == 422 and r.headers["content-type"].startswith("text/html"), url
    assert c.post("/ui/verifier/reports/1/approve", data={"confirm": "yes"}).status_code == 422  # not a decision
    _as(c, "ops-BJ")
    assert c.post("/ui/exchange/NOPE-2016/close", data={"confirm": "yes"}).status_code == 404
    r = c.post("/ui/exchange/BEA-2016/explode", data={"confirm": "yes"})
    assert r.status_code == 422 and "operation_invalid" in r.text
