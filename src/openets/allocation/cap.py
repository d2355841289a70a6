"""Cap planning, step by step as in the seed's article 基于总量控制的碳市场设计逻辑: global budget →
country share → yearly path → covered part → sector totals → companies.

Quantities are ``Decimal`` in the unit the caller uses (the article: Gt, 亿吨 = 0.1 Gt). The seed's
own arithmetic does not all add up; :func:`seed_gaps` computes what its inputs really give.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, localcontext

from openets.allocation.split import largest_remainder
from openets.core.errors import DomainError

D = Decimal


def country_budget(global_budget: Decimal, share: Decimal) -> Decimal:
    """The country's part of the global budget (the article: 30 % of 1,200 Gt = 360 Gt)."""
    if not D(0) <= share <= D(1):
        raise DomainError("share_invalid", f"a share is between 0 and 1, got {share}")
    return global_budget * share


def intensity_target_emissions(base_emissions: Decimal, base_year: int, target_year: int, gdp_growth: Decimal,
                               intensity_cut: Decimal) -> Decimal:
    """Emissions in the target year when GDP grows by ``gdp_growth`` a year and emissions per GDP
    fall by ``intensity_cut`` against the base year: E = E0 × (1 + g)^(t − t0) × (1 − cut)."""
    if target_year <= base_year:
        raise DomainError("years_invalid", "the target year must come after the base year")
    if not D(0) <= intensity_cut < D(1):
        raise DomainError("cut_invalid", f"an intensity cut is between 0 and 1, got {intensity_cut}")
    return base_emissions * (1 + gdp_growth) ** (target_year - base_year) * (1 - intensity_cut)


def growth_for(base_emissions: Decimal, years: int, intensity_cut: Decimal, target: Decimal) -> Decimal:
    """The yearly GDP growth that makes :func:`intensity_target_emissions` reach ``target``."""
    with localcontext() as ctx:
        ctx.prec = 40
        ratio = target / (base_emissions * (1 - intensity_cut))
        return +(ratio ** (D(1) / years) - 1)


def cut_for(base_emissions: Decimal, years: int, gdp_growth: Decimal, target: Decimal) -> Decimal:
    """The intensity cut that makes :func:`intensity_target_emissions` reach ``target``."""
    return 1 - target / (base_emissions * (1 + gdp_growth) ** years)


def decline_path(start_emissions: Decimal, start_year: int, end_year: int, factor: Decimal) -> list[tuple[int, Decimal]]:
    """Emissions falling by a fixed yearly factor after the start year: E(y) = E(start) × f^(y − start)."""
    if not D(0) < factor <= D(1):
        raise DomainError("factor_invalid", f"a decline factor is in (0, 1], got {factor}")
    if end_year <= start_year:
        raise DomainError("years_invalid", "the end year must come after the start year")
    return [(y, start_emissions * factor ** (y - start_year)) for y in range(start_year + 1, end_year + 1)]


def cumulative(path: list[tuple[int, Decimal]]) -> Decimal:
    return sum((e for _, e in path), D(0))


def solve_decline_factor(start_emissions: Decimal, start_year: int, end_year: int, target_cumulative: Decimal,
                         *, tolerance: Decimal = D("1e-9")) -> Decimal:
    """The yearly factor whose :func:`decline_path` adds up to ``target_cumulative`` (bisection: the
    sum grows with the factor)."""
    most = cumulative(decline_path(start_emissions, start_year, end_year, D(1)))
    if not D(0) < target_cumulative <= most:
        raise DomainError("target_unreachable",
                          f"{target_cumulative} is not reachable: a flat path adds {most} at most")
    lo, hi = D("1e-9"), D(1)
    while hi - lo > tolerance:
        mid = (lo + hi) / 2
        if cumulative(decline_path(start_emissions, start_year, end_year, mid)) < target_cumulative:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


@dataclass(frozen=True, slots=True)
class SectorScore:
    """A sector's base (emissions or allowances of the base year) and its scores on each criterion
    (reduction potential, growth trend, industrial policy …), higher = more allowances."""

    base: Decimal
    scores: Mapping[str, Decimal]


def sector_totals(covered_total: int, sectors: Mapping[str, SectorScore], weights: Mapping[str, Decimal]) -> dict[str, int]:
    """Split the covered total among sectors: share ∝ base × Σ (weight × score), in whole tonnes
    that add up exactly. With equal scores the split is proportional to the base."""
    if not weights:
        raise DomainError("weights_missing", "say how much each criterion weighs")
    if any(w < 0 for w in weights.values()):
        raise DomainError("weight_negative", "criterion weights cannot be negative")
    multipliers: dict[str, Decimal] = {}
    for name, s in sectors.items():
        missing = [c for c in weights if c not in s.scores]
        if missing:
            raise DomainError("score_missing", f"sector {name} has no score for {', '.join(missing)}")
        if s.base < 0:
            raise DomainError("base_negative", f"sector {name}: negative base")
        multipliers[name] = s.base * sum((weights[c] * s.scores[c] for c in weights), D(0))
    return largest_remainder(covered_total, multipliers)


@dataclass(frozen=True, slots=True)
class SeedGaps:
    """What the seed's inputs give, beside what the article says."""

    country_budget_gt: Decimal  # 30 % of 1,200 Gt
    e2030_from_inputs_gt: Decimal  # 6 Gt × 1.06^25 × (1 − 0.60)
    e2030_article_gt: Decimal  # 12.7
    growth_for_article_e2030: Decimal  # the yearly growth that gives 12.7 with a 60 % cut
    cut_for_article_e2030: Decimal  # the cut that gives 12.7 with 6 % growth
    added_2031_2100_gt: Decimal  # 12.7 Gt declining by 0.9 a year
    total_to_2100_gt: Decimal  # 170 by 2030 + the above
    article_total_gt: Decimal  # 350
    factor_for_article_total: Decimal  # the factor that does give 350


def seed_gaps() -> SeedGaps:
    e2030 = intensity_target_emissions(D(6), 2005, 2030, D("0.06"), D("0.60"))
    path = decline_path(D("12.7"), 2030, 2100, D("0.9"))
    added = cumulative(path)
    by_2030 = D(170)
    return SeedGaps(
        country_budget_gt=country_budget(D(1200), D("0.30")),
        e2030_from_inputs_gt=e2030,
        e2030_article_gt=D("12.7"),
        growth_for_article_e2030=growth_for(D(6), 25, D("0.60"), D("12.7")),
        cut_for_article_e2030=cut_for(D(6), 25, D("0.06"), D("12.7")),
        added_2031_2100_gt=added,
        total_to_2100_gt=by_2030 + added,
        article_total_gt=D(350),
        factor_for_article_total=solve_decline_factor(D("12.7"), 2030, 2100, D(350) - by_2030),
    )
