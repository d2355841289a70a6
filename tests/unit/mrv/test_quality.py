"""Each data-quality check fires on a crafted case and stays quiet on clean data."""

from decimal import Decimal as D

from openets.mrv import quality as q

CLEAN = {m: D(100 + m) for m in range(1, 13)}


def test_clean_data_is_quiet() -> None:
    rows = list(CLEAN.items())
    assert q.month_rows("s", rows) == []
    assert q.identical_neighbours("s", CLEAN) == []
    assert q.jumps("s", CLEAN) == []
    assert q.intensity_range("s", D(850), D(1000), D("0.7"), D("1.0")) == []
    assert q.fuel_balance("s", D(1010), D(1000), D(50), D(60)) == []
    assert q.mixed_factor_sources("cement", {"A": "measured", "B": "measured"}) == []
    assert q.plan_consistency("s", ["a", "b"], ["b", "a"]) == []


def test_each_check_fires() -> None:
    rows = [(m, v) for m, v in CLEAN.items() if m != 5] + [(7, D(1)), (13, D(1)), (2, D(-1))]
    found = {f.check for f in q.month_rows("s", rows)}
    assert found == {"missing_month", "duplicated_month", "month_out_of_range", "negative_value"}
    substituted = {**CLEAN, 6: CLEAN[5]}
    assert [f.where for f in q.identical_neighbours("s", substituted)] == ["s month 6"]
    assert [f.where for f in q.jumps("s", {**CLEAN, 8: D(300)})] == ["s month 8", "s month 9"]
    assert q.intensity_range("s", D(1500), D(1000), D("0.7"), D("1.0"))[0].check == "intensity_out_of_range"
    assert q.fuel_balance("s", D(800), D(1000), D(50), D(60))[0].check == "fuel_balance"
    assert q.mixed_factor_sources("cement", {"A": "measured", "B": "verified"})[0].check == "mixed_default_measured"
    assert {f.check for f in q.plan_consistency("s", ["a", "b"], ["b", "c"])} == {"stream_not_reported",
                                                                                   "stream_not_planned"}
