from openets.compliance.surrender import SurrenderStep, surrender_plan


def test_offsets_then_restricted_auction_units_then_allowances() -> None:
    holdings = [(1, 0, 5000), (1, 9, 300), (2, 0, 999), (50, 0, 10)]  # class 1 the vintage, 9 a compliance-only restriction
    got = surrender_plan(1000, {"CCER:P1:2015": 100}, holdings, allowance_class=1, offset_classes={50})
    # 100 offsets, then 300 auction units (restriction 9), then 1000 − 100 − 300 = 600 unrestricted; class 2 and 50 untouched
    assert got == [SurrenderStep("CCER:P1:2015", 100, None, True), SurrenderStep(1, 300, 9), SurrenderStep(1, 600, 0)]


def test_stops_when_covered() -> None:
    assert surrender_plan(50, {"C": 80}, [(1, 0, 100)], allowance_class=1, offset_classes=()) == [
        SurrenderStep("C", 50, None, True)]
