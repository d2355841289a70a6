"""The audit trail through the API: every state-changing route (enumerated from the app itself)
writes its row with the user, role, action and answer — a refusal recorded as refused, not as the
route's success; the dashboard's forms name their user; auditors read the rows at GET /audit."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import text
from tests.api.conftest import PW

from openets.api.deps import COOKIE
from openets.core.actor import SYSTEM_SETUP, Role


def _rows(engine) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    with engine.connect() as c:
        return [dict(r._mapping) for r in c.execute(text("SELECT * FROM audit_log ORDER BY id"))]


def _setup(w) -> None:  # type: ignore[no-untyped-def]
    w.svc.add_user(SYSTEM_SETUP, name="aud", party_id=w.svc.registry_party("BJ"), role=Role.AUDITOR)


def test_every_state_changing_route_writes_its_audit_row(make_api, login, engine) -> None:  # type: ignore[no-untyped-def]
    c, w = make_api(("BJ-co-1", "aud"), setup=_setup)
    h = login(c, "BJ-co-1")
    # every state-changing operation the API publishes (its OpenAPI document: ids are <tag>-<route name>)
    ops = [(m.upper(), p, op["operationId"]) for p, item in c.app.openapi()["paths"].items()
           for m, op in item.items() if m in ("post", "put", "patch", "delete") and p != "/auth/token"]
    assert len(ops) >= 15  # registry, market, mrv, auctions, offsets, allocation, auth …
    for method, route_path, op_id in ops:
        path = re.sub(r"\{[^}]+\}", lambda m: "2016" if m.group(0) == "{year}" else "BJ" if m.group(0) == "{market}"
                      else "1", route_path)
        before = len(_rows(engine))
        r = c.request(method, path, headers=h, json={})
        assert r.status_code < 500, (method, path, r.text)
        new = _rows(engine)[before:]
        assert new, f"{method} {path} left no audit row"
        last = new[-1]
        assert last["status"] == r.status_code, (path, last)
        assert last["action"] == op_id.replace("-", ".", 1), (path, last)
        if r.status_code >= 400:  # refused (invalid body, not found …): recorded as refused, with the code
            assert last["answer"] == r.json()["title"].replace(" ", "_"), (path, last, r.json())
        if r.status_code != 401 and route_path != "/auth/logout":
            assert last["user_name"] == "BJ-co-1" or last["status"] == 422 and last["user_name"] in (None, "BJ-co-1")
        assert last["market_at_us"] is not None  # the test clock (2017) differs from the wall clock
        assert abs(int(str(last["at_us"])) / 1e6 - datetime.now(UTC).timestamp()) < 300  # wall clock


def test_a_refused_dashboard_order_is_recorded_refused_with_its_user(make_api, engine) -> None:  # type: ignore[no-untyped-def]
    c, w = make_api(("BJ-co-1",))
    r = c.post("/ui/login", data={"username": "BJ-co-1", "password": PW}, follow_redirects=False)
    c.cookies.set(COOKIE, r.cookies[COOKIE])
    r = c.post("/ui/market/BEA-2016/orders", data={"account": w.accounts[1].number, "side": "buy", "quantity": "10",
                                                   "price": "50.00"})  # far outside the band
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
    rows = [x for x in _rows(engine) if x["path"] == "/ui/market/BEA-2016/orders"]
    assert rows and rows[-1]["user_name"] == "BJ-co-1" and rows[-1]["role"] == "company"
    # refused (no cash deposited: cash_insufficient), the page and the row say the same reason
    assert rows[-1]["status"] == 422 and rows[-1]["source"] == "ui" and rows[-1]["answer"] == "cash_insufficient"
    assert "资金不足 [cash_insufficient]" in r.text  # the refusal through the catalogue, Chinese by default


def test_auditors_read_the_trail_and_companies_may_not(make_api, login, engine) -> None:  # type: ignore[no-untyped-def]
    c, _ = make_api(("BJ-co-1", "aud"), setup=_setup)
    h = login(c, "BJ-co-1")
    c.post("/market/BEA-2016/deposits", headers=h, json={"amount_fen": 100})
    assert c.get("/audit", headers=h).status_code == 403
    ha = login(c, "aud")
    got = c.get("/audit", headers=ha, params={"user": "BJ-co-1", "action": "market"}).json()
    assert got["total"] >= 1 and all(i["user"] == "BJ-co-1" for i in got["items"])
    assert got["items"][0]["action"] == "market.deposit" and got["items"][0]["at"].endswith("+08:00")
    assert c.get("/audit", headers=ha, params={"since": "2999-01-01T00:00"}).json()["total"] == 0
