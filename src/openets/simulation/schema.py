"""The scenario file: one TOML file naming the year's markets (their size, prices, behaviour, and
optionally an auction and offsets) and the rule-set files next to it; checked at load with every
problem named by its place in the file."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

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


class MarketSpec(_Strict):
    code: str
    year: int = Field(ge=2013, le=2060)
    companies: int = Field(ge=2, le=50_000)
    investors: int = Field(0, ge=0, le=1000)
    price_yuan: Decimal = Field(gt=0, le=10_000)
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
        codes = [m.code for m in self.markets]
        if len(set(codes)) != len(codes):
            raise ValueError("each market appears once")
        return self


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
