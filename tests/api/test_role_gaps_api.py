"""Role gaps through the API: exchange cash for the member named (a member its own, the exchange
operator the member whose bank transfer it records; regulators and auditors refused, 403) and holding
limits granted as an act of a market's regulator."""

from __future__ import annotations

import pytest

from openets.core.actor import SYSTEM_SETUP, Role
from openets.registry.model import PartyKind
from openets.services.exchange import open_exchange
from openets.testing.digest import digest

PW = "correct horse battery"
SECRET = "test-secret-of-thirty-two-bytes-or-more"


@pytest.fixture
def client(make_api):  # type: ignore[no-untyped-def]
    def setup(w) -> None:  # type: ignore[no-untyped-def]
        auditor = w.svc.create_party(kind=PartyKind.REGULATOR, name="审计", registration_id="AUD")
        w.svc.add_user(SYSTEM_SETUP, name="auditor", party_id=auditor, role=Role.AUDITOR)
        op = open_exchange(w.svc, "BEA-2016").ensure_exchange_party()
        w.svc.add_user(SYSTEM_SETUP, name="bj-exchange", party_id=op, role=Role.EXCHANGE, market="BJ")
        w.svc.add_user(SYSTEM_SETUP, name="SH-reg-1", party_id=w.svc.registry_party("SH"), role=Role.REGULATOR,
                       market="SH")

    return make_api(("BJ-co-0", "BJ-co-1", "BJ-reg-1", "auditor", "bj-exchange", "SH-reg-1"), setup)


def _code(r) -> str:  # type: ignore[no-untyped-def]
    return str(r.json()["type"]).rsplit("/", 1)[-1]


def test_deposits_for_the_member_named(client, login, engine) -> None:  # type: ignore[no-untyped-def]
    c, w = client
    member, other = w.companies[0].party_id, w.companies[1].party_id
    h = {u: login(c, u) for u in ("BJ-co-0", "BJ-reg-1", "auditor", "bj-exchange")}
    before = digest(engine)
    for who, body, status, code in (
            ("auditor", {"amount_fen": 100, "party": member}, 403, "read_only"),
            ("BJ-reg-1", {"amount_fen": 100, "party": member}, 403, "not_authorised"),  # a regulator holds no cash
            ("BJ-co-0", {"amount_fen": 100, "party": other}, 403, "not_authorised"),  # a member pays in its own only
            ("bj-exchange", {"amount_fen": 100}, 403, "not_authorised"),  # the operator names the member
            ("bj-exchange", {"amount_fen": 100, "party": 1}, 422, "not_a_member")):  # party 1: BJ's registry
        r = c.post("/market/BEA-2016/deposits", json=body, headers=h[who])
        assert (r.status_code, _code(r)) == (status, code), (who, r.text)
    assert c.post("/market/BEA-2016/deposits", json={"amount_fen": 1, "party": 0},
                  headers=h["bj-exchange"]).status_code == 422
    assert digest(engine) == before
    # 100 fen by the member itself, then 250 fen recorded by the operator: 350 fen
    assert c.post("/market/BEA-2016/deposits", json={"amount_fen": 100}, headers=h["BJ-co-0"]).json()["balance_fen"] == 100
    r = c.post("/market/BEA-2016/deposits", json={"amount_fen": 250, "party": member}, headers=h["bj-exchange"])
    assert r.status_code == 201 and r.json()["balance_fen"] == 350, r.text


def test_limits_granted_by_a_regulator_of_the_market(engine) -> None:  # type: ignore[no-untyped-def]
    """Carry-over under the 2023–2024 plan: 10,000 t + 1.5 × net allowances sold 2019–2024; the company
    sold none, so 10,000 + 1.5 × 0 = 10,000 t of vintages up to 2024 (mechanisms.md §8.3)."""
    from datetime import UTC, datetime

    from fastapi.testclient import TestClient

    from openets.api.app import create_app
    from openets.core.clock import FixedClock
    from openets.services.auth import AuthService
    from openets.testing.builders import build_world

    clock = FixedClock(datetime(2025, 3, 3, 2, tzinfo=UTC))
    w = build_world(engine, clock, market="CEA", vintage=2024, companies=2, issue=1_000_000, allocate=100_000)
    w.svc.add_user(SYSTEM_SETUP, name="BJ-reg-1", party_id=w.svc.registry_party("BJ"), role=Role.REGULATOR,
                   market="BJ")
    auditor = w.svc.create_party(kind=PartyKind.REGULATOR, name="审计", registration_id="AUD")
    w.svc.add_user(SYSTEM_SETUP, name="auditor", party_id=auditor, role=Role.AUDITOR)
    auth = AuthService(w.svc)
    for u in ("CEA-reg-1", "CEA-co-0", "CEA-co-1", "BJ-reg-1", "auditor"):
        auth.set_password(u, PW)
    c = TestClient(create_app(engine, secret=SECRET, clock=clock))

    def login(u: str) -> dict[str, str]:
        r = c.post("/auth/token", data={"username": u, "password": PW})
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    h = {u: login(u) for u in ("CEA-reg-1", "CEA-co-0", "CEA-co-1", "BJ-reg-1", "auditor")}
    body = {"kind": "carry_over", "market": "CEA", "year": 2024, "company": "CEA-REG-00000"}
    before = digest(engine)
    for who, status, code in (("CEA-co-0", 403, "not_authorised"),  # a company grants itself nothing
                              ("BJ-reg-1", 403, "not_authorised"),  # another market's regulator
                              ("auditor", 403, "read_only")):
        r = c.post("/registry/limits", json=body, headers=h[who])
        assert (r.status_code, _code(r)) == (status, code), (who, r.text)
    assert c.post("/registry/limits", json={**body, "kind": "holding"}, headers=h["CEA-reg-1"]).status_code == 422
    assert c.post("/registry/limits", json=body).status_code == 401
    assert digest(engine) == before
    r = c.post("/registry/limits", json=body, headers=h["CEA-reg-1"])
    assert r.status_code == 201, r.text
    got = r.json()
    assert (got["account"], got["kind"], got["year"], got["quantity"]) == (w.accounts[0].number, "carry_over", 2024,
                                                                           10_000)
    assert c.post("/registry/limits", json=body, headers=h["CEA-reg-1"]).json() == got  # granted once
    number = w.accounts[0].number
    for who in ("CEA-co-0", "CEA-reg-1", "auditor"):  # its owner, the market's regulator, an auditor
        assert c.get(f"/registry/accounts/{number}/limits", headers=h[who]).json() == [got]
    assert c.get(f"/registry/accounts/{number}/limits", headers=h["CEA-co-1"]).status_code == 404  # not theirs
    assert c.get(f"/registry/accounts/{w.accounts[1].number}/limits", headers=h["CEA-co-1"]).json() == []
    # the grant is audited: the regulator's request, answered 201
    rows = c.get("/audit", params={"action": "registry"}, headers=h["auditor"]).json()["items"]
    assert any(x["user"] == "CEA-reg-1" and x["status"] == 201 and "limits" in x["target"] for x in rows), rows
