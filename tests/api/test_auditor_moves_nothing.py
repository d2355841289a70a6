"""Issue 19 item 4: the auditor reads everything and moves nothing. Every state-changing API route
(listed from the app's OpenAPI document, so a new route without a case here fails this test) tried as the
auditor with a well-formed request: 403 problem details (read_only), the database unchanged."""

from __future__ import annotations

from tests.fuzz.hostile import TALLY, write_tally

from openets.core.actor import SYSTEM_SETUP, Role
from openets.registry.model import PartyKind
from openets.testing.digest import digest

SESSION = {"/auth/token", "/auth/logout"}  # the auditor's own session: logging in and out is theirs


def test_every_state_changing_route_refuses_the_auditor(make_api, login, engine) -> None:  # type: ignore[no-untyped-def]
    def setup(w) -> None:  # type: ignore[no-untyped-def]
        aud = w.svc.create_party(kind=PartyKind.REGULATOR, name="审计", registration_id="AUD")
        w.svc.add_user(SYSTEM_SETUP, name="auditor", party_id=aud, role=Role.AUDITOR)

    c, w = make_api(("auditor", "BJ-co-0"), setup)
    filed = c.post("/mrv/BJ/2016/reports", json={"emissions": "100", "output": []}, headers=login(c, "BJ-co-0"))
    assert filed.status_code == 201, filed.text
    rid, acc0, acc1 = filed.json()["id"], w.accounts[0].number, w.accounts[1].number
    order = {"account": acc0, "side": "sell", "quantity": 1, "price_fen": 5000}
    cases = {
        ("POST", "/registry/transfers"): {"unit_class": "BEA-2016", "quantity": 1, "from_account": acc0,
                                          "to_account": acc1},
        ("POST", "/registry/surrenders"): {"unit_class": "BEA-2016", "quantity": 1, "from_account": acc0,
                                           "compliance_year": 2016},
        ("POST", "/registry/limits"): {"kind": "carry_over", "market": "BJ", "year": 2016, "company": "BJ-REG-00000"},
        ("POST", "/market/{instrument}/orders"): order,
        ("DELETE", "/market/{instrument}/orders/{order_id}"): None,
        ("POST", "/market/{instrument}/deposits"): {"amount_fen": 100},
        ("POST", "/auctions"): {"rules": {"market": "BJ"}, "unit_class": "BEA-2016"},
        ("POST", "/auctions/{notice_id}/reserve"): None,
        ("POST", "/auctions/{notice_id}/close"): None,
        ("POST", "/auctions/{notice_id}/bids"): {"price_fen": 4000, "quantity": 1},
        ("POST", "/mrv/{market}/{year}/reports"): {"emissions": "100", "output": []},
        ("POST", "/mrv/reports/{report_id}/assign"): {"verifier_org": 1},
        ("POST", "/mrv/reports/{report_id}/start"): None,
        ("POST", "/mrv/reports/{report_id}/verify"): {"emissions": "100"},
        ("POST", "/mrv/reports/{report_id}/confirm"): None,
        ("POST", "/falsification/findings"): {"market": "BJ", "company": "BJ-REG-00000", "year": 2016,
                                              "kind": "falsified", "basis": "invoices altered"},
        ("POST", "/falsification/findings/{finding_id}/decision"): {"corrected": True, "amount_fen": 60_000_000},
    }
    routes = {(m.upper(), path) for path, ops in c.app.openapi()["paths"].items() for m in ops
              if m.upper() in ("POST", "PUT", "PATCH", "DELETE") and path not in SESSION}
    assert routes == set(cases)  # every state-changing route has its case
    h = login(c, "auditor")
    params = {"instrument": "BEA-2016", "order_id": "1", "notice_id": "1", "finding_id": "1", "market": "BJ", "year": "2016",
              "report_id": str(rid)}
    before = digest(engine)
    for (method, path), body in sorted(cases.items()):
        url = path.format(**params)
        r = c.request(method, url, json=body, headers=h)
        assert r.status_code == 403, (method, url, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["type"].endswith("/read_only") and r.json()["status"] == 403
        assert digest(engine) == before, (method, url)
        TALLY["role-boundary cases refused"] += 1
    write_tally()
