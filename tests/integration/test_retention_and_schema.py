from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from openets.core.actor import SYSTEM_SETUP
from openets.core.errors import DomainError
from openets.registry.commands import Transfer
from openets.services.queries import RegistryQueries
from openets.storage.tables import metadata
from openets.testing.builders import build_world


def test_schema_from_migrations_matches_the_tables(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diffs == []


def test_idempotency_keys_kept_at_least_seven_days(engine, clock) -> None:  # type: ignore[no-untyped-def]
    w = build_world(engine, clock)
    a, b = w.accounts
    op = Transfer(key="old", from_account=a.id, to_account=b.id, unit_class=w.unit_class.id, quantity=1)
    w.svc.one(w.companies[0], op)
    clock.at += timedelta(days=6)
    w.svc.one(w.companies[0], Transfer(key="new", from_account=a.id, to_account=b.id,
                                 unit_class=w.unit_class.id, quantity=1))
    with pytest.raises(DomainError) as refused:
        w.svc.purge_idempotency_keys(w.reg, older_than_days=7)  # an administrator's act, not a regulator's
    assert refused.value.code == "not_authorised"
    with pytest.raises(DomainError):
        w.svc.purge_idempotency_keys(SYSTEM_SETUP, older_than_days=3)
    assert w.svc.purge_idempotency_keys(SYSTEM_SETUP, older_than_days=7) == 0  # 6 days old: kept
    clock.at += timedelta(days=2)
    assert w.svc.purge_idempotency_keys(SYSTEM_SETUP, older_than_days=7) == 1  # 8 days old: gone, "new" kept
    assert w.svc.submit(w.companies[0], [Transfer(key="new", from_account=a.id, to_account=b.id,
                                            unit_class=w.unit_class.id, quantity=1)])[0].replayed
    assert [r.total for r in RegistryQueries(engine).holdings(w.companies[0].party_id)] == [9_998]
