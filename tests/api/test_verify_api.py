"""GET /registry/verification: auditors and regulators read the whole registry's check; others are
refused (problem details); a tampered registry answers its problems, named."""

from __future__ import annotations

from sqlalchemy import Engine, text

from openets.core.actor import SYSTEM_SETUP, Role
from openets.registry.model import PartyKind


def test_verification_for_auditors_and_regulators_only(make_api, login, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    def setup(w) -> None:  # type: ignore[no-untyped-def]
        aud = w.svc.create_party(kind=PartyKind.REGULATOR, name="审计", registration_id="AUD")
        w.svc.add_user(SYSTEM_SETUP, name="auditor", party_id=aud, role=Role.AUDITOR)

    c, w = make_api(("BJ-co-0", "BJ-reg-1", "auditor"), setup)
    ok = c.get("/registry/verification", headers=login(c, "auditor"))
    assert ok.status_code == 200 and ok.json()["ok"] is True and ok.json()["problems"] == []
    refused = c.get("/registry/verification", headers=login(c, "BJ-co-0"))
    assert refused.status_code == 403 and refused.json()["title"] == "forbidden"
    with engine.begin() as conn:
        conn.execute(text("UPDATE unit_classes SET issued = issued + 7"))
    bad = c.get("/registry/verification", headers=login(c, "BJ-reg-1"))
    assert bad.status_code == 200 and bad.json()["ok"] is False
    assert {(p["code"], p["subject"]) for p in bad.json()["problems"]} == {
        ("issued_differs_from_transactions", f"unit class {w.unit_class.id}"),
        ("unit_class_not_conserved", f"unit class {w.unit_class.id}")}
