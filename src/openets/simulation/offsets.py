"""Stage 6, offsets (under the Hubei rules): a project owner with its account, CCER projects
registered and their credits issued and allocated to it — half of them rural biogas in a key
poverty county, half wind elsewhere — and part of the companies buying credits from the owner."""

from __future__ import annotations

from datetime import date

from openets.core.actor import SYSTEM_SETUP, Role
from openets.registry.commands import Allocate, Approve, Transfer
from openets.registry.model import AccountType, PartyKind, UnitClass
from openets.services.offsets import OffsetService, Project
from openets.simulation.state import Market, at


def run_offsets(m: Market) -> set[str]:
    """The registration ids of the companies that bought credits."""
    assert m.spec.offsets is not None
    spec, svc, code, year, rng = m.spec.offsets, m.svc, m.spec.code, m.spec.year, m.rng
    m.clock.at = at(date(year + 1, 6, 5), 10)
    owner = svc.create_party(kind=PartyKind.INVESTOR, name=f"{code}减排项目业主", registration_id=f"{code}-OWNER")
    svc.add_user(SYSTEM_SETUP, name=f"{code.lower()}-owner", party_id=owner, role=Role.INVESTOR)
    owner_actor = svc.actor(f"{code.lower()}-owner")
    acc = svc.request_account(owner_actor, market=code, type=AccountType.HOLDING, number=f"{code}-OWNER-A")
    svc.decide_account(m.r1, acc.number, approve=True)
    offsets = OffsetService(svc)
    credits: list[UnitClass] = []
    for k in range(spec.projects):
        eligible = k % 2 == 0  # half are rural biogas in a key poverty county; half wind elsewhere
        p = Project("CCER", f"{code}{k:03d}", f"{'沼气' if eligible else '风电'}项目{k}",
                    "rural_biogas" if eligible else "wind", "42", "421123" if eligible else "420100", owner,
                    date(2013, 1, 1), date(2015, 12, 31),
                    tags=frozenset({"hubei_key_poverty_county_yangtze_cluster"} if eligible else set()))
        offsets.register(m.r1, code, p)
        txn = offsets.propose_issue(m.r1, "CCER", p.project_id, 2015, spec.credits_per_project,
                                    key=f"ccer-{p.project_id}")
        svc.one(m.r2, Approve(txn=txn))
        uc = svc.unit_class(f"CCER:{p.project_id}:2015")
        svc.one(m.r1, Allocate(from_account=svc.account(f"{code}-ISSUANCE").id, to_account=acc.id,
                         unit_class=uc.id, quantity=spec.credits_per_project))
        credits.append(uc)
    # credits are cheaper than allowances: some companies buy them from the owner (a bilateral
    # deal, delivered in the registry) to surrender in place of allowances, which they then bank
    buyers = [c for c in m.companies if rng.random() < float(spec.buyers_share)]
    left = {uc.id: spec.credits_per_project for uc in credits}
    for c in buyers:
        uc = rng.choice(credits)
        qty = min(left[uc.id], max(c.allocated // 10, 1))
        if qty <= 0:
            continue
        svc.one(owner_actor, Transfer(from_account=acc.id, to_account=c.account, unit_class=uc.id,
                                quantity=qty))
        left[uc.id] -= qty
        m.offsets_sold += qty
    return {c.reg_id for c in buyers}
