"""Who is covered: the national phase-1 threshold (发改办气候〔2016〕57号: any year of 2013–2015 with total
energy use ≥ 10,000 tce, inclusive) and Fujian's ceramics and 5,000 tce, from the rule data."""

from datetime import UTC, datetime
from decimal import Decimal as D

from openets.compliance.coverage import check_coverage
from openets.services import rulebook

BOOK = rulebook.default_rulebook()


def test_national_threshold_any_year_of_2013_2015() -> None:
    rule = rulebook.coverage_rules(BOOK, "CEA", 2017, datetime(2016, 6, 1, tzinfo=UTC))  # 57号, before the draft
    assert rule.document == "发改办气候〔2016〕57号" and rule.threshold_tce == 10_000 and rule.years == (2013, 2015)
    # 2013 9,999, 2014 10,000 (reached: "以上(含)"), 2015 8,000 → covered by 2014 alone
    got = check_coverage(rule, "steel", {2013: D(9_999), 2014: D(10_000), 2015: D(8_000)})
    assert got.covered and "in 2014" in got.reason
    low = check_coverage(rule, "steel", {2013: D(9_999), 2015: D(9_500), 2016: D(50_000)})  # 2016 is outside
    assert not low.covered and "highest 9999 tce in 2013" in low.reason
    assert not check_coverage(rule, "ceramics", {2014: D(90_000)}).covered  # not one of the 8 sectors
    assert not check_coverage(rule, "steel", {2012: D(90_000)}).covered  # no year of the window given
    # the 2017 draft narrows phase 1 to power, cement and aluminium; the threshold unchanged
    draft = rulebook.coverage_rules(BOOK, "CEA", 2017, datetime(2017, 6, 1, tzinfo=UTC))
    assert draft.sectors == {"power", "cement", "aluminium"} and draft.threshold_tce == 10_000
    assert not check_coverage(draft, "steel", {2014: D(90_000)}).covered


def test_fujian_ceramics_and_5000_tce() -> None:
    y2016 = rulebook.coverage_rules(BOOK, "FJ", 2016, datetime(2016, 12, 1, tzinfo=UTC))
    assert check_coverage(y2016, "ceramics", {2015: D(12_000)}).covered  # the ninth sector
    assert not check_coverage(y2016, "ceramics", {2015: D(6_000)}).covered  # 2016: 10,000 tce (unverified)
    y2017 = rulebook.coverage_rules(BOOK, "FJ", 2017, datetime(2017, 7, 1, tzinfo=UTC))
    assert y2017.threshold_tce == 5_000 and y2017.sectors is None  # every industrial company ≥ 5,000 tce
    assert check_coverage(y2017, "ceramics", {2016: D(5_000)}).covered  # 5,000 inclusive
    assert not check_coverage(y2017, "glass", {2016: D(4_999)}).covered


def test_tianjin_chongqing_fujian_have_trading_and_compliance_rules() -> None:
    """The seed gives these markets (and Fujian's products), not their rules: each rule set exists, is
    found by the lookup, and says its values are unverified."""
    on = datetime(2017, 6, 1, tzinfo=UTC)
    for market, deadline in (("TJ", "2017-06-30"), ("CQ", "2017-06-20"), ("FJ", "2017-06-30")):
        trading = BOOK.lookup_at(market, 2016, on, "trading")
        assert rulebook.trading_rules(trading).listed_band > 0 and "unverified" in trading.source
        comp = BOOK.lookup_at(market, 2016, on, "compliance")
        assert str(rulebook.compliance_rules(BOOK, market, 2016, on).deadline) == deadline
        assert "unverified" in comp.source and "unverified" in comp.document
    fj = rulebook.compliance_rules(BOOK, "FJ", 2016, on)
    assert fj.fine_multiplier == (D(1), D(3)) and fj.fine_multiplier_default == D(1)
