"""The Shanghai 2017 auction settled in the registry: winners get compliance-only units for 2016."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from openets.core.actor import SYSTEM_SETUP, Role
from openets.core.clock import FixedClock
from openets.core.errors import DomainError
from openets.market.auction import AuctionRules, Bid, clear
from openets.registry.commands import Approve, CentralTransfer, Issue, Surrender, Transfer
from openets.registry.model import AccountType, PartyKind, UnitKind
from openets.services.auctions import AuctionService
from openets.services.queries import RegistryQueries
from openets.services.registry import RegistryService
from openets.testing.builders import market_regulators


def test_shanghai_auction_units_are_compliance_only(engine) -> None:  # type: ignore[no-untyped-def]
    svc = RegistryService(engine, clock=FixedClock(datetime(2017, 6, 30, 3, 0, tzinfo=UTC)))
    r1, r2 = market_regulators(svc, "SH", ("sh-1", "sh-2"))
    parties, accounts = {}, {}
    for i in (1, 2):
        pid = svc.create_party(kind=PartyKind.COMPANY, name=f"上海企业{i}", market="SH", registration_id=f"SH{i}")
        svc.add_user(SYSTEM_SETUP, name=f"sh-co-{i}", party_id=pid, role=Role.COMPANY)
        acc = svc.request_account(svc.actor(f"sh-co-{i}"), market="SH", type=AccountType.COMPLIANCE)
        parties[i], accounts[i] = pid, svc.decide_account(r1, acc.number, approve=True)
    uc = svc.create_unit_class(r1, kind=UnitKind.ALLOWANCE, market="SH", vintage=2016, cap=10_000_000)
    rid = svc.create_restriction(r1, allowed_types=["central_transfer", "auction_delivery", "surrender"],
                                 bound_market="SH", bound_year=2016, note="沪发改公告〔2017〕3号: compliance for 2016 only")
    rec = svc.one(r1, Issue(to_account=svc.account("SH-ISSUANCE").id, unit_class=uc.id, quantity=2_000_000,
                         restriction=rid))
    svc.one(r2, Approve(txn=rec.id))
    svc.one(r1, CentralTransfer(from_account=svc.account("SH-ISSUANCE").id,
                   to_account=svc.account("SH-AUCTION").id, unit_class=uc.id, quantity=2_000_000, restriction=rid))

    close = datetime(2017, 6, 30, 2, 30, tzinfo=UTC)
    bids = [Bid(parties[1], "a", 4500, 1_500_000, close - timedelta(minutes=30)),
            Bid(parties[2], "a", 4300, 1_000_000, close - timedelta(minutes=20))]
    result = clear(bids, AuctionRules(volume=2_000_000, closes_at=close, reserve=4152,
                                      eligible=frozenset(parties.values())))
    auction = AuctionService(svc)
    aid = auction.settle(r1, market="SH", document="沪发改公告〔2017〕3号", unit_class=uc.code, restriction_id=rid,
                         result=result)
    assert aid == 1
    q = RegistryQueries(engine)
    held = {b.account: (b.total, b.restriction_id) for b in q.holdings(parties[2])}
    assert held == {accounts[2].number: (500_000, rid)}  # the marginal bidder
    with pytest.raises(DomainError) as e:  # the buyer cannot sell or transfer them
        svc.one(svc.actor("sh-co-2"), Transfer(from_account=accounts[2].id, to_account=accounts[1].id,
                                         unit_class=uc.id, quantity=1, restriction=rid))
    assert e.value.code == "restriction_allows"
    with pytest.raises(DomainError):  # nor surrender them for another year
        svc.one(svc.actor("sh-co-2"), Surrender(from_account=accounts[2].id, unit_class=uc.id, quantity=1,
                                         restriction=rid, compliance_year=2017))
    svc.one(svc.actor("sh-co-2"), Surrender(from_account=accounts[2].id, unit_class=uc.id, quantity=500_000,
                                     restriction=rid, compliance_year=2016))
    totals = [x for x in q.totals() if x.unit_class == uc.code][0]
    assert totals.conserved and totals.surrendered == 500_000
