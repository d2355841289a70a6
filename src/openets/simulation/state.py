"""What the year's stages share: each market's state (its registry service and clock, its random
generator, its companies), and the progress port (``progress.Progress``, re-exported)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from datetime import time as dtime
from decimal import Decimal
from typing import Any

from openets.core.actor import Actor
from openets.core.clock import MARKET_TZ, FixedClock
from openets.core.ids import AccountId
from openets.registry.model import UnitClass
from openets.services.exchange import ExchangeService
from openets.services.registry import RegistryService
from openets.simulation.economics import Mac
from openets.simulation.progress import Progress
from openets.simulation.schema import MarketSpec

__all__ = ["Company", "Market", "Progress", "at"]


@dataclass
class Company:
    reg_id: str
    party: int
    actor: Actor
    account: AccountId
    number: str
    sector: str
    history: tuple[Decimal, ...]
    actual: Decimal  # this year's emissions, before verification
    behaviour: str = "on_time"  # on_time, late, never
    units: list[dict[str, Any]] = field(default_factory=list)  # power: generating units (base and actual year)
    allocated: int = 0
    verified: Decimal = Decimal(0)
    obligation: int = 0
    output: Decimal = Decimal(0)  # an intensity plan's product output this year (t of product)
    mac: Mac | None = None  # a covered company's MAC curve (abatement.draw_mac); investors: None
    bau: int = 0  # its emissions had it abated nothing, tonnes
    abated: int = 0  # what it abated at the price it expected


@dataclass
class Market:
    spec: MarketSpec
    svc: RegistryService  # with this market's clock
    clock: FixedClock
    rng: random.Random
    seed: int = 0  # the scenario's seed (generators of their own derive from it)
    regulators: tuple[Actor, Actor] | None = None  # set when the market is set up
    verifier: Actor | None = None  # the market's verifier, set at its first year's MRV
    first_year: int = 0  # the market's first year in the run (set up then; its next years carry on)
    unit_class: UnitClass | None = None  # the year's allowances, created at allocation
    companies: list[Company] = field(default_factory=list)
    investors: list[Company] = field(default_factory=list)
    exchange: ExchangeService | None = None  # opened for trading
    orders: int = 0
    auction: dict[str, object] | None = None
    auction_restriction: int | None = None
    auction_delivered: datetime | None = None  # when the auctioned units reached the buyers
    offsets_used: int = 0
    offsets_sold: int = 0
    true_up: int = 0
    carried_in: int = 0  # allowances of earlier vintages (banked) surrendered for this year
    carry_granted: int = 0  # carry-over limits granted at this year's start (banking.grant_carry_over), t
    economy: Any = None  # agents.Economy, set when trading opens (what the agents know; its block trades)

    # the stages run in order: each of these is read only after the stage that sets it
    @property
    def r1(self) -> Actor:
        assert self.regulators is not None, "the market is not set up yet"
        return self.regulators[0]

    @property
    def r2(self) -> Actor:
        assert self.regulators is not None, "the market is not set up yet"
        return self.regulators[1]

    @property
    def uc(self) -> UnitClass:
        assert self.unit_class is not None, "no allowances allocated yet"
        return self.unit_class

    @property
    def ex(self) -> ExchangeService:
        assert self.exchange is not None, "the exchange is not open yet"
        return self.exchange


def at(day: date, hh: int, mm: int = 0) -> datetime:
    """A market-time moment of a day, in UTC."""
    return datetime.combine(day, dtime(hh, mm), MARKET_TZ).astimezone(UTC)
