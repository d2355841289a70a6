"""Issue 19 item 5 (in part): four eyes compare natural persons, not user names. The attack: one
person proposes an issuance and approves it under a second regulator user name of the same person —
refused as the same person, and the issued total is unchanged. Also account approvals and
allocation issuance; and the auditor requests no account and imports no parties (item 4)."""

from __future__ import annotations

import pytest

from openets.core.actor import SYSTEM_SETUP, Role
from openets.core.errors import DomainError
from openets.registry.commands import Approve, Issue
from openets.registry.model import AccountType, PartyKind, UnitKind
from openets.services.imports import import_rows
from openets.services.registry import RegistryService
from openets.services.tabular import Row


def test_one_person_under_two_user_names_cannot_approve_their_own_issuance(engine, clock) -> None:  # type: ignore[no-untyped-def]
    svc = RegistryService(engine, clock=clock)
    svc.init_markets()
    bj = svc.registry_party("BJ")
    svc.add_user(SYSTEM_SETUP, name="li", party_id=bj, role=Role.REGULATOR, market="BJ", person="110101197001010011")
    svc.add_user(SYSTEM_SETUP, name="li-2", party_id=bj, role=Role.REGULATOR, market="BJ", person="110101197001010011")
    svc.add_user(SYSTEM_SETUP, name="wang", party_id=bj, role=Role.REGULATOR, market="BJ", person="110101198002020022")
    li, li2, wang = svc.actor("li"), svc.actor("li-2"), svc.actor("wang")
    assert li.person_key == li2.person_key != wang.person_key
    uc = svc.create_unit_class(li, kind=UnitKind.ALLOWANCE, market="BJ", vintage=2016, cap=5_000_000)
    rec = svc.one(li, Issue(to_account=svc.account("BJ-ISSUANCE").id, unit_class=uc.id, quantity=1_000_000))
    assert rec.status.value == "awaiting_approval"
    with pytest.raises(DomainError) as refused:
        svc.one(li2, Approve(txn=rec.id))
    assert refused.value.code == "four_eyes"
    assert svc.unit_class("BEA-2016").issued == 0  # the issued total did not grow
    assert svc.one(wang, Approve(txn=rec.id)).status.value == "completed"  # another person may
    assert svc.unit_class("BEA-2016").issued == 1_000_000
    with pytest.raises(DomainError) as mismatch:  # a user name keeps its person
        svc.add_user(SYSTEM_SETUP, name="li-2", party_id=svc.registry_party("SH"), role=Role.REGULATOR, market="SH",
                     person="310101199003030033")
    assert mismatch.value.code == "person_mismatch"


def test_account_approval_by_the_same_person_is_refused(engine, clock) -> None:  # type: ignore[no-untyped-def]
    svc = RegistryService(engine, clock=clock)
    svc.init_markets()
    bj = svc.registry_party("BJ")
    for name, person in (("li", "P-1"), ("li-2", "P-1"), ("wang", "P-2")):
        svc.add_user(SYSTEM_SETUP, name=name, party_id=bj, role=Role.REGULATOR, market="BJ", person=person)
    pid = svc.create_party(kind=PartyKind.COMPANY, name="企业", registration_id="C-1", market="BJ")
    acc = svc.request_account(svc.actor("li"), market="BJ", type=AccountType.COMPLIANCE, party_id=pid)
    with pytest.raises(DomainError) as refused:
        svc.decide_account(svc.actor("li-2"), acc.number, approve=True)
    assert refused.value.code == "four_eyes"
    assert svc.decide_account(svc.actor("wang"), acc.number, approve=True).status.value == "open"


def test_the_auditor_requests_no_account_and_only_a_regulator_imports_parties(engine, clock) -> None:  # type: ignore[no-untyped-def]
    svc = RegistryService(engine, clock=clock)
    svc.init_markets()
    aud = svc.create_party(kind=PartyKind.REGULATOR, name="审计", registration_id="AUD")
    svc.add_user(SYSTEM_SETUP, name="aud", party_id=aud, role=Role.AUDITOR)
    co = svc.create_party(kind=PartyKind.COMPANY, name="企业", registration_id="C-1", market="BJ")
    svc.add_user(SYSTEM_SETUP, name="zhao", party_id=co, role=Role.COMPANY)
    with pytest.raises(DomainError) as refused:
        svc.request_account(svc.actor("aud"), market="BJ", type=AccountType.HOLDING)
    assert refused.value.code == "read_only"
    sheet = {"parties": [Row("parties.csv row 2", {"ref": "X", "kind": "company", "name": "新企业"})]}
    for who, code in (("aud", "read_only"), ("zhao", "not_authorised")):
        with pytest.raises(DomainError) as refused:
            import_rows(svc, svc.actor(who), sheet)
        assert refused.value.code == code
