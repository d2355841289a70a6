"""Role gaps through the API: exchange cash for the member named (a member its own, the exchange
operator the member whose bank transfer it records; regulators and auditors refused, 403) and holding
limits granted as an act of a market's regulator."""

from __future__ import annotations

import pytest

from openets.core.actor import SYSTEM_SETUP, Role
from openets.registry.model import PartyKind
from openets.services.exchange import open_exchange
from openets.testing.digest import digest


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
