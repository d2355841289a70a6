"""Decree 775's data-quality findings through the API (routes/falsification.py) on a real database: a
regulator records, a second regulator decides, the next year's allocation run applies the cut; the
role boundaries (company, auditor, another market's regulator, the finder deciding), the client key's
replay and conflict, and hostile input — every refusal a 4xx problem details answer, never a 500."""

from __future__ import annotations

from decimal import Decimal as D

from sqlalchemy import select

from openets.allocation.plan import CompanyAllocation, PlanResult
from openets.services.allocation import AllocationService
from openets.storage import tables as t
from openets.testing.digest import digest

FOUND = {"market": "CEA", "company": "CEA-REG-00000", "year": 2023, "kind": "falsified",
         "basis": "coal purchase invoices altered, Mar–May 2023"}
# no illegal gains found: the fine in the fixed range 500,000–2,000,000 yuan, 600,000 yuan = 60,000,000 fen;
# individuals 100,000 yuan (in 50,000–200,000) = 10,000,000 fen; not corrected, half of 2024 cut
DECIDED = {"gains_fen": 0, "amount_fen": 60_000_000, "individual_fen": 10_000_000, "corrected": False,
           "cut_share": "0.5"}


def refused(r, status: int, code: str) -> str:  # type: ignore[no-untyped-def]
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers
    body = r.json()
    assert body["type"].endswith("/" + code), body
    assert "Traceback" not in body["detail"] and len(body["detail"].splitlines()) == 1
    return str(body["detail"])


def test_recorded_decided_replayed_and_cut_by_the_next_allocation(cea_api, engine) -> None:  # type: ignore[no-untyped-def]
    c, w, h = cea_api
    key = {"Idempotency-Key": "finding-A-2023"}
    before = digest(engine)
    refused(c.post("/falsification/findings", json=FOUND, headers=h["CEA-co-0"]), 403, "forbidden")
    refused(c.post("/falsification/findings", json=FOUND, headers=h["auditor"]), 403, "read_only")
    refused(c.post("/falsification/findings", json=FOUND, headers=h["BJ-reg-1"]), 403, "not_authorised")
    refused(c.post("/falsification/findings", json=FOUND), 401, "not_authenticated")
    assert digest(engine) == before  # the refusals changed nothing

    r = c.post("/falsification/findings", json=FOUND, headers={**h["CEA-reg-1"], **key})
    assert r.status_code == 201, r.text
    f = r.json()
    assert (f["status"], f["found_by"], f["company_name"], f["replayed"], f["fine_fen"]) == (
        "found", "CEA-reg-1", "企业0", False, None)
    again = c.post("/falsification/findings", json=FOUND, headers={**h["CEA-reg-1"], **key})
    assert again.status_code == 201 and again.json() == {**f, "replayed": True}  # the same answer
    refused(c.post("/falsification/findings", json={**FOUND, "kind": "no_samples"}, headers={**h["CEA-reg-1"], **key}),
            409, "idempotency_conflict")
    # the other regulator with the first one's key: not the first one's request
    refused(c.post("/falsification/findings", json=FOUND, headers={**h["CEA-reg-2"], **key}), 409,
            "idempotency_conflict")
    refused(c.post("/falsification/findings", json=FOUND, headers=h["CEA-reg-1"]), 422, "finding_exists")
    with engine.connect() as conn:
        assert conn.execute(select(t.falsification_findings.c.id)).scalars().all() == [f["id"]]  # one, not three

    url = f"/falsification/findings/{f['id']}/decision"
    dkey = {"Idempotency-Key": "decide-1"}
    refused(c.post(url, json=DECIDED, headers=h["CEA-reg-1"]), 403, "four_eyes")  # the finder does not decide
    refused(c.post(url, json=DECIDED, headers=h["BJ-reg-1"]), 403, "not_authorised")
    refused(c.post(url, json=DECIDED, headers=h["CEA-co-0"]), 403, "forbidden")
    refused(c.post(url, json={**DECIDED, "cut_share": "0.4"}, headers=h["CEA-reg-2"]), 422, "share_outside_range")
    refused(c.post(url, json={**DECIDED, "amount_fen": 40_000_000}, headers=h["CEA-reg-2"]), 422, "fine_outside_range")
    refused(c.post(url, json={**DECIDED, "corrected": True}, headers=h["CEA-reg-2"]), 422, "cut_when_corrected")
    refused(c.post("/falsification/findings/999/decision", json=DECIDED, headers=h["CEA-reg-2"]), 404, "not_found")
    r = c.post(url, json=DECIDED, headers={**h["CEA-reg-2"], **dkey})
    assert r.status_code == 200, r.text
    d = r.json()
    assert (d["status"], d["fine_fen"], d["individual_fen"], d["cut_share"], d["cut_year"], d["decided_by"]) == (
        "decided", 60_000_000, 10_000_000, "0.5", 2024, "CEA-reg-2")
    assert d["decision"].startswith("illegal gains 0.00 yuan, below 500,000.00: fine 600,000.00 yuan")
    # the same decision again (0.50 is the share 0.5): the same answer; another with the key: refused
    again = c.post(url, json={**DECIDED, "cut_share": "0.50"}, headers={**h["CEA-reg-2"], **dkey})
    assert again.status_code == 200 and again.json() == {**d, "replayed": True}
    refused(c.post(url, json={**DECIDED, "cut_share": "1"}, headers={**h["CEA-reg-2"], **dkey}), 409,
            "idempotency_conflict")
    refused(c.post(url, json=DECIDED, headers=h["CEA-reg-2"]), 422, "finding_decided")

    # reading: the market's regulators; anyone else 403, another market's regulator finds none (404)
    page = c.get("/falsification/findings", headers=h["CEA-reg-1"]).json()
    assert (page["total"], [x["id"] for x in page["items"]]) == (1, [f["id"]])
    assert c.get("/falsification/findings", params={"company": "CEA-REG-00001"}, headers=h["CEA-reg-1"]).json()["total"] == 0
    assert c.get("/falsification/findings", params={"year": 2022}, headers=h["CEA-reg-1"]).json()["total"] == 0
    assert c.get("/falsification/findings", params={"market": "CEA", "year": 2023, "company": "CEA-REG-00000"},
                 headers=h["CEA-reg-2"]).json()["total"] == 1
    refused(c.get("/falsification/findings", params={"market": "CEA"}, headers=h["BJ-reg-1"]), 403, "not_authorised")
    refused(c.get("/falsification/findings", headers=h["CEA-co-0"]), 403, "forbidden")
    refused(c.get(f"/falsification/findings/{f['id']}", headers=h["CEA-co-0"]), 403, "forbidden")
    # an auditor reads every market's findings (as every other record), and changes none (above: read_only)
    assert [x["id"] for x in c.get("/falsification/findings", headers=h["auditor"]).json()["items"]] == [f["id"]]
    assert c.get("/falsification/findings", params={"market": "BJ"}, headers=h["auditor"]).json()["total"] == 0
    assert c.get(f"/falsification/findings/{f['id']}", headers=h["auditor"]).json()["status"] == "decided"
    refused(c.get(f"/falsification/findings/{f['id']}", headers=h["BJ-reg-1"]), 404, "not_found")
    refused(c.get("/falsification/findings/999", headers=h["CEA-reg-1"]), 404, "not_found")

    # the 2024 allocation: A 100,001 t × 0.5 = 50,000.5 → 50,001 t cut (half up); shown once applied
    alloc = AllocationService(w.svc)
    plan = PlanResult("final", tuple(CompanyAllocation(f"CEA-REG-{i:05d}", ("power",), D(100_001), 100_001, ())
                                     for i in range(2)), ())
    alloc.issue(w.reg2, alloc.propose(w.reg, plan, market="CEA", year=2024).run, unit_class=w.unit_class.code,
                from_account="CEA-ISSUANCE")
    one = c.get(f"/falsification/findings/{f['id']}", headers=h["CEA-reg-1"]).json()
    assert one["cut_quantity"] == 50_001 and one["cut_run_id"] is not None

    # the audit log: each request with its user and answer; the decision with its figures
    with engine.connect() as conn:
        rows = conn.execute(select(t.audit_log.c.user_name, t.audit_log.c.action, t.audit_log.c.path,
                                   t.audit_log.c.answer).where(t.audit_log.c.action == "falsification.decide")
                            .order_by(t.audit_log.c.id)).all()
    ok = [r for r in rows if r.answer == "ok"]
    assert [r.user_name for r in ok] == ["CEA-reg-2", "CEA-reg-2"]  # the decision and its replay
    assert ("gains_fen=0 corrected=False multiple=None amount_fen=60000000 individual_fen=10000000 cut_share=0.5 "
            "cut_year=None") in ok[0].path
    assert ("CEA-reg-1", "four_eyes") in {(r.user_name, r.answer) for r in rows}


def test_hostile_input_is_a_clear_4xx(cea_api, engine) -> None:  # type: ignore[no-untyped-def]
    c, _, h = cea_api
    reg, reg2 = h["CEA-reg-1"], h["CEA-reg-2"]
    before = digest(engine)
    bad_findings = [
        ({**FOUND, "kind": "typo"}, "request_invalid"),
        ({**FOUND, "kind": None}, "request_invalid"),
        ({**FOUND, "year": 10**30}, "request_invalid"),
        ({**FOUND, "company": "CEA-REG\x0000000"}, "request_invalid"),
        ({**FOUND, "company": "X" * 33}, "request_invalid"),
        ({**FOUND, "basis": ""}, "request_invalid"),
        ({**FOUND, "basis": "a\x00b"}, "request_invalid"),
        ({**FOUND, "basis": "x" * 2001}, "request_invalid"),
        ({**FOUND, "basis": "   "}, "basis_missing"),
        ({**FOUND, "market": "cea"}, "request_invalid"),
        ({**FOUND, "company": "NO-SUCH-CO"}, "not_found"),  # no report of that company
        ({**FOUND, "year": 2022}, "not_found"),  # A has no 2022 report
        ({k: v for k, v in FOUND.items() if k != "basis"}, "request_invalid"),
    ]
    for body, code in bad_findings:
        r = c.post("/falsification/findings", json=body, headers=reg)
        assert r.status_code in (404, 422) and r.status_code < 500, (body, r.text)
        refused(r, r.status_code, code)
    refused(c.post("/falsification/findings", json={**FOUND, "market": "ZZ"}, headers=h["CEA-reg-1"]), 403,
            "not_authorised")  # a market CEA's regulator does not regulate
    for raw in (b"{not json", b'{"market": "CEA", "company": "CEA-REG-00000", "year": 1e999, "kind": "falsified", '
                b'"basis": "x"}', b'{"market": "CEA", "company": "\\udcff", "year": 2023, "kind": "falsified", '
                b'"basis": "x"}'):
        r = c.post("/falsification/findings", content=raw, headers={**reg, "content-type": "application/json"})
        assert 400 <= r.status_code < 500, (raw, r.text)
    refused(c.post("/falsification/findings", json=FOUND, headers={**reg, "Idempotency-Key": "k" * 129}), 422,
            "request_invalid")
    assert digest(engine) == before

    fid = c.post("/falsification/findings", json=FOUND, headers=reg).json()["id"]
    url = f"/falsification/findings/{fid}/decision"
    bad_decisions = [
        ({**DECIDED, "amount_fen": 10**30}, "request_invalid"),
        ({**DECIDED, "amount_fen": 2**63}, "request_invalid"),
        ({**DECIDED, "amount_fen": -1}, "request_invalid"),
        ({**DECIDED, "gains_fen": 10**16}, "request_invalid"),
        ({**DECIDED, "individual_fen": 10**20}, "request_invalid"),
        ({**DECIDED, "amount_fen": "1e999999999"}, "request_invalid"),
        ({**DECIDED, "multiple": "1e999999999"}, "request_invalid"),
        ({**DECIDED, "multiple": "NaN"}, "request_invalid"),
        ({**DECIDED, "cut_share": "Infinity"}, "request_invalid"),
        ({**DECIDED, "cut_share": "1.5"}, "request_invalid"),  # not a share of the allocation at all
        ({**DECIDED, "cut_share": "-0.5"}, "request_invalid"),
        ({**DECIDED, "cut_share": "0.5000000001"}, "request_invalid"),  # beyond six decimals
        ({**DECIDED, "cut_share": "0.49"}, "share_outside_range"),  # a share, outside Decree 775's 50–100 %
        ({**DECIDED, "cut_share": "0"}, "share_outside_range"),
        ({**DECIDED, "cut_share": None}, "share_outside_range"),  # not corrected: a cut must be decided
        ({**DECIDED, "cut_year": 2023}, "cut_year_invalid"),
        ({**DECIDED, "cut_year": 99999}, "request_invalid"),
        ({**DECIDED, "individual_fen": 4_999_999}, "fine_outside_range"),  # 49,999.99 yuan: below 50,000
        ({**DECIDED, "amount_fen": 200_000_001}, "fine_outside_range"),  # 2,000,000.01 yuan: above 2,000,000
        ({**DECIDED, "gains_fen": 50_000_000, "multiple": "4"}, "multiplier_outside_range"),  # 500,000 yuan gains
        ({k: v for k, v in DECIDED.items() if k != "corrected"}, "request_invalid"),
    ]
    before = digest(engine)
    for body, code in bad_decisions:
        r = c.post(url, json=body, headers=reg2)
        assert 400 <= r.status_code < 500, (body, r.text)
        refused(r, r.status_code, code)
    for path in ("/falsification/findings/0/decision", f"/falsification/findings/{2**63}/decision",
                 "/falsification/findings/x/decision"):
        refused(c.post(path, json=DECIDED, headers=reg2), 422, "request_invalid")
    for params in ({"year": 10**30}, {"company": "\x00"}, {"market": "ABCDEFGHI"}, {"limit": 0}, {"offset": -1}):
        refused(c.get("/falsification/findings", params=params, headers=reg), 422, "request_invalid")
    refused(c.get(f"/falsification/findings/{2**60}", headers=reg), 422, "request_invalid")
    assert digest(engine) == before  # every refusal changed nothing
