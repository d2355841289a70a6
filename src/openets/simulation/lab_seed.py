"""The seed's own chain as a bundled lab (``openets lab seed``): the budget (with the article's
arithmetic gaps, as ``openets cap plan`` reports them, from :func:`openets.allocation.cap.seed_gaps`)
→ the covered share → the cement sector → cement companies A and B → the trade between them, then
the two firms as agents in the lab. Every number is the article's unless named as derived or assumed."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from openets.allocation.cap import seed_gaps
from openets.simulation.labfile import Lab, load_lab
from openets.simulation.schema import BUNDLED

SEED_LAB = BUNDLED / "lab" / "seed-cement.toml"
D = Decimal


def _r(x: Decimal, places: str) -> str:
    return str(x.quantize(D(places), rounding=ROUND_HALF_UP))


def seed_lab() -> Lab:
    return load_lab(Path(SEED_LAB))


def seed_chain(benchmark: Decimal = D("0.8534")) -> dict[str, Any]:
    """The chain step by step; ``benchmark``: the 2017 draft's clinker benchmark (allocation.toml),
    with which the article's allowances imply each company's clinker output and intensity."""
    g = seed_gaps()
    target_2020, covered_2020 = D("11.1"), D("4.417")  # Gt: the Copenhagen pledge path; the covered companies
    cement_allowed, cement_base = D("1.12"), D("1.0")  # Gt
    a_alloc, a_emits, b_alloc, b_emits = D("1.70"), D("1.80"), D("3.41"), D("3.20")  # Mt
    a_out, b_out = a_alloc / benchmark, b_alloc / benchmark  # Mt clinker: allowance = output × benchmark
    short, surplus = a_emits - a_alloc, b_alloc - b_emits
    gaps = [
        f"6 Gt × 1.06^25 × 0.40 = {_r(g.e2030_from_inputs_gt, '0.1')} Gt in 2030, not {g.e2030_article_gt} "
        f"({_r(g.growth_for_article_e2030 * 100, '0.01')} % growth a year, or a {_r(g.cut_for_article_e2030 * 100, '0.1')} % cut, "
        "would give 12.7)",
        f"0.9 a year from 12.7 Gt adds {_r(g.added_2031_2100_gt, '0.1')} Gt over 2031–2100: "
        f"{_r(g.total_to_2100_gt, '0.1')} Gt in all, not {g.article_total_gt} "
        f"(350 needs a factor of {_r(g.factor_for_article_total, '0.0001')})",
        f"the cement sector is allowed {cement_allowed} Gt against {cement_base} Gt of base-year emissions: "
        f"{_r((cement_allowed / cement_base - 1) * 100, '0.1')} % more, a long sector unless its output grows faster",
        f"A is short {short} Mt and B long {surplus} Mt: after A buys B's surplus, {surplus - short} Mt is left over, "
        "so between these two the competitive price is 0 unless B can bank it (or abating pays)",
    ]
    return {
        "budget": {"global_gt": "1200", "share": "0.30", "country_gt": _r(g.country_budget_gt, "0.1")},
        "path": {"e2030_from_inputs_gt": _r(g.e2030_from_inputs_gt, "0.01"), "e2030_article_gt": str(g.e2030_article_gt),
                 "total_to_2100_gt": _r(g.total_to_2100_gt, "0.1"), "article_total_gt": str(g.article_total_gt)},
        "covered": {"target_2020_gt": str(target_2020), "covered_2020_gt": str(covered_2020),
                    "covered_share": _r(covered_2020 / target_2020, "0.0001")},
        "cement_sector": {"allowed_gt": str(cement_allowed), "base_emissions_gt": str(cement_base)},
        "companies": [
            {"firm": "A", "allocation_mt": str(a_alloc), "emissions_mt": str(a_emits), "position_mt": str(-short),
             "implied_clinker_mt": _r(a_out, "0.001"), "implied_intensity": _r(a_emits / a_out, "0.0001")},
            {"firm": "B", "allocation_mt": str(b_alloc), "emissions_mt": str(b_emits), "position_mt": str(surplus),
             "implied_clinker_mt": _r(b_out, "0.001"), "implied_intensity": _r(b_emits / b_out, "0.0001")},
        ],
        "benchmark": {"value": str(benchmark), "source": "2017 draft allocation plan, cement clinker (allocation.toml)",
                      "derived": "implied output = allowance ÷ benchmark; intensity = emissions ÷ output"},
        "trade": {"buyer": "A", "seller": "B", "tonnes": int(short * 1_000_000),
                  "left_with_b_t": int((surplus - short) * 1_000_000)},
        "gaps": gaps,
    }
