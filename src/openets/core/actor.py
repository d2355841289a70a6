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
    AUDITOR = "auditor"
    SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class Actor:
    user: str
    party_id: PartyId
    role: Role
    market: str | None = None  # for regulators: the market they regulate

    def describe(self) -> str:
        return f"{self.user} ({self.role} of party {self.party_id})"

    def is_regulator_of(self, market: str) -> bool:
        return self.role is Role.REGULATOR and self.market == market

    def require_regulator(self, market: str) -> None:
        """Refuse (not_authorised) unless this actor regulates ``market``."""
        from openets.core.errors import DomainError

        if not self.is_regulator_of(market):
            raise DomainError("not_authorised", f"{self.describe()} is not a regulator of {market}")
