"""Cap planning: what the seed's inputs determine, and the gaps in its arithmetic."""

from decimal import Decimal as D

import pytest

from openets.allocation.cap import (
    SectorScore,
    cumulative,
    decline_path,
    intensity_target_emissions,
    sector_totals,
    seed_gaps,
    solve_decline_factor,
)
from openets.core.errors import DomainError


def test_seed_gaps() -> None:
    g = seed_gaps()
    assert g.country_budget_gt == D(360)  # 30 % of 1,200 Gt (3600 亿吨)
    # 6 Gt × 1.06^25 × 0.40 = 10.3 Gt, not the article's 12.7 Gt
    assert round(g.e2030_from_inputs_gt, 1) == D("10.3")
    # what does yield 12.7 Gt: 6.89 % growth a year with a 60 % cut, or a 50.7 % cut with 6 % growth
    assert round(g.growth_for_article_e2030, 4) == D("0.0689")
    assert round(g.cut_for_article_e2030, 3) == D("0.507")
    assert round(intensity_target_emissions(D(6), 2005, 2030, g.growth_for_article_e2030, D("0.60")), 6) == D("12.7")
    # a 0.9 yearly factor from 12.7 Gt adds ~114 Gt over 2031–2100: ≈ 284 Gt in all, not 350
    assert round(g.added_2031_2100_gt) == 114
    assert round(g.total_to_2100_gt) == 284
    # the factor that does give 350 Gt
    assert D("0.934") <= g.factor_for_article_total < D("0.935")
    back = cumulative(decline_path(D("12.7"), 2030, 2100, g.factor_for_article_total))
    assert abs(back + 170 - 350) < D("0.001")


def test_decline_path_and_solver_refuse_nonsense() -> None:
    with pytest.raises(DomainError):
        decline_path(D(10), 2030, 2100, D("1.1"))
    with pytest.raises(DomainError):
        solve_decline_factor(D(1), 2030, 2040, D(11))  # more than a flat path can add
    with pytest.raises(DomainError):
        intensity_target_emissions(D(6), 2030, 2005, D("0.06"), D("0.6"))


def test_sector_totals_follow_scores_and_add_up() -> None:
    weights = {"potential": D("0.4"), "growth": D("0.3"), "policy": D("0.3")}
    same = {"potential": D(1), "growth": D(1), "policy": D(1)}
    sectors = {"power": SectorScore(D(3000), same), "cement": SectorScore(D(1000), same),
               "aluminium": SectorScore(D(400), same), "aviation": SectorScore(D(17), same)}
    covered = 4_417_000_000  # the seed's 44.17 亿吨 for the covered companies in 2020
    even = sector_totals(covered, sectors, weights)
    assert sum(even.values()) == covered
    assert abs(even["cement"] - covered * 1000 / 4417) <= 1  # equal scores: proportional to the base
    favoured = dict(sectors, cement=SectorScore(D(1000), {"potential": D(1), "growth": D("1.5"), "policy": D(1)}))
    shifted = sector_totals(covered, favoured, weights)
    assert sum(shifted.values()) == covered and shifted["cement"] > even["cement"] and shifted["power"] < even["power"]
    with pytest.raises(DomainError):
        sector_totals(covered, {"x": SectorScore(D(1), {"potential": D(1)})}, weights)
