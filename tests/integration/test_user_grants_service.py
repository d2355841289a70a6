"""``add_user(actor, ...)`` at the service level (issue 19 item 5): who may grant which role."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from openets.core.actor import Role
from openets.core.errors import DomainError
from openets.registry.model import PartyKind
from openets.services.registry import RegistryService


def refused(fn, *a, **kw) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError) as e:
        fn(*a, **kw)
    return str(e.value.code)


def test_who_may_grant_what(engine, clock) -> None:  # type: ignore[no-untyped-def]
    svc = RegistryService(engine, clock=clock)
    svc.init_markets()
    bj, sh = svc.registry_party("BJ"), svc.registry_party("SH")
    assert refused(svc.add_user, None, name="li", party_id=bj, role=Role.REGULATOR, market="BJ",
                   person="P-li") == "not_authorised"  # no actor: only the first administrator
    assert refused(svc.add_user, None, name="root", party_id=bj, role=Role.ADMINISTRATOR,
                   market="BJ") == "person_missing"
    svc.add_user(None, name="root", party_id=bj, role=Role.ADMINISTRATOR, market="BJ", person="P-root")
    assert refused(svc.add_user, None, name="root-2", party_id=bj, role=Role.ADMINISTRATOR, market="BJ",
                   person="P-2") == "not_authorised"  # once only
    root = svc.actor("root")
    svc.add_user(root, name="li", party_id=bj, role=Role.REGULATOR, market="BJ", person="P-li")
    li = svc.actor("li")
    company = svc.create_party(kind=PartyKind.COMPANY, name="甲", registration_id="C-1", market="BJ")
    other = svc.create_party(kind=PartyKind.COMPANY, name="乙", registration_id="C-2", market="SH")
    svc.add_user(li, name="zhao", party_id=company, role=Role.COMPANY)
    assert refused(svc.add_user, li, name="sun", party_id=other, role=Role.COMPANY) == "not_authorised"
    assert refused(svc.add_user, li, name="li-2", party_id=bj, role=Role.REGULATOR, market="BJ",
                   person="P-li") == "not_authorised"
    assert refused(svc.add_user, li, name="ma", party_id=sh, role=Role.REGULATOR, market="SH",
                   person="P-ma") == "not_authorised"
    assert refused(svc.add_user, svc.actor("zhao"), name="x", party_id=company, role=Role.COMPANY) == "not_authorised"
    assert refused(svc.add_user, root, name="sys", party_id=bj, role=Role.SYSTEM) == "not_authorised"
    aud = svc.create_party(kind=PartyKind.REGULATOR, name="审计", registration_id="AUD")
    svc.add_user(root, name="aud", party_id=aud, role=Role.AUDITOR)
    assert refused(svc.add_user, svc.actor("aud"), name="y", party_id=company, role=Role.COMPANY) == "read_only"
    with engine.connect() as c:
        names = {r[0] for r in c.execute(text("SELECT name FROM users"))}
    assert names == {"root", "li", "zhao", "aud"}  # every refusal created nothing
