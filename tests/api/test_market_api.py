"""The exchange and compliance through the API: public market data for anyone, orders only for your
own accounts, each forbidden action refused (404 for what is not yours), compliance statuses by role."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from openets.api.app import create_app
from openets.core.actor import SYSTEM_SETUP, Role
from openets.registry.model import PartyKind

PW = "correct horse battery"
SECRET = "test-secret-of-thirty-two-bytes-or-more"


@pytest.fixture
def client(make_api):  # type: ignore[no-untyped-def]
    def setup(w) -> None:  # type: ignore[no-untyped-def]
        auditor = w.svc.create_party(kind=PartyKind.REGULATOR, name="审计", registration_id="AUD")
        w.svc.add_user(SYSTEM_SETUP, name="auditor", party_id=auditor, role=Role.AUDITOR)

    return make_api(("BJ-co-0", "BJ-co-1", "BJ-reg-1", "auditor"), setup)


def test_orders_and_public_market_data(client, login) -> None:  # type: ignore[no-untyped-def]
    c, w = client
    a, b = w.accounts
    h0, h1 = login(c, "BJ-co-0"), login(c, "BJ-co-1")
    assert c.post("/market/BEA-2016/deposits", json={"amount_fen": 1_000_000}, headers=h1).json()["balance_fen"] \
        == 1_000_000
    sell = c.post("/market/BEA-2016/orders", json={"account": a.number, "side": "sell", "quantity": 300,
                                                   "price_fen": 5000}, headers=h0)
    assert sell.status_code == 201 and sell.json()["status"] == "open"
    buy = c.post("/market/BEA-2016/orders", json={"account": b.number, "side": "buy", "quantity": 100,
                                                  "price_fen": 5100, "client_id": "b-1"}, headers=h1)
    assert buy.json()["trades"] == [{"price_fen": 5000, "quantity": 100}]
    # anyone sees the market: book, tape, bars, instruments
    book = c.get("/market/BEA-2016/book").json()
    assert book["asks"] == [{"price_fen": 5000, "quantity": 200}] and book["currency"] == "CNY"
    assert [t["price_fen"] for t in c.get("/market/BEA-2016/trades").json()] == [5000]
    assert c.get("/market/BEA-2016/bars").json()[0]["close"] == 5000
    assert any(i["instrument"] == "BEA-2016" for i in c.get("/market/instruments").json())
    # forbidden: someone else's account (404, like no account), someone else's order, no login
    other = c.post("/market/BEA-2016/orders", json={"account": a.number, "side": "sell", "quantity": 1,
                                                    "price_fen": 5000}, headers=h1)
    assert other.status_code == 404
    assert c.delete(f"/market/BEA-2016/orders/{sell.json()['order_id']}", headers=h1).status_code == 404
    assert c.post("/market/BEA-2016/orders", json={"account": a.number, "side": "sell", "quantity": 1,
                                                   "price_fen": 5000}).status_code == 401
    hr, ha = login(c, "BJ-reg-1"), login(c, "auditor")
    for h, status in ((hr, 404), (ha, 403)):  # regulators do not trade for companies; an auditor moves nothing
        r = c.post("/market/BEA-2016/orders", json={"account": a.number, "side": "sell", "quantity": 1,
                                                    "price_fen": 5000}, headers=h)
        assert r.status_code == status
    # a regulator moves no exchange cash: a refusal of who asks, 403 not_authorised (not 422)
    r = c.post("/market/BEA-2016/deposits", json={"amount_fen": 100}, headers=hr)
    assert (r.status_code, r.json()["type"].rsplit("/", 1)[-1]) == (403, "not_authorised"), r.text
    # refusals carry their reason code
    dup = c.post("/market/BEA-2016/orders", json={"account": b.number, "side": "buy", "quantity": 1,
                                                  "price_fen": 5000, "client_id": "b-1"}, headers=h1)
    assert dup.status_code == 422 and dup.json()["title"] == "duplicate client order id"
    assert c.post("/market/BEA-2016/orders", json={"account": b.number, "side": "buy", "quantity": 1,
                                                   "price_fen": 5000, "type": "limit", "level": 9},
                  headers=h1).status_code == 422
    assert c.get("/market/NOPE-2016/book").status_code == 404
    assert [o["remaining"] for o in c.get("/market/BEA-2016/orders", headers=h0).json()] == [200]
    assert c.get("/market/BEA-2016/orders", headers=h1).json() == []
    assert c.delete(f"/market/BEA-2016/orders/{sell.json()['order_id']}", headers=h0).status_code == 200
    assert c.get("/market/BEA-2016/book").json()["asks"] == []


def test_compliance_statuses_by_role(client, login) -> None:  # type: ignore[no-untyped-def]
    c, w = client
    h0, hr, ha = login(c, "BJ-co-0"), login(c, "BJ-reg-1"), login(c, "auditor")
    everyone = c.get("/compliance/BJ/2016/statuses", headers=hr).json()
    assert {r["company"] for r in everyone} == {"BJ-REG-00000", "BJ-REG-00001"}
    assert {r["company"] for r in c.get("/compliance/BJ/2016/statuses", headers=ha).json()} == {
        "BJ-REG-00000", "BJ-REG-00001"}
    assert [r["company"] for r in c.get("/compliance/BJ/2016/statuses", headers=h0).json()] == ["BJ-REG-00000"]
    assert c.get("/compliance/BJ/2016/statuses").status_code == 401
    assert c.get("/compliance/BJ/2016/published").json() == []  # public
    assert c.get("/compliance/XX/2016/published").status_code == 422
    # public rates: two covered companies, neither with verified emissions yet: 0 of 2, no tonnes owed
    got = c.get("/compliance/BJ/2016/rates").json()
    assert got["on_time"] == {"count": 0, "of": 2, "published": "0.0 %"} and got["final"]["of"] == 2
    assert got["quantity"] == {"count": 0, "of": 0, "published": "-"}


def test_dashboard_forms_without_a_browser(client) -> None:  # type: ignore[no-untyped-def]
    c, w = client
    assert c.get("/ui/me", follow_redirects=False).status_code == 303  # log in first
    bad = c.post("/ui/login", data={"username": "BJ-co-1", "password": "wrong"})
    assert bad.status_code == 401 and "用户名或密码错误 [login_failed]" in bad.text  # the catalogue's Chinese
    ok = c.post("/ui/login", data={"username": "BJ-co-1", "password": PW}, follow_redirects=False)
    assert ok.status_code == 303 and "openets_token" in ok.headers["set-cookie"]
    assert "HttpOnly" in ok.headers["set-cookie"] and "SameSite=strict" in ok.headers["set-cookie"]
    c.post("/market/BEA-2016/deposits", json={"amount_fen": 1_000_000})  # the cookie authenticates the API too
    placed = c.post("/ui/market/BEA-2016/orders", data={"account": w.accounts[1].number, "side": "buy",
                                                        "quantity": "10", "price": "49.00"}, follow_redirects=False)
    assert placed.status_code == 303
    oid = c.get("/market/BEA-2016/orders").json()[0]["order_id"]
    assert "49.00" in c.get("/ui/market/BEA-2016").text
    assert c.post(f"/ui/market/BEA-2016/orders/{oid}/cancel", follow_redirects=False).status_code == 303
    assert c.get("/market/BEA-2016/orders").json() == []
    assert c.post(f"/ui/market/BEA-2016/orders/{2**70}/cancel").status_code == 422  # not a 500
    assert c.get(f"/ui/compliance/BJ/{10**30}").status_code == 422
    # each form post is in the audit log once, with the answer it got (a redirect)
    from sqlalchemy import text

    with w.svc.engine.connect() as conn:
        rows = conn.execute(text("SELECT path, status FROM audit_log WHERE path LIKE '/ui/%' ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [("/ui/login", 401), ("/ui/login", 303), ("/ui/market/BEA-2016/orders", 303),
                                        (f"/ui/market/BEA-2016/orders/{oid}/cancel", 303),
                                        (f"/ui/market/BEA-2016/orders/{2**70}/cancel", 422)]
    refused = c.post("/ui/market/BEA-2016/orders", data={"account": w.accounts[0].number, "side": "sell",
                                                         "quantity": "1", "price": "50"})
    assert "account_not_found" in refused.text  # someone else's account
    assert "English" in c.get("/").text and "Market overview" in c.get("/?lang=en").text


def test_users_commands_and_account_approval_in_the_dashboard(db_url, engine, clock, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Bootstrap the first administrator from the command line, who creates the regulator, who creates
    a company user; the company's account request is approved by the market's regulator in the dashboard."""
    import json

    from typer.testing import CliRunner

    from openets.cli.app import app
    from openets.registry.model import AccountType
    from openets.services.registry import RegistryService

    svc = RegistryService(engine, clock=clock)
    svc.init_markets()
    run = lambda *a, inp=None: CliRunner().invoke(app, ["users", *a, "--db", db_url, "--json"], input=inp)  # noqa: E731
    monkeypatch.setenv("OPENETS_LOCAL_ADMIN", "1")  # --as: the operator with the database in hand
    monkeypatch.setenv("OPENETS_CONFIG_DIR", str(tmp_path / "config"))
    assert run("create", "root", "--role", "administrator", "--market", "BJ", "--person", "P-root").exit_code == 0
    r = run("create", "li", "--role", "regulator", "--market", "BJ", "--person", "P-li", "--as", "root",
            "--password-stdin", inp=PW + "\n")
    assert r.exit_code == 0 and json.loads(r.stdout)["password_set"], r.stderr
    assert run("grant", "nobody", "--role", "auditor", "--party", "1").exit_code == 1  # create first
    pid = svc.create_party(kind=PartyKind.COMPANY, name="甲", market="BJ", registration_id="R1")
    assert run("create", "zhao", "--role", "company", "--party", str(pid), "--as", "li", "--password-stdin",
               inp=PW + "\n").exit_code == 0
    acc = svc.request_account(svc.actor("zhao"), market="BJ", type=AccountType.COMPLIANCE, number="BJ-NEW")
    c = TestClient(create_app(engine, secret=SECRET, clock=clock))
    c.post("/ui/login", data={"username": "zhao", "password": PW})
    assert "BJ-NEW" not in c.get("/ui/accounts").text  # a company approves nothing
    assert c.post("/ui/accounts/BJ-NEW/approve").status_code == 422
    c.get("/ui/logout")
    c.post("/ui/login", data={"username": "li", "password": PW})
    assert "BJ-NEW" in c.get("/ui/accounts").text
    assert c.post("/ui/accounts/BJ-NEW/approve", follow_redirects=False).status_code == 303
    assert svc.account(acc.number).status.value == "open"
    assert run("revoke", "li").exit_code == 1  # an act of someone: with nobody acting, refused
    assert run("revoke", "li", "--as", "root").exit_code == 0  # the administrator
    assert c.get("/ui/me", follow_redirects=False).status_code == 303  # the revoked session is gone
