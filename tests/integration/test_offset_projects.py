"""Offset projects registered, credits issued by vintage and delivered, checked against Hubei's rules."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from openets.core.actor import SYSTEM_SETUP, Role
from openets.core.clock import FixedClock
from openets.core.errors import DomainError
from openets.registry.commands import Allocate, Approve
from openets.registry.model import AccountType, PartyKind
from openets.services.offsets import OffsetService, Project
from openets.services.registry import RegistryService
from openets.testing.builders import market_regulators

TAG = frozenset({"hubei_key_poverty_county_yangtze_cluster"})


def test_projects_credits_and_eligibility(engine) -> None:  # type: ignore[no-untyped-def]
    svc = RegistryService(engine, clock=FixedClock(datetime(2017, 6, 1, 2, tzinfo=UTC)))
    r1, r2 = market_regulators(svc, "HB", ("hb-1", "hb-2"))
    owner = svc.create_party(kind=PartyKind.INVESTOR, name="沼气项目业主", registration_id="OWNER")
    company = svc.create_party(kind=PartyKind.COMPANY, name="湖北某钢厂", market="HB", registration_id="HB-STEEL")
    svc.add_user(SYSTEM_SETUP, name="steel", party_id=company, role=Role.COMPANY)
    acc = svc.decide_account(r1, svc.request_account(svc.actor("steel"), market="HB",
                                                     type=AccountType.COMPLIANCE).number, approve=True)
    offsets = OffsetService(svc)
    offsets.register(r1, "HB", Project("CCER", "001", "某县农村户用沼气", "rural_biogas", "42", "421123", owner,
                                       date(2013, 1, 1), date(2016, 12, 31), tags=TAG))
    offsets.register(r1, "HB", Project("CCER", "002", "某风电场", "wind", "42", "421123", owner,
                                       date(2013, 1, 1), date(2016, 12, 31), tags=TAG))
    with pytest.raises(DomainError):
        offsets.register(r1, "HB", Project("CCER", "003", "x", "wind", "42", "441100", owner, date(2013, 1, 1),
                                           date(2014, 1, 1)))  # a Guangdong county in Hubei
    for project, vintage, qty in (("001", 2014, 60_000), ("001", 2016, 10_000), ("002", 2014, 10_000)):
        txn = offsets.propose_issue(r1, "CCER", project, vintage, qty)
        svc.one(r2, Approve(txn=txn))
        uc = svc.unit_class(f"CCER:{project}:{vintage}")
        svc.one(r1, Allocate(from_account=svc.account("HB-ISSUANCE").id, to_account=acc.id, unit_class=uc.id,
                       quantity=qty))
    verdicts = {v.credit_id: v for v in offsets.eligibility(acc.number, year=2016, on=date(2017, 6, 15),
                                                              basis=500_000, applied_on=date(2017, 6, 15))}
    assert verdicts["CCER:001:2014"].usable == 50_000  # 10 % of a 500,000 t initial allocation
    assert verdicts["CCER:001:2016"].usable == 0 and "outside 2013-01-01–2015-12-31" in verdicts["CCER:001:2016"].reasons[0]
    assert verdicts["CCER:002:2014"].usable == 0 and "wind is not eligible" in verdicts["CCER:002:2014"].reasons[0]


def test_suspended_ccer_project_gets_no_issuance_from_march_2017(engine) -> None:  # type: ignore[no-untyped-def]
    """Seed: in March 2017 the NDRC suspended (暂缓受理) 592 CCER projects pending new rules. A tagged
    project's credits are issued the day before (13 March 2017, Beijing time) and refused from 14 March;
    an untagged project is still issued."""
    clock = FixedClock(datetime(2017, 3, 13, 15, 59, tzinfo=UTC))  # 23:59 on 13 March in Asia/Shanghai
    svc = RegistryService(engine, clock=clock)
    r1, r2 = market_regulators(svc, "HB", ("hb-1", "hb-2"))
    owner = svc.create_party(kind=PartyKind.INVESTOR, name="项目业主", registration_id="OWNER")
    offsets = OffsetService(svc)
    for pid, tags in (("S1", frozenset({"ccer_suspended_2017"})), ("OK", frozenset())):
        offsets.register(r1, "HB", Project("CCER", pid, "某林业碳汇", "forestry", "42", "421123", owner,
                                           date(2013, 1, 1), date(2016, 12, 31), tags=tags))
    svc.one(r2, Approve(txn=offsets.propose_issue(r1, "CCER", "S1", 2015, 1_000)))  # before: issued
    clock.at = datetime(2017, 3, 13, 16, 0, tzinfo=UTC)  # 00:00 on 14 March in Asia/Shanghai
    with pytest.raises(DomainError) as exc:
        offsets.propose_issue(r1, "CCER", "S1", 2016, 1_000)
    assert exc.value.code == "issuance_suspended" and "2017-03-14" in exc.value.message and "592" in exc.value.message
    assert offsets.propose_issue(r1, "CCER", "OK", 2016, 1_000) > 0  # a project not suspended


def test_an_offset_issue_proposed_before_the_suspension_is_refused_at_approval_after(engine) -> None:  # type: ignore[no-untyped-def]
    """Proposed at 23:59 on 13 March 2017 (Beijing time), before the suspension of 592 CCER projects, and
    approved at 00:00 on 14 March: the approval runs the suspension check again and is refused with the
    rule's message (the proposal stays, nothing is issued). The untagged project's proposal of the same
    minute is approved."""
    from sqlalchemy import text

    from openets.services.queries import RegistryQueries

    clock = FixedClock(datetime(2017, 3, 13, 15, 59, tzinfo=UTC))  # 23:59 on 13 March in Asia/Shanghai
    svc = RegistryService(engine, clock=clock)
    r1, r2 = market_regulators(svc, "HB", ("hb-1", "hb-2"))
    owner = svc.create_party(kind=PartyKind.INVESTOR, name="项目业主", registration_id="OWNER")
    offsets = OffsetService(svc)
    for pid, tags in (("S1", frozenset({"ccer_suspended_2017"})), ("OK", frozenset())):
        offsets.register(r1, "HB", Project("CCER", pid, "某林业碳汇", "forestry", "42", "421123", owner,
                                           date(2013, 1, 1), date(2016, 12, 31), tags=tags))
    suspended = offsets.propose_issue(r1, "CCER", "S1", 2015, 1_000)
    fine = offsets.propose_issue(r1, "CCER", "OK", 2015, 1_000)
    clock.at = datetime(2017, 3, 13, 16, 0, tzinfo=UTC)  # 00:00 on 14 March in Asia/Shanghai
    with pytest.raises(DomainError) as exc:
        svc.one(r2, Approve(txn=suspended))
    assert (exc.value.code, exc.value.message) == (
        "issuance_suspended", "CCER issuance for this project is suspended from 2017-03-14 by "
        "国家发展改革委公告2017年第2号 (number unverified) (592 projects)")  # the proposal's own refusal
    with engine.connect() as c:
        status = c.execute(text("SELECT status FROM transactions WHERE id = :i"), {"i": suspended}).scalar()
    assert status == "awaiting_approval"
    assert svc.one(r2, Approve(txn=fine)).status == "completed"
    held = {b.unit_class: b.total for b in RegistryQueries(engine).balances("HB-ISSUANCE")}
    assert held == {"CCER:OK:2015": 1_000}
