"""Issue 19, items 2 and 3: input that pinned a core or answered 500 through the API and the dashboard,
and errors that answered ``{"detail": …}``. Every error is RFC 9457 problem details, in a fraction of
a second; a refused order changes nothing."""

from __future__ import annotations

import time

import pytest

from openets.core.actor import SYSTEM_SETUP, Role
from openets.registry.model import PartyKind

PW = "correct horse battery"


@pytest.fixture
def client(make_api):  # type: ignore[no-untyped-def]
    def setup(w) -> None:  # type: ignore[no-untyped-def]
        auditor = w.svc.create_party(kind=PartyKind.REGULATOR, name="审计", registration_id="AUD")
        w.svc.add_user(SYSTEM_SETUP, name="auditor", party_id=auditor, role=Role.AUDITOR)

    return make_api(("BJ-co-0", "BJ-co-1", "BJ-reg-1", "auditor"), setup)


def problem(r, status: int) -> dict:  # type: ignore[no-untyped-def, type-arg]
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers
    body = r.json()
    assert set(body) == {"type", "title", "status", "detail", "instance"}, body
    assert body["status"] == status
    return body  # type: ignore[no-any-return]


def test_out_of_range_since_is_refused_not_500(client) -> None:  # type: ignore[no-untyped-def]
    c, _ = client
    for since in ("9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59"):
        body = problem(c.get("/market/BEA-2016/trades", params={"since": since}), 422)
        assert body["title"] == "time out of range" and "outside" in body["detail"]


def test_routing_and_body_errors_are_problem_details(client, login) -> None:  # type: ignore[no-untyped-def]
    c, w = client
    assert problem(c.get("/no/such/route"), 404)["title"] == "not found"
    assert problem(c.delete("/health"), 405)["title"] == "method not allowed"
    h = login(c, "BJ-co-1")
    bad_json = c.post("/market/BEA-2016/deposits", content=b"{not json", headers={**h, "content-type": "application/json"})
    problem(bad_json, 422)
    problem(c.post("/market/BEA-2016/deposits", json={"amount_fen": 10**30}, headers=h), 422)
    problem(c.post("/market/BEA-2016/orders", json={"account": w.accounts[1].number, "side": "buy",
                                                     "quantity": 2**63, "price_fen": 4900}, headers=h), 422)
    problem(c.post("/market/BEA-2016/orders", json={"account": w.accounts[1].number, "side": "buy",
                                                     "quantity": 10, "price_fen": 10**9 + 1}, headers=h), 422)


def test_order_form_huge_or_infinite_price_is_refused_fast(client) -> None:  # type: ignore[no-untyped-def]
    c, w = client
    assert c.post("/ui/login", data={"username": "BJ-co-1", "password": PW}, follow_redirects=False).status_code == 303
    c.post("/market/BEA-2016/deposits", json={"amount_fen": 1_000_000})
    before = c.get("/market/BEA-2016/orders").json()
    for price, quantity in (("1e999990", "10"), ("Infinity", "10"), ("NaN", "10"), ("-Infinity", "10"),
                            ("49.00", "1e999999999"), ("49.00", "Infinity"), ("1e-999999", "10")):
        t0 = time.perf_counter()
        r = c.post("/ui/market/BEA-2016/orders", data={"account": w.accounts[1].number, "side": "buy",
                                                       "quantity": quantity, "price": price})
        assert time.perf_counter() - t0 < 2.0, (price, quantity)
        assert r.status_code < 500 and "数量为整吨，价格以元计、精确到 0.01" in r.text, (price, quantity, r.status_code)
    assert c.get("/market/BEA-2016/orders").json() == before
    assert c.get("/health").status_code == 200


def test_nul_bytes_refused_in_codes_and_ids(client, login) -> None:  # type: ignore[no-untyped-def]
    c, w = client
    h = login(c, "BJ-co-1")
    problem(c.get("/market/BEA%002016/trades"), 422)
    problem(c.post("/market/BEA-2016/orders", json={"account": w.accounts[1].number + "\x00", "side": "buy",
                                                     "quantity": 10, "price_fen": 4900}, headers=h), 422)
    problem(c.post("/market/BEA-2016/orders", json={"account": w.accounts[1].number, "side": "buy", "quantity": 10,
                                                     "price_fen": 4900, "client_id": "a\x00b"}, headers=h), 422)
    assert c.get("/market/BEA-2016/orders", headers=h).json() == []
