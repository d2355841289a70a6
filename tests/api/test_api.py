"""The API on a real database: login, role boundaries (each forbidden action refused), idempotent
transfers, problem details, never a 500 on bad input."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from openets.api.app import create_app
from openets.services.auth import AuthService
from openets.testing.builders import build_world


@pytest.fixture
def client(engine, clock):  # type: ignore[no-untyped-def]
    w = build_world(engine, clock)
    auth = AuthService(w.svc)
    for user in ("BJ-co-0", "BJ-co-1", "BJ-reg-1"):
        auth.set_password(user, "correct horse battery")
    app = create_app(engine, secret="test-secret-of-thirty-two-bytes-or-more")
    return TestClient(app), w


def login(c: TestClient, user: str) -> dict[str, str]:
    r = c.post("/auth/token", data={"username": user, "password": "correct horse battery"})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_health_and_docs(client) -> None:  # type: ignore[no-untyped-def]
    c, _ = client
    assert c.get("/health").json() == {"status": "ok"} and c.get("/ready").status_code == 200
    assert "/registry/transfers" in c.get("/openapi.json").json()["paths"]


def test_company_sees_and_moves_only_its_own(client) -> None:  # type: ignore[no-untyped-def]
    c, w = client
    a, b = w.accounts
    h0, h1 = login(c, "BJ-co-0"), login(c, "BJ-co-1")
    assert c.get(f"/registry/accounts/{a.number}/balances", headers=h0).json()[0]["total"] == 10_000
    other = c.get(f"/registry/accounts/{a.number}/balances", headers=h1)
    assert other.status_code == 404 and other.headers["content-type"].startswith("application/problem+json")
    assert c.get("/registry/accounts/NOPE/balances", headers=h1).status_code == 404  # the same answer: no probing
    body = {"unit_class": "BEA-2016", "quantity": 100, "from_account": a.number, "to_account": b.number}
    assert c.post("/registry/transfers", json=body, headers=h1).status_code == 404  # not its account
    r1 = c.post("/registry/transfers", json=body, headers={**h0, "Idempotency-Key": "t-1"})
    r2 = c.post("/registry/transfers", json=body, headers={**h0, "Idempotency-Key": "t-1"})
    assert r1.status_code == 201 and r2.json()["replayed"] and r1.json()["txn"] == r2.json()["txn"]
    clash = c.post("/registry/transfers", json={**body, "quantity": 101}, headers={**h0, "Idempotency-Key": "t-1"})
    assert clash.status_code == 409
    # every state-changing request is in the audit log with its acting user and answer
    from sqlalchemy import text

    with w.svc.engine.connect() as conn:
        rows = conn.execute(text("SELECT user_name, status FROM audit_log WHERE path = '/registry/transfers' "
                                 "ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [("BJ-co-1", 404), ("BJ-co-0", 201), ("BJ-co-0", 201), ("BJ-co-0", 409)]
    # the regulator sees every account of its market
    hr = login(c, "BJ-reg-1")
    assert c.get(f"/registry/accounts/{b.number}/balances", headers=hr).json()[0]["total"] == 10_100


def test_auth_failures_and_revocation(client) -> None:  # type: ignore[no-untyped-def]
    c, _ = client
    assert c.get("/registry/accounts/X/balances").status_code == 401
    assert c.get("/registry/accounts/X/balances", headers={"Authorization": "Bearer nonsense"}).status_code == 401
    for _ in range(5):
        assert c.post("/auth/token", data={"username": "BJ-co-0", "password": "wrong"}).status_code == 401
    limited = c.post("/auth/token", data={"username": "BJ-co-0", "password": "correct horse battery"})
    assert limited.status_code == 429  # rate limited, even with the right password
    h = login(c, "BJ-co-1")
    assert c.post("/auth/logout", headers=h).json()["revoked"] >= 1
    assert c.get("/registry/accounts/X/balances", headers=h).status_code == 401


@pytest.mark.parametrize("body", [
    {"unit_class": "BEA-2016", "quantity": 0, "from_account": "A", "to_account": "B"},
    {"unit_class": "BEA-2016", "quantity": 1.5, "from_account": "A", "to_account": "B"},
    {"unit_class": "BEA-2016", "quantity": "lots", "from_account": "A", "to_account": "B"},
    {"quantity": 5},
    [],
])
def test_bad_input_is_a_problem_not_a_500(client, body) -> None:  # type: ignore[no-untyped-def]
    c, w = client
    h = login(c, "BJ-co-0")
    r = c.post("/registry/transfers", json=body, headers=h)
    assert r.status_code == 422 and r.json()["status"] == 422
    r = c.post("/registry/transfers", content=b"{not json", headers={**h, "Content-Type": "application/json"})
    assert r.status_code == 422
    big = {"unit_class": "BEA-2016", "quantity": 10**9, "from_account": w.accounts[0].number,
           "to_account": w.accounts[1].number}
    r = c.post("/registry/transfers", json=big, headers=h)
    assert r.status_code == 422 and r.json()["title"] == "available balance"


def test_the_chart_library_is_served_from_the_package_not_plotly(client) -> None:  # type: ignore[no-untyped-def]
    import tomllib
    from pathlib import Path

    c, _w = client
    r = c.get("/static/plotly.min.js")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")
    assert "plotly.js v4.1.1" in r.text[:200] and "MIT license" in r.text[:200]
    project = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())["project"]
    assert not any(d.startswith("plotly") for d in project["dependencies"])
