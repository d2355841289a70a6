"""Who acts: a user, for a party, in a role (an authorised representative)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from openets.core.ids import PartyId


class Role(enum.StrEnum):
    REGULATOR = "regulator"  # 主管部门
    COMPANY = "company"  # 控排企业 representative
    INVESTOR = "investor"
    VERIFIER = "verifier"
    EXCHANGE = "exchange"
    AUDITOR = "auditor"  # reads everything, moves nothing
    ADMINISTRATOR = "administrator"  # creates users and grants roles (the registry's own staff)
    SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class Actor:
    user: str
    party_id: PartyId
    role: Role
    market: str | None = None  # for regulators: the market they regulate
    person: str | None = None  # the natural person behind the user name (None: unknown, the user name stands in)

    def describe(self) -> str:
        return f"{self.user} ({self.role} of party {self.party_id})"

    @property
    def person_key(self) -> str:
        """Who this is as a natural person: four eyes compare this, never the user name alone."""
        return person_key(self.user, self.person)

    def require_may_act(self) -> None:
        """Refuse (read_only) a state change by an auditor, who reads everything and moves nothing —
        the first thing every state-changing service entry does."""
        from openets.core.errors import DomainError

        if self.role is Role.AUDITOR:
            raise DomainError("read_only", f"{self.describe()} reads everything and changes nothing")

    def require_administrator(self, what: str = "this") -> None:
        """Refuse (read_only for an auditor, else not_authorised) unless this actor is an administrator
        (the registry's own staff) or the in-process set-up: purging keys, restoring or upgrading the
        database are theirs alone."""
        from openets.core.errors import DomainError

        self.require_may_act()
        if self.role not in (Role.ADMINISTRATOR, Role.SYSTEM):
            raise DomainError("not_authorised", f"{self.describe()} may not {what}: only an administrator does")

    def is_regulator_of(self, market: str) -> bool:
        return self.role is Role.REGULATOR and self.market == market

    def oversees(self, market: str) -> bool:
        """Reads everything of ``market`` that its regulators read: a regulator of it, or an auditor (every market)."""
        return self.role is Role.AUDITOR or self.is_regulator_of(market)

    def require_regulator(self, market: str) -> None:
        """Refuse (not_authorised) unless this actor regulates ``market``."""
        from openets.core.errors import DomainError

        if not self.is_regulator_of(market):
            raise DomainError("not_authorised", f"{self.describe()} is not a regulator of {market}")


def person_key(user: str, person: str | None) -> str:
    """A user's natural person: the recorded person id, or (none recorded) the user name itself."""
    return f"person:{person}" if person else f"user:{user}"


# The in-process set-up of the demo, the simulations, benches and test builders (they create their own
# markets' users). No representative ever holds the system role (``add_user`` refuses to grant it), so no
# user name resolves to this actor: the CLI and the API cannot act as it.
SYSTEM_SETUP = Actor("system-setup", PartyId(0), Role.SYSTEM)
