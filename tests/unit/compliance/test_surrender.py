from openets.compliance.surrender import SurrenderStep, surrender_plan


def test_offsets_then_restricted_auction_units_then_allowances() -> None:
    holdings = [(1, 0, 5000), (1, 9, 300), (2, 0, 999), (50, 0, 10)]  # class 1 the vintage, 9 a compliance-only restriction
    got = surrender_plan(1000, {"CCER:P1:2015": 100}, holdings, allowance_class=1, offset_classes={50})
    # 100 offsets, then 300 auction units (restriction 9), then 1000 − 100 − 300 = 600 unrestricted; class 2 and 50 untouched
    assert got == [SurrenderStep("CCER:P1:2015", 100, None, True), SurrenderStep(1, 300, 9), SurrenderStep(1, 600, 0)]


def test_stops_when_covered() -> None:
    assert surrender_plan(50, {"C": 80}, [(1, 0, 100)], allowance_class=1, offset_classes=()) == [
        SurrenderStep("C", 50, None, True)]


def test_banked_vintages_first_oldest_first_those_limited_within_the_limit_left() -> None:
    """Surrendering 10,000 t for 2025: class 3 the 2025 vintage, 1 (2023) and 2 (2024) banked, both counted
    by the carry-over limit with 1,500 t left. 2023 first: min(1,000 held, 1,500 left) = 1,000; then 2024:
    min(4,000 held, 1,500 − 1,000 = 500 left) = 500; then 10,000 − 1,000 − 500 = 8,500 of 2025."""
    holdings = [(3, 0, 20_000), (2, 0, 4_000), (1, 0, 1_000)]
    got = surrender_plan(10_000, {}, holdings, allowance_class=3, offset_classes=(), banked={1: 2023, 2: 2024},
                         limited={1, 2}, limit_left=1_500)
    assert got == [SurrenderStep(1, 1_000, 0), SurrenderStep(2, 500, 0), SurrenderStep(3, 8_500, 0)]
    # no limit left (none granted): the banked units stay, all from the year's own vintage
    assert surrender_plan(10_000, {}, holdings, allowance_class=3, offset_classes=(), banked={1: 2023, 2: 2024},
                          limited={1, 2}, limit_left=0) == [SurrenderStep(3, 10_000, 0)]
    # banked but not limited (2023 allowances for 2024, within the 2023–2024 plan): all of them first
    assert surrender_plan(3_000, {}, [(2, 0, 5_000), (1, 0, 1_000)], allowance_class=2, offset_classes=(),
                          banked={1: 2023}) == [SurrenderStep(1, 1_000, 0), SurrenderStep(2, 2_000, 0)]
