"""Sanctions of the national market (mechanisms.md §8.1): Decree 775 for events from 1 May 2024 (Art. 24:
5–10 × the average price of the month before the deadline per tonne; the shortfall deducted from next
year if not corrected; data falsification: fines and 50–100 % allocation cuts), the 2021 Measures before."""

from datetime import date, datetime
from decimal import Decimal as D

import pytest

from openets.compliance.sanctions import (
    allocation_cut,
    data_fine,
    data_sanction,
    month_before,
    next_year_deduction,
    parse_sanctions,
    surrender_fine,
)
from openets.core.clock import MARKET_TZ
from openets.core.errors import DomainError
from openets.rules.loader import RuleSet
from openets.services.rulebook import default_rulebook, sanctions


def test_lookup_by_event_date_picks_decree_775_from_1_may_2024() -> None:
    book = default_rulebook()
    assert book.lookup("CEA", 2022, date(2024, 4, 30), "sanctions").document.startswith("碳排放权交易管理办法")
    assert book.lookup("CEA", 2022, date(2024, 5, 1), "sanctions").document == "国务院令第775号"
    assert book.lookup("CEA", 2023, date(2025, 1, 1), "sanctions").document == "国务院令第775号"
    with pytest.raises(DomainError, match="no sanctions rules for compliance year 2019 on 2021-01-31"):
        book.lookup("CEA", 2019, date(2021, 1, 31), "sanctions")


def test_ningxia_case() -> None:
    """Shizuishan (Ningxia): 2023 obligation 5,128,612 t, surrendered 4,263,312 t → shortfall 865,300 t;
    deadline 31 Dec 2024, so the month before it is 1–31 Dec 2024, whose average price the exchange
    certified as 98.00 yuan. Fine at 5 ×: 5 × 98.00 × 865,300 = 423,997,000 yuan = 42,399,700,000 fen."""
    rule = sanctions(default_rulebook(), "CEA", 2023, datetime(2025, 1, 2, tzinfo=MARKET_TZ)).surrender
    shortfall = 5_128_612 - 4_263_312
    assert shortfall == 865_300
    assert month_before(date(2024, 12, 31)) == (date(2024, 12, 1), date(2024, 12, 31))
    got = surrender_fine(shortfall, rule, price_fen=D(9800), multiple=D(5))
    assert got.amount_fen == 42_399_700_000
    assert got.basis == "5 × 98.00 yuan (average price of the month before the deadline) × 865,300 t"
    assert surrender_fine(shortfall, rule, price_fen=D(9800)).multiple == D(5)  # the stated default
    assert surrender_fine(shortfall, rule, price_fen=D(9800), multiple=D(10)).amount_fen == 84_799_400_000
    with pytest.raises(DomainError, match="between 5 and 10"):
        surrender_fine(shortfall, rule, price_fen=D(9800), multiple=D(4))
    # not corrected: the 865,300 t come off 2024's allocation; 300,000 t surrendered after the order: 565,300
    assert next_year_deduction(shortfall, 0, rule) == 865_300
    assert next_year_deduction(shortfall, 300_000, rule) == 565_300


def test_month_before_other_deadlines() -> None:
    assert month_before(date(2023, 11, 15)) == (date(2023, 10, 16), date(2023, 11, 15))
    assert month_before(date(2024, 3, 31)) == (date(2024, 3, 1), date(2024, 3, 31))  # 29 Feb + 1 day
    assert month_before(date(2025, 1, 10)) == (date(2024, 12, 11), date(2025, 1, 10))


def test_measures_before_decree_fixed_fine() -> None:
    """Before 1 May 2024: 20,000–30,000 yuan whatever the shortfall, decided by the authority (no default)."""
    rule = sanctions(default_rulebook(), "CEA", 2020, datetime(2022, 1, 5, tzinfo=MARKET_TZ)).surrender
    assert surrender_fine(5_000, rule, amount_fen=2_500_000).amount_fen == 2_500_000
    with pytest.raises(DomainError, match="20,000.00 and 30,000.00 yuan"):
        surrender_fine(5_000, rule)
    assert next_year_deduction(5_000, 1_000, rule) == 4_000


def test_data_falsification() -> None:
    """Gains 1,000,000 yuan (≥ the 500,000 threshold) at 5 ×: 5,000,000 yuan. Gains 100,000 yuan (below):
    a fine decided in 500,000–2,000,000 yuan. Not corrected: next year's 2,000,001 t cut by 50 %:
    1,000,000.5 → 1,000,001 t (half up); by 100 %: all of it; 40 % is outside the range."""
    rule = sanctions(default_rulebook(), "CEA", 2024, datetime(2025, 3, 1, tzinfo=MARKET_TZ)).data_quality
    assert rule is not None
    assert data_fine(rule, gains_fen=100_000_000, multiple=D(5)) == 500_000_000
    assert data_fine(rule, gains_fen=10_000_000, amount_fen=60_000_000) == 60_000_000
    with pytest.raises(DomainError):
        data_fine(rule, gains_fen=10_000_000, amount_fen=40_000_000)
    with pytest.raises(DomainError):
        data_fine(rule, gains_fen=100_000_000)  # the multiple must be decided
    assert allocation_cut(2_000_001, D("0.5"), rule) == 1_000_001
    assert allocation_cut(2_000_001, D(1), rule) == 2_000_001
    with pytest.raises(DomainError, match="between 50% and 100%"):
        allocation_cut(2_000_001, D("0.4"), rule)


def test_data_sanction_decides_every_figure_in_its_range() -> None:
    """Decree 775's data-quality article (national rule data: gains × 5–10 at or above 500,000 yuan, else
    500,000–2,000,000 yuan; individuals 50,000–200,000 yuan; not corrected: next year cut by 50–100 %).
    Gains 800,000 yuan (≥ 500,000) at 6 ×: 6 × 80,000,000 fen = 480,000,000 fen = 4,800,000 yuan; individuals
    100,000 yuan; not corrected, cut 60 %: next year's 1,234,567 t × 0.6 = 740,740.2 → 740,740 t cut.
    Gains 0 (none): fine 500,000 yuan decided; corrected: no cut."""
    rule = sanctions(default_rulebook(), "CEA", 2024, datetime(2025, 3, 1, tzinfo=MARKET_TZ)).data_quality
    assert rule is not None
    d = data_sanction(rule, gains_fen=80_000_000, multiple=D(6), individual_fen=10_000_000, corrected=False,
                      cut_share=D("0.6"))
    assert (d.fine_fen, d.individual_fen, d.cut_share) == (480_000_000, 10_000_000, D("0.6"))
    assert d.basis == ("6 × illegal gains 800,000.00 yuan = 4,800,000.00 yuan; responsible individuals "
                       "100,000.00 yuan; not corrected: next year's allocation cut by 60%")
    assert allocation_cut(1_234_567, d.cut_share, rule) == 740_740
    d = data_sanction(rule, gains_fen=0, amount_fen=50_000_000, corrected=True)
    assert (d.fine_fen, d.individual_fen, d.cut_share) == (50_000_000, None, None)
    assert d.basis.endswith("corrected: no allocation cut")
    with pytest.raises(DomainError) as e:  # not corrected: the cut must be decided, 50–100 %
        data_sanction(rule, gains_fen=0, amount_fen=50_000_000, corrected=False)
    assert e.value.code == "share_outside_range"
    with pytest.raises(DomainError) as e:
        data_sanction(rule, gains_fen=0, amount_fen=50_000_000, corrected=False, cut_share=D("0.49"))
    assert e.value.code == "share_outside_range"
    with pytest.raises(DomainError) as e:  # 20,000 yuan is below the individuals' 50,000
        data_sanction(rule, gains_fen=0, amount_fen=50_000_000, individual_fen=2_000_000, corrected=True)
    assert e.value.code == "fine_outside_range"
    with pytest.raises(DomainError) as e:
        data_sanction(rule, gains_fen=0, amount_fen=50_000_000, corrected=True, cut_share=D("0.5"))
    assert e.value.code == "cut_when_corrected"
    with pytest.raises(DomainError) as e:  # at or above the threshold the multiple is decided, 5–10
        data_sanction(rule, gains_fen=50_000_000, multiple=D(11), corrected=True)
    assert e.value.code == "multiplier_outside_range"



def test_the_individuals_fine_range_is_closed_at_both_edges() -> None:
    """Decree 775 (national rule data): the responsible individuals are fined 50,000–200,000 yuan, both
    ends included. In fen: 50,000 yuan × 100 = 5,000,000 fen and 200,000 × 100 = 20,000,000 fen are
    accepted; 49,999.99 yuan = 4,999,999 fen (one fen below) and 200,000.01 yuan = 20,000,001 fen (one fen
    above) are refused, with the range in the message."""
    rule = sanctions(default_rulebook(), "CEA", 2024, datetime(2025, 3, 1, tzinfo=MARKET_TZ)).data_quality
    assert rule is not None and rule.individual_fen == (5_000_000, 20_000_000)
    for fen in (5_000_000, 20_000_000):
        d = data_sanction(rule, gains_fen=0, amount_fen=50_000_000, individual_fen=fen, corrected=True)
        assert d.individual_fen == fen and f"responsible individuals {fen // 100:,}.00 yuan" in d.basis
    for fen in (4_999_999, 20_000_001):
        with pytest.raises(DomainError) as e:
            data_sanction(rule, gains_fen=0, amount_fen=50_000_000, individual_fen=fen, corrected=True)
        assert (e.value.code, e.value.message) == (
            "fine_outside_range", "the individuals' fine is decided between 50,000.00 and 200,000.00 yuan")

def test_bad_sanction_data_names_the_fields() -> None:
    got = parse_sanctions(RuleSet.__new__(RuleSet), {
        "surrender": {"kind": "price_multiple", "multiple": ["10", "5"]},
        "data_quality": {"gains_multiple": ["5", "10"], "allocation_cut": ["0.5", "2"]}})
    assert isinstance(got, list)
    fields = {e.field for e in got}
    assert {"surrender.multiple", "surrender.default_multiple", "data_quality.gains_threshold_fen",
            "data_quality.fixed_fen", "data_quality.individual_fen", "data_quality.allocation_cut"} <= fields
