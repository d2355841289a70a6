"""Creating users and granting roles from the command line (``registry add-user``, ``users create``,
``users grant``): an act of the acting user like any other, decided by ``RegistryService.add_user``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from openets.cli.session import Failure, acting_or_bootstrap
from openets.core.actor import Role
from openets.core.text import check_text

if TYPE_CHECKING:
    from openets.services.registry import RegistryService

ActingPartyOpt = typer.Option(None, "--acting-party", help="Party the acting user acts for, when they represent several.")
PersonOpt = typer.Option(None, help="The natural person (national id, credit number or a key you give): four eyes "
                                    "compare persons, not user names. Required for regulators and administrators.")


def grant(svc: RegistryService, user: str | None, acting_party: int | None, *, name: str, party: int | None,
          role: Role, market: str | None, person: str | None) -> int:
    """Grant ``role`` for ``party`` (a regulator or administrator: ``--market`` names its registry) to
    ``name`` as the acting user; with none (no ``--as``, no login), only the first administrator.
    Returns the party."""
    check_text(name, "NAME")
    if person is not None:
        check_text(person, "--person")
    pid = party
    if pid is None:
        if role not in (Role.REGULATOR, Role.ADMINISTRATOR) or market is None:
            raise Failure("give --party, or --market for a regulator or an administrator")
        pid = svc.registry_party(market)
    svc.add_user(acting_or_bootstrap(svc, user, acting_party), name=name, party_id=pid, role=role, market=market,
                 person=person)
    return pid
