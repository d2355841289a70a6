"""Hubei 2016 vs 2017 on the same credits; the 10 % cap across projects; the national 5 %."""

from datetime import date
from decimal import Decimal as D

from openets.offsets.eligibility import Credit, check, parse_offset_rules, total_usable
from openets.rules.loader import default_rulebook

TAGS = frozenset({"hubei_key_poverty_county_yangtze_cluster", "hubei_contiguous_poverty_area"})


def rules(market: str, year: int, on: date):  # type: ignore[no-untyped-def]
    rs = default_rulebook().lookup(market, year, on, "offsets")
    return parse_offset_rules(market, year, rs.document, rs.raw["offsets"])


def credit(i: str, *, start: date, end: date, qty: int, province: str = "42", type_: str = "rural_biogas",
           standard: str = "CCER", tags: frozenset[str] = TAGS, boundary: frozenset[str] = frozenset()) -> Credit:
    return Credit(i, standard, f"P-{i}", type_, province, "421100", start, end, qty, boundary, tags)


def test_hubei_2016_vs_2017_on_the_same_credits() -> None:
    early = credit("2013", start=date(2013, 3, 1), end=date(2013, 12, 31), qty=1_000)
    late = credit("2015", start=date(2015, 1, 1), end=date(2015, 6, 30), qty=1_000)
    hb2017 = rules("HB", 2016, date(2017, 6, 15))  # 鄂发改委气候〔2017〕281号: 2013–2015
    hb2016 = rules("HB", 2015, date(2016, 6, 15))  # 2015 only
    assert [v.usable for v in check([early, late], "HB-CO", hb2017, basis=1_000_000)] == [1_000, 1_000]
    v2016 = check([early, late], "HB-CO", hb2016, basis=1_000_000)
    assert v2016[0].usable == 0 and "outside 2015-01-01–2015-12-31" in v2016[0].reasons[0]
    assert v2016[1].usable == 1_000
    # the 2017 rules also ask where the project lies and when the company applied
    untagged = credit("x", start=date(2014, 1, 1), end=date(2014, 12, 31), qty=10, tags=frozenset())
    assert "does not lie in" in check([untagged], "HB-CO", hb2017, basis=1_000)[0].reasons[0]
    v = check([late], "HB-CO", hb2017, basis=1_000_000, applied_on=date(2017, 6, 20))
    assert v[0].usable == 0 and "after the deadline 2017-06-19" in v[0].reasons[0]


def test_the_ten_percent_cap_across_projects_and_why_not() -> None:
    hb = rules("HB", 2016, date(2017, 6, 15))
    credits = [credit("a", start=date(2014, 1, 1), end=date(2014, 12, 31), qty=60_000),
               credit("b", start=date(2014, 1, 1), end=date(2014, 12, 31), qty=50_000),
               credit("c", start=date(2014, 1, 1), end=date(2014, 12, 31), qty=5_000, type_="wind"),
               credit("d", start=date(2014, 1, 1), end=date(2014, 12, 31), qty=5_000, province="44"),
               credit("e", start=date(2014, 1, 1), end=date(2014, 12, 31), qty=5_000, boundary=frozenset({"HB-CO"}))]
    v = {x.credit_id: x for x in check(credits, "HB-CO", hb, basis=1_000_000)}  # initial allocation 1,000,000 t
    assert (v["a"].usable, v["b"].usable) == (60_000, 40_000)  # 10 % = 100,000 t across projects
    assert "over the cap" in v["b"].reasons[0]
    assert "wind is not eligible" in v["c"].reasons[0]
    assert "generated outside 42" in v["d"].reasons[0]
    assert "own organisational boundary" in v["e"].reasons[0]
    assert total_usable(v.values()) == 100_000


def test_national_five_percent_and_guangdong_phcer() -> None:
    cea = rules("CEA", 2021, date(2022, 6, 1))
    v = check([credit("n", start=date(2018, 1, 1), end=date(2018, 12, 31), qty=80_000, province="62")], "P1", cea,
              basis=1_000_000)
    assert v[0].usable == 50_000 and v[0].counts_for == D(50_000)
    gd = rules("GD", 2016, date(2017, 6, 1))
    ph = credit("p", start=date(2016, 1, 1), end=date(2016, 12, 31), qty=100, province="44", standard="PHCER")
    assert check([ph], "GD1", gd, basis=10_000)[0].usable == 100
    ffcer = credit("f", start=date(2016, 1, 1), end=date(2016, 12, 31), qty=100, province="35", standard="FFCER")
    assert "not accepted" in check([ffcer], "GD1", gd, basis=10_000)[0].reasons[0]
