"""Who may see what: enforced here, below the routes. A company sees its own accounts; a regulator
those of its market; an auditor everything; anyone else gets "not found" (not "forbidden"), so that
account numbers cannot be probed."""

from __future__ import annotations

from openets.core.actor import Actor, Role
from openets.core.errors import NotFound
from openets.services.registry import AccountRef, RegistryService


def visible_account(registry: RegistryService, actor: Actor, number: str) -> AccountRef:
    acc = registry.account_ref(number)  # NotFound for an unknown number
    if actor.role is Role.AUDITOR or actor.is_regulator_of(acc.market) or acc.party_id == actor.party_id:
        return acc
    raise NotFound("account", number)


def may_see_report(registry: RegistryService, actor: Actor, *, market: str, company: str, verifier: str | None) -> bool:
    """An emission report is seen by its company, the verifier organisation assigned to it, the
    market's regulators and auditors — nobody else (they get "not found")."""
    if actor.role is Role.AUDITOR or actor.is_regulator_of(market):
        return True
    if actor.role is Role.VERIFIER:
        return verifier is not None and verifier == str(actor.party_id)
    return registry.registration_id(actor.party_id) == company
