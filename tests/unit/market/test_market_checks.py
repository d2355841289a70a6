"""The trading-rule checks, one by one: failing and passing case, and the (market, year, date)
boundaries — the national rule (生态环境部公告2021年第21号: listed < 100,000 t; block ≥ 100,000 t,
13:00–15:00, ±30 %) against the pilots, which keep their own block rules and no listed cap."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from openets.core.errors import DomainError
from openets.market.checks import (
    BLOCK_CHECKS,
    LISTED_CHECKS,
    Proposed,
    block_outside_band,
    block_outside_session,
    block_too_small,
    first_failure,
    listed_too_large,
    quantity_not_in_lots,
    split_listed,
)
from openets.market.rules import TradingRules, parse_trading_rules
from openets.rules.loader import default_rulebook

AFTERNOON = datetime(2021, 7, 16, 6, 0, tzinfo=UTC)  # Friday 16 July 2021, 14:00 in Shanghai
MORNING = datetime(2021, 7, 16, 2, 0, tzinfo=UTC)  # 10:00


def rules(market: str, year: int, on: date) -> TradingRules:
    rs = default_rulebook().lookup(market, year, on, "trading")
    return parse_trading_rules(market, rs.raw["trading"])


CEA = rules("CEA", 2021, date(2021, 7, 16))


def test_listed_order_is_below_100000_t() -> None:
    assert listed_too_large(Proposed(CEA, 99_999, MORNING)) is None  # the largest listed order
    assert "below 100,000 t" in (listed_too_large(Proposed(CEA, 100_000, MORNING)) or "")  # 100,000 is a block
    assert first_failure(LISTED_CHECKS, Proposed(CEA, 549_470, MORNING))[0] == "listed_too_large"  # type: ignore[index]
    assert first_failure(LISTED_CHECKS, Proposed(CEA, 100, MORNING)) is None


def test_block_size_lots_band_session_each() -> None:
    ok = Proposed(CEA, 100_000, AFTERNOON, price=6000, reference=5175)
    assert [c(ok) for c in BLOCK_CHECKS] == [None, None, None, None]
    assert block_too_small(Proposed(CEA, 99_999, AFTERNOON, 6000, 5175)) is not None
    assert block_too_small(Proposed(CEA, 100_000, AFTERNOON, 6000, 5175)) is None  # "≥ 100,000 t"
    lots = replace(CEA, lot=1000)
    assert quantity_not_in_lots(Proposed(lots, 100_500, AFTERNOON, 6000, 5175)) is not None
    assert quantity_not_in_lots(Proposed(lots, 101_000, AFTERNOON, 6000, 5175)) is None
    # ±30 % of 51.75 yuan: 5,175 × 0.7 = 3,622.5 → 3,623 up; 5,175 × 1.3 = 6,727.5 → 6,727 down
    assert block_outside_band(Proposed(CEA, 100_000, AFTERNOON, 6727, 5175)) is None
    assert block_outside_band(Proposed(CEA, 100_000, AFTERNOON, 6728, 5175)) is not None
    assert block_outside_band(Proposed(CEA, 100_000, AFTERNOON, 3623, 5175)) is None
    assert block_outside_band(Proposed(CEA, 100_000, AFTERNOON, 3622, 5175)) is not None
    assert block_outside_band(Proposed(CEA, 100_000, AFTERNOON, 6000, None)) is not None  # no close, no band
    # afternoon only: 13:00 (05:00 UTC) in, 15:00 out, the morning session out
    assert block_outside_session(Proposed(CEA, 100_000, datetime(2021, 7, 16, 5, 0, tzinfo=UTC))) is None
    assert block_outside_session(Proposed(CEA, 100_000, datetime(2021, 7, 16, 7, 0, tzinfo=UTC))) is not None
    assert "13:00–15:00" in (block_outside_session(Proposed(CEA, 100_000, MORNING)) or "")
    assert block_outside_session(Proposed(CEA, 100_000, datetime(2021, 7, 17, 6, 0, tzinfo=UTC))) is not None  # Sat
    # the first failure names the rule: the reason code the exchange refuses with
    assert first_failure(BLOCK_CHECKS, Proposed(CEA, 100_000, MORNING, 6000, 5175))[0] == "block_outside_session"  # type: ignore[index]
    assert first_failure(BLOCK_CHECKS, Proposed(CEA, 50_000, MORNING, 9000, 5175))[0] == "block_too_small"  # type: ignore[index]


@pytest.mark.parametrize("year", [2019, 2020, 2021, 2030])  # the national rule set's first and last compliance years
def test_national_rule_every_compliance_year(year: int) -> None:
    cea = rules("CEA", year, date(2021, 7, 16))
    assert (cea.listed_max, cea.block_min, str(cea.block_band)) == (100_000, 100_000, "0.30")


def test_national_rule_not_before_it_was_valid() -> None:
    with pytest.raises(DomainError) as e:  # valid from 14 May 2021 (公告2021年第21号): nothing before
        rules("CEA", 2019, date(2021, 5, 13))
    assert e.value.code == "no_rule_set"
    assert rules("CEA", 2019, date(2021, 5, 14)).listed_max == 100_000


@pytest.mark.parametrize("market", ["BJ", "SH", "GD", "HB", "SZ"])
def test_pilots_keep_their_own_block_rules_and_no_listed_cap(market: str) -> None:
    pilot = rules(market, 2016, date(2017, 6, 1))
    assert pilot.listed_max is None
    assert listed_too_large(Proposed(pilot, 549_470, MORNING)) is None  # a big listed order is fine in a pilot
    assert pilot.block_min == 10_000  # the pilots' own (unverified) block minimum, not the national 100,000 t
    assert block_too_small(Proposed(pilot, 10_000, MORNING)) is None
    assert block_too_small(Proposed(pilot, 9_999, MORNING)) is not None


def test_split_listed_keeps_each_slice_below_the_cap() -> None:
    assert split_listed(CEA, 99_999) == [99_999]
    assert split_listed(CEA, 549_470) == [99_999] * 5 + [49_475]  # 5 × 99,999 = 499,995; 549,470 − 499,995
    assert split_listed(CEA, 100_000) == [99_999, 1]
    assert sum(split_listed(CEA, 1_234_567)) == 1_234_567
    assert split_listed(rules("BJ", 2016, date(2017, 6, 1)), 549_470) == [549_470]  # no cap in the pilot
    lots = replace(CEA, lot=1000)
    assert split_listed(lots, 250_000) == [99_000, 99_000, 52_000]  # whole lots below the cap
