"""The scenario file: one TOML file naming the year's markets (their size, prices, behaviour, and
optionally an auction and offsets) and the rule-set files next to it; checked at load with every
problem named by its place in the file."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from openets.core.errors import DomainError
from openets.core.numbers import MAX_TONNES
from openets.services.tabular import read_toml

BUNDLED = Path(__file__).resolve().parents[1] / "scenarios"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AuctionSpec(_Strict):
    rules: str = Field(description="a bundled auction rule file (rules/data/auctions/NAME.toml)")
    bidders_share: Decimal = Field(Decimal("0.4"), gt=0, le=1, description="share of short companies that bid")


class OffsetSpec(_Strict):
    projects: int = Field(ge=1, le=1000)
    credits_per_project: int = Field(ge=1, le=MAX_TONNES)
    buyers_share: Decimal = Field(gt=0, le=1, description="share of short companies that buy credits")


class UnitKind(_Strict):
    """One kind of generating unit in a power fleet: how often a drawn unit is of this kind, its fuel,
    rated capacities, cooling, full-load hours, intensity and load rate while running."""

    fuel: Literal["coal", "gas"]
    share: Decimal = Field(gt=0, le=1, description="the share of drawn units of this kind")
    capacity_mw: list[int] = Field(min_length=1, description="rated capacities drawn from (MW)")
    intensity: tuple[Decimal, Decimal] = Field(description="tCO2 per MWh generated: [low, high]")
    hours: tuple[int, int] = Field((3800, 5600), description="full-load equivalent hours (利用小时数): [low, high]")
    load_rate: tuple[Decimal, Decimal] = Field((Decimal("0.65"), Decimal("0.90")),
                                               description="load rate while running (F): [low, high]")
    cooling: list[Literal["air", "water"]] = Field(["air", "water"], min_length=1)

    @model_validator(mode="after")
    def _ranges(self) -> UnitKind:
        if not 0 < self.intensity[0] <= self.intensity[1] <= 3:
            raise ValueError("intensity is [low, high] tCO2/MWh with 0 < low ≤ high ≤ 3")
        if not 0 < self.hours[0] <= self.hours[1] <= 8760:
            raise ValueError("hours is [low, high] with 0 < low ≤ high ≤ 8760")
        if not 0 < self.load_rate[0] <= self.load_rate[1] <= 1:
            raise ValueError("load_rate is [low, high] with 0 < low ≤ high ≤ 1")
        if any(not 0 < mw <= 2000 for mw in self.capacity_mw):
            raise ValueError("capacity_mw values are between 1 and 2,000 MW")
        return self


class IndustrySpec(_Strict):
    """A power market's steel, cement and aluminium companies in the same year (national 2024 on): drawn
    beside the power companies, allocated by the year's industrial plan, trued up apart from power."""

    companies: int = Field(ge=1, le=50_000)
    sectors: list[str] = Field(min_length=1)
    emissions_t: tuple[int, int]
    emissions_change: tuple[Decimal, Decimal] = (Decimal("-0.05"), Decimal("0.05"))

    @model_validator(mode="after")
    def _ranges(self) -> IndustrySpec:
        lo, hi = self.emissions_t
        if not 0 < lo <= hi <= MAX_TONNES:
            raise ValueError(f"emissions_t is [low, high] tonnes with 0 < low ≤ high ≤ {MAX_TONNES:,}")
        if not Decimal(-1) < self.emissions_change[0] <= self.emissions_change[1] <= 1:
            raise ValueError("emissions_change is [low, high] with -1 < low ≤ high ≤ 1")
        if "power" in self.sectors:
            raise ValueError("sectors: the power companies are the market's own, not the industry's")
        return self


class MarketSpec(_Strict):
    code: str
    year: int = Field(ge=2013, le=2060)
    companies: int = Field(ge=2, le=50_000)
    investors: int = Field(0, ge=0, le=1000)
    price_yuan: Decimal = Field(gt=0, le=10_000, description="the starting reference price (the exchange opens at it; "
                                                             "the companies expected it while they emitted); never a corridor")
    sectors: list[str] = Field(min_length=1)
    emissions_t: tuple[int, int]
    emissions_change: tuple[Decimal, Decimal] = (Decimal("-0.05"), Decimal("0.05"))
    trading_days: int = Field(ge=1, le=250)
    orders_per_day: int = Field(ge=1, le=100_000)
    late_share: Decimal = Field(Decimal(0), ge=0, le=1)
    never_share: Decimal = Field(Decimal(0), ge=0, le=1)
    auction: AuctionSpec | None = None
    offsets: OffsetSpec | None = None
    power: bool = Field(False, description="a power market: generating units, pre-allocation from base-year "
                                           "output by benchmark, true-up from verified output (national market)")
    starts: date | None = Field(None, description="when the year's set-up happens (default: 30 June of the year)")
    industry: IndustrySpec | None = Field(None, description="a power market's steel, cement and aluminium companies "
                                          "in the same year, under the year's industrial plan")
    fleet: list[UnitKind] | None = Field(None, min_length=1, description="a power market's kinds of generating unit "
                                         "(shares adding up to 1); without it, the default fleet of world.power_units")
    mac_yuan: dict[str, tuple[Decimal, Decimal]] = Field(
        default_factory=dict, description="per sector, [low, high] yuan/t: the MAC of the tonne abated at mac_share of a "
                                          "company's emissions, drawn log-uniformly per company (a sector not named: "
                                          "no abatement, a tonne it lacks worth the penalty)")
    mac_share: Decimal = Field(Decimal("0.1"), gt=0, le=1)
    discount_rate: Decimal = Field(Decimal("0.05"), ge=0, le=1, description="a banked tonne: next year's expected price ÷ (1 + rate)")
    listing_cost_yuan: Decimal = Field(Decimal(0), ge=0, description="what being published as non-compliant costs a company")
    rush: Decimal = Field(Decimal(0), ge=0, le=100, description="orders crowd towards the deadline: day n of N weighs "
                                                                "1 + rush × (n/(N−1))²")

    @model_validator(mode="after")
    def _ranges(self) -> MarketSpec:
        lo, hi = self.emissions_t
        if not 0 < lo <= hi:
            raise ValueError("emissions_t is [low, high] tonnes with 0 < low ≤ high")
        # bounds of sanity, not of a rule: a company's tonnes within what the registry keeps
        # (core.numbers.MAX_TONNES), its year's change at most doubling; beyond them a run overflowed
        # the bigint columns half-way through the year (found by the fuzz harness through `run --check`)
        if hi > MAX_TONNES:
            raise ValueError(f"emissions_t: a company emits at most {MAX_TONNES:,} t")
        if not Decimal(-1) < self.emissions_change[0] <= self.emissions_change[1] <= 1:
            raise ValueError("emissions_change is [low, high] with -1 < low ≤ high ≤ 1")
        if self.late_share + self.never_share > 1:
            raise ValueError("late_share + never_share is at most 1")
        if self.fleet is not None:
            if not self.power:
                raise ValueError("fleet describes a power market's units: set power = true")
            if sum((k.share for k in self.fleet), Decimal(0)) != 1:
                raise ValueError("the fleet's shares add up to 1")
            for k in self.fleet:  # this year's generation is the base year's × (1 + change): within the year
                if k.hours[1] * (1 + self.emissions_change[1]) > 8760:
                    raise ValueError(f"a {k.fuel} unit of {k.hours[1]} full-load hours grown by {self.emissions_change[1]} "
                                     "runs more than the 8,760 hours of a year")
        if self.industry is not None and not self.power:
            raise ValueError("industry adds steel, cement and aluminium to a power market: set power = true")
        for sector, (a, b) in self.mac_yuan.items():
            if not 0 < a <= b:
                raise ValueError(f"mac_yuan.{sector} is [low, high] yuan per tonne with 0 < low ≤ high")
        return self


class ScenarioHead(_Strict):
    name: str
    seed: int = 1
    rules: list[str] = Field(default_factory=list, description="rule-set files, relative to the scenario file")


class Scenario(_Strict):
    scenario: ScenarioHead
    markets: list[MarketSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Scenario:
        """Each market once a year; a market over several years (a later entry of the same code) runs year
        after year with the same companies, its years in order."""
        keys = [(m.code, m.year) for m in self.markets]
        if len(set(keys)) != len(keys):
            raise ValueError("each market appears once a year")
        years: dict[str, list[MarketSpec]] = {}
        for m in self.markets:
            years.setdefault(m.code, []).append(m)
        for code, specs in years.items():
            for a, b in zip(specs, specs[1:]):
                if b.year != a.year + 1:
                    raise ValueError(f"{code}: a market's years follow one another ({a.year}, then {b.year})")
                if (b.companies, b.investors, b.power) != (a.companies, a.investors, a.power):
                    raise ValueError(f"{code} {b.year}: the same companies, investors and power as {a.year} "
                                     "(a market's companies carry over from year to year)")
                if a.industry is not None and (b.industry is None or b.industry.companies != a.industry.companies):
                    raise ValueError(f"{code} {b.year}: the same industry companies as {a.year}")
        return self

    def years(self) -> list[list[MarketSpec]]:
        """The markets of each year in turn: the first year's of every market, then the second's, …"""
        seen: dict[str, int] = {}
        out: list[list[MarketSpec]] = []
        for m in self.markets:
            k = seen.get(m.code, 0)
            seen[m.code] = k + 1
            while len(out) <= k:
                out.append([])
            out[k].append(m)
        return out


def load_scenario(path: Path) -> tuple[Scenario, list[Path]]:
    """Read and check a scenario file; every problem named with its place in the file."""
    try:  # the one reader of a user's TOML: a syntax error as one line with the file, line and column
        data = read_toml(Path(path), "scenario file", code="scenario_invalid")
    except DomainError as exc:
        raise DomainError({"file_missing": "scenario_unreadable", "file_encoding": "scenario_invalid"}.get(
            exc.code, exc.code), exc.message) from None
    try:
        sc = Scenario.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        message = str(first["msg"]).removeprefix("Value error, ")  # pydantic's own prefix says nothing
        raise DomainError("scenario_invalid", f"{path}: {where}: {message}{more}") from None
    files = []
    for name in sc.scenario.rules:
        f = (Path(path).parent / name).resolve()
        if not f.is_file():
            raise DomainError("scenario_invalid", f"{path}: scenario.rules: {name} not found next to the scenario")
        files.append(f)
    return sc, files
