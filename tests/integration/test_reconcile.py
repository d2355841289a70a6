from openets.services.ops import Op
from openets.services.reconcile import reconcile
from openets.testing.builders import build_world


def test_replayed_journal_equals_tables(engine, clock) -> None:  # type: ignore[no-untyped-def]
    w = build_world(engine, clock, companies=3)
    a, b, c = w.accounts
    uc = w.unit_class.id
    w.svc.one(w.companies[0], Op("transfer", from_account=a.id, to_account=b.id, unit_class=uc, quantity=3_333))
    w.svc.one(w.companies[1], Op("transfer", from_account=b.id, to_account=c.id, unit_class=uc, quantity=7_000))
    r = w.svc.one(w.companies[2], Op("reserve", from_account=c.id, unit_class=uc, quantity=100))
    w.svc.one(w.companies[2], Op("surrender", from_account=c.id, unit_class=uc, quantity=16_000, compliance_year=2016))
    assert r.reservation_id is not None
    assert reconcile(engine) == []
