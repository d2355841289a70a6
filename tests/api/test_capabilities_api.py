"""MRV reports, allocation results, auctions and offsets through the API, each role boundary tried:
a company sees only its reports, a verifier only those assigned to it, a regulator only its market's."""

from __future__ import annotations

import pytest

from openets.core.actor import SYSTEM_SETUP, Role
from openets.registry.model import PartyKind


@pytest.fixture
def client(make_api):  # type: ignore[no-untyped-def]
    def setup(w) -> None:  # type: ignore[no-untyped-def]
        svc = w.svc
        for name in ("V1", "V2"):
            pid = svc.create_party(kind=PartyKind.VERIFIER, name=f"核查{name}", registration_id=name)
            svc.add_user(SYSTEM_SETUP, name=f"ver-{name}", party_id=pid, role=Role.VERIFIER)
        svc.add_user(SYSTEM_SETUP, name="SH-reg", party_id=svc.registry_party("SH"), role=Role.REGULATOR, market="SH")
        aud = svc.create_party(kind=PartyKind.REGULATOR, name="审计", registration_id="AUD")
        svc.add_user(SYSTEM_SETUP, name="auditor", party_id=aud, role=Role.AUDITOR)

    return make_api(("BJ-co-0", "BJ-co-1", "BJ-reg-1", "BJ-reg-2", "ver-V1", "ver-V2", "SH-reg", "auditor"), setup)


def refused(r, status: int, code: str) -> None:  # type: ignore[no-untyped-def]
    """A refusal of who asks is 403, of what was asked 422 — each with its problem code."""
    assert (r.status_code, r.json()["type"].rsplit("/", 1)[-1]) == (status, code), r.text


def test_mrv_report_through_its_roles(client, login) -> None:  # type: ignore[no-untyped-def]
    c, w = client
    h = {u: login(c, u) for u in ("BJ-co-0", "BJ-co-1", "BJ-reg-1", "BJ-reg-2", "ver-V1", "ver-V2", "SH-reg", "auditor")}
    # a unit's emissions without its sector (it would fall outside the power plans' gap cap): refused, nothing filed
    bad = c.post("/mrv/BJ/2016/reports", json={"emissions": "12000.50", "output": [
        {"source_id": "I1", "sector": "heat"}, {"source_id": "U1", "emissions": "12000.50"}]}, headers=h["BJ-co-0"])
    assert bad.status_code == 422 and bad.json()["type"].endswith("/output_sector_missing"), bad.text
    assert "output row 2:" in bad.json()["detail"]
    filed = c.post("/mrv/BJ/2016/reports", json={"emissions": "12000.50", "output": [{"source_id": "I1",
                                                                                      "sector": "heat"}]},
                   headers=h["BJ-co-0"])
    assert filed.status_code == 201, filed.text
    rid = filed.json()["id"]
    for who in ("BJ-co-1", "ver-V1", "SH-reg"):  # not theirs: as if it did not exist
        assert c.get(f"/mrv/reports/{rid}", headers=h[who]).status_code == 404
    v1_party = w.svc.actor("ver-V1").party_id
    refused(c.post(f"/mrv/reports/{rid}/assign", json={"verifier_org": v1_party}, headers=h["BJ-co-0"]), 403,
            "not_authorised")
    assert c.post(f"/mrv/reports/{rid}/assign", json={"verifier_org": v1_party}, headers=h["SH-reg"]).status_code == 404
    assert c.post(f"/mrv/reports/{rid}/assign", json={"verifier_org": v1_party}, headers=h["BJ-reg-1"]).status_code == 200
    assert c.get(f"/mrv/reports/{rid}", headers=h["ver-V1"]).json()["verifier"] == str(v1_party)  # now theirs
    assert c.post(f"/mrv/reports/{rid}/start", headers=h["ver-V2"]).status_code == 404
    assert c.post(f"/mrv/reports/{rid}/start", headers=h["ver-V1"]).status_code == 200
    body = {"emissions": "12100", "findings": [["major", "fuel records missing"]], "statement": "verified, corrected"}
    assert c.post(f"/mrv/reports/{rid}/verify", json={**body, "findings": [["bad", "x"]]},
                  headers=h["ver-V1"]).status_code == 422
    refused(c.post(f"/mrv/reports/{rid}/verify", json=body, headers=h["BJ-co-0"]), 403, "not_authorised")  # not a verifier
    assert c.post(f"/mrv/reports/{rid}/verify", json=body, headers=h["ver-V1"]).json()["verified_emissions"] == "12100"
    refused(c.post(f"/mrv/reports/{rid}/confirm", headers=h["BJ-co-0"]), 403, "not_authorised")
    assert c.post(f"/mrv/reports/{rid}/confirm", headers=h["auditor"]).status_code == 403  # reads, never acts
    assert c.post(f"/mrv/reports/{rid}/confirm", headers=h["BJ-reg-2"]).json()["state"] == "confirmed"
    # listings by role
    assert c.get("/mrv/reports", headers=h["BJ-co-0"]).json()["total"] == 1
    assert c.get("/mrv/reports", headers=h["BJ-co-1"]).json()["total"] == 0
    assert c.get("/mrv/reports", headers=h["ver-V2"]).json()["total"] == 0
    assert c.get("/mrv/reports", headers=h["SH-reg"]).json()["total"] == 0
    assert c.get("/mrv/reports?limit=1", headers=h["auditor"]).json()["items"][0]["id"] == rid


def test_public_allocations_projects_and_auctions(client, login) -> None:  # type: ignore[no-untyped-def]
    c, _ = client
    r = c.get("/allocation/BJ/2016?limit=1")
    assert r.status_code == 200 and r.json()["limit"] == 1  # public, paginated (nothing issued by a run here)
    assert c.get("/allocation/XX/2016").status_code == 422
    assert c.get("/offsets/projects").json()["total"] == 0
    assert c.get("/auctions/99").status_code == 404
    h = login(c, "BJ-co-0")
    assert c.post("/auctions/99/bids", json={"price_fen": 4000, "quantity": 10}, headers=h).status_code == 404
    assert c.get("/offsets/eligibility/BJ-C00001?year=2016&on=2017-06-10&basis=1000",
                 headers=h).status_code == 404  # someone else's account


def test_an_auction_through_the_api(client, login) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from openets.registry.commands import CentralTransfer

    c, w = client
    w.svc.one(w.reg, CentralTransfer(from_account=w.issuance.id, to_account=w.svc.account("BJ-AUCTION").id,
                        unit_class=w.unit_class.id, quantity=100_000))
    rules = {"market": "BJ", "document": "test", "volume": 100_000, "opens_at": "2017-06-01T09:00:00+08:00",
             "closes_at": "2017-06-01T11:00:00+08:00", "reserve_fen": 4000, "deposit": "none", "eligible_rule": "covered"}
    hc, hr = login(c, "BJ-co-0"), login(c, "BJ-reg-1")
    body = {"rules": rules, "unit_class": "BEA-2016"}
    refused(c.post("/auctions", json=body, headers=hc), 403, "not_authorised")  # a company announces nothing
    assert c.post("/auctions", json={**body, "rules": {"market": "BJ"}}, headers=hr).status_code == 422  # no window
    nid = c.post("/auctions", json=body, headers=hr).json()["notice"]
    w.svc.clock.at = datetime(2017, 6, 1, 2, 0, tzinfo=UTC)  # 10:00 in Beijing: inside the window
    c.post("/market/BEA-2016/deposits", json={"amount_fen": 10**9}, headers=hc)
    assert c.post(f"/auctions/{nid}/bids", json={"price_fen": 4100, "quantity": 50_000}, headers=hc).status_code == 201
    refused(c.post(f"/auctions/{nid}/bids", json={"price_fen": 4100, "quantity": 1}, headers=hr), 403, "not_authorised")
    assert c.post(f"/auctions/{nid}/close", headers=hr).status_code == 422  # still open
    w.svc.clock.at = datetime(2017, 6, 1, 3, 30, tzinfo=UTC)
    refused(c.post(f"/auctions/{nid}/close", headers=hc), 403, "not_authorised")  # a company closes nothing
    out = c.post(f"/auctions/{nid}/close", headers=hr).json()
    assert (out["clearing_price_fen"], out["volume_sold_t"]) == (4100, 50_000)
    assert c.get(f"/auctions/{nid}").json()["status"] == "settled"
