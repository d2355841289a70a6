"""A small registry world in a few lines: a market with two regulators, companies with
compliance accounts, a unit class issued and allocated."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine

from openets.core.actor import SYSTEM_SETUP, Actor, Role
from openets.core.clock import Clock
from openets.registry.commands import Allocate, Approve, Issue
from openets.registry.model import Account, AccountType, PartyKind, UnitClass, UnitKind
from openets.rules.loader import RuleBook
from openets.services.registry import RegistryService


@dataclass
class World:
    svc: RegistryService
    market: str
    reg: Actor
    reg2: Actor
    unit_class: UnitClass
    issuance: Account
    companies: list[Actor] = field(default_factory=list)
    accounts: list[Account] = field(default_factory=list)


def market_regulators(svc: RegistryService, market: str, users: tuple[str, str] | None = None) -> tuple[Actor, Actor]:
    """The market's schema rows (``init_markets``) and two regulator users of ``market`` (four eyes):
    ``users`` names them (default ``{market}-reg-1``/``-2``). Returns their actors."""
    svc.init_markets()
    party = svc.registry_party(market)
    names = users or (f"{market}-reg-1", f"{market}-reg-2")
    for name in names:
        svc.add_user(SYSTEM_SETUP, name=name, party_id=party, role=Role.REGULATOR, market=market)
    return svc.actor(names[0]), svc.actor(names[1])


def build_world(engine: Engine, clock: Clock | None = None, *, market: str = "BJ", vintage: int = 2016,
                companies: int = 2, cap: int = 10_000_000, issue: int = 1_000_000, allocate: int = 10_000,
                account_type: AccountType = AccountType.COMPLIANCE, rulebook: RuleBook | None = None) -> World:
    svc = RegistryService(engine, clock=clock, rulebook=rulebook)
    reg, reg2 = market_regulators(svc, market)
    uc = svc.create_unit_class(reg, kind=UnitKind.ALLOWANCE, market=market, vintage=vintage, cap=cap)
    issuance = svc.account(f"{market}-ISSUANCE")
    world = World(svc, market, reg, reg2, uc, issuance)
    if issue:
        rec = svc.one(reg, Issue(to_account=issuance.id, unit_class=uc.id, quantity=issue))
        if rec.status.value == "awaiting_approval":
            svc.one(reg2, Approve(txn=rec.id))
    for i in range(companies):
        pid = svc.create_party(kind=PartyKind.COMPANY, name=f"企业{i}", name_en=f"Company {i}", market=market,
                               registration_id=f"{market}-REG-{i:05d}", sector="power", region="110105")
        svc.add_user(SYSTEM_SETUP, name=f"{market}-co-{i}", party_id=pid, role=Role.COMPANY)
        actor = svc.actor(f"{market}-co-{i}")
        acc = svc.request_account(actor, market=market, type=account_type, number=f"{market}-C{i:05d}")
        acc = svc.decide_account(reg, acc.number, approve=True)
        world.companies.append(actor)
        world.accounts.append(acc)
    if allocate and companies:
        svc.submit(reg, [Allocate(from_account=issuance.id, to_account=a.id, unit_class=uc.id,
                            quantity=allocate) for a in world.accounts])
    return world
