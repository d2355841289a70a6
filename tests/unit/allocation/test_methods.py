"""Allocation methods: the seed's cement example, a power unit by hand, properties."""

from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openets.allocation.methods import (
    PowerUnitOutput,
    SectorRecord,
    auction_share,
    benchmark_allowance,
    best_percent_benchmark,
    data_source_mixing,
    grandfathering_allowance,
    historical_intensity_allowance,
    power_allowance,
    to_tonnes,
    weighted_average_benchmark,
)
from openets.allocation.rules import allocation_rules
from openets.core.errors import DomainError
from openets.rules.loader import default_rulebook

MT = D(1_000_000)


def rules_2019():  # type: ignore[no-untyped-def]
    return allocation_rules(default_rulebook().lookup("CEA", 2019, date(2021, 1, 1), "allocation"))


def test_seed_cement_example() -> None:
    """基于总量控制的碳市场设计逻辑: the cement sector gets 1.12 Gt (11.2 亿吨) for 2020 against 1.0 Gt of
    base-year emissions; benchmark = sector total / forecast sector output.

    Assumed (the seed's table is an image we cannot read): forecast 2020 output 2,400 Mt, company A
    produces 3.64 Mt and emits 1.80 Mt, company B produces 7.31 Mt and emits 3.20 Mt. The seed's
    results (A 1.70 Mt allowed, 0.10 Mt short; B 3.41 Mt allowed, 0.21 Mt long) follow from the method."""
    benchmark = D("1.12e9") / D("2400e6")  # tCO2 per tonne of cement
    a = benchmark_allowance(benchmark, D("3.64") * MT)
    b = benchmark_allowance(benchmark, D("7.31") * MT)
    assert round(a / MT, 2) == D("1.70") and round(b / MT, 2) == D("3.41")
    short_a = D("1.80") * MT - a
    long_b = b - D("3.20") * MT
    assert round(short_a / MT, 2) == D("0.10") and round(long_b / MT, 2) == D("0.21")
    # why: A's intensity is above the benchmark, B's below
    assert D("1.80") / D("3.64") > benchmark > D("3.20") / D("7.31")


def test_local_factor_may_only_tighten() -> None:
    assert benchmark_allowance(D("0.8534"), D(100), D("0.95")) == D("81.0730")
    with pytest.raises(DomainError) as e:
        benchmark_allowance(D("0.8534"), D(100), D("1.01"))
    assert e.value.code == "local_factor_above_one"
    with pytest.raises(DomainError):
        benchmark_allowance(D("0.8534"), D(-1))


def test_power_unit_by_hand() -> None:
    """A 600 MW air-cooled coal unit, 2019–2020 benchmarks: 3,000,000 MWh supplied, 1,000,000 GJ of
    heat, heat-supply ratio 0.10, load factor 0.78. It supplies heat, so it is not pure-condensing and
    the load correction (conventional coal pure-condensing units only) does not apply (issue 15)."""
    r = rules_2019()
    assert r.power is not None
    cat = r.power.category_for("coal", 600)
    assert cat.code == "coal_300_plus"
    assert r.power.category_for("coal", 350).code == "coal_below_300"  # the 400 MW boundary (data)
    unit = PowerUnitOutput("U1", cat.code, "air", D(3_000_000), D(1_000_000), D("0.10"), D("0.78"))
    got = power_allowance(unit, r.power)
    cooling = D("1.05")  # air cooling
    heat_factor = 1 - D("0.22") * D("0.10")  # = 0.978
    load = D(1)  # a heat-supplying unit: no load correction
    assert (got.cooling_factor, got.heat_factor, got.load_factor_correction) == (cooling, heat_factor, load)
    assert got.electricity_part == D("0.877") * 3_000_000 * cooling * heat_factor
    assert got.heat_part == D("0.126") * 1_000_000
    # 0.877 × 3,000,000 = 2,631,000; × 1.05 = 2,762,550; × 0.978 = 2,701,773.9
    # + heat 126,000 = 2,827,773.9 → 四舍五入 2,827,774
    assert to_tonnes(got.total) == 2_827_774
    # each load-factor piece
    assert r.power.load_factor_correction(D("0.90")) == 1
    assert r.power.load_factor_correction(D("0.82")) == 1 + D("0.0014") * 3
    assert r.power.load_factor_correction(D("0.70")) == D("1.015") ** (16 - 20 * D("0.70"))
    with pytest.raises(DomainError):
        r.power.load_factor_correction(D("1.2"))


def test_draft_2017_power_categories_need_user_values() -> None:
    r = allocation_rules(default_rulebook().lookup("CEA", 2017, date(2017, 6, 1), "allocation"))
    assert r.power is not None and len(r.power.categories) == 11 and r.power_values == "user-supplied"
    unit = PowerUnitOutput("U1", "gas", "water", D(1), D(0), D(0), D(1))
    with pytest.raises(DomainError) as e:
        power_allowance(unit, r.power)
    assert e.value.code == "benchmark_missing"
    assert r.products["cement"].benchmark == D("0.8534") and r.products["aluminium"].benchmark == D("9.1132")
    assert r.pre_allocation == {"power": D("0.70"), "cement": D("0.50"), "aluminium": D("0.50")}


def test_historical_intensity_and_the_whipping_of_the_fast_ox() -> None:
    """鞭打快牛: the steel method rewards a high history. Baosteel 2015 1.88 tCO2/t vs peers 1.85."""
    early = historical_intensity_allowance([D("1.95"), D("1.90"), D("1.85")], D(1_000_000), coefficient=D("0.99"))
    late = historical_intensity_allowance([D("2.10"), D("2.05"), D("2.00")], D(1_000_000), coefficient=D("0.99"))
    assert early == D("1.90") * D("0.99") * 1_000_000 and late > early
    with pytest.raises(DomainError):
        historical_intensity_allowance([D("1.9")], D(1), coefficient=D("0.99"))
    assert grandfathering_allowance([D(100), D(110), D(120)], D("0.98")) == D("107.80")
    assert auction_share(1_000_001, D("0.03")) == (30_000, 970_001)


def test_benchmark_derivation_and_mixing() -> None:
    rows = [SectorRecord("A", D(100), D(90), "measured"), SectorRecord("B", D(200), D(160), "measured"),
            SectorRecord("C", D(100), D(70), "default"), SectorRecord("D", D(100), D(100), "measured")]
    assert weighted_average_benchmark(rows) == D(420) / D(500)
    assert best_percent_benchmark(rows, D(50)) == (D("0.7") + D("0.8")) / 2  # C 0.70, B 0.80
    assert best_percent_benchmark(rows, D(10)) == D("0.7")  # at least one installation
    assert data_source_mixing(rows) and "C" in data_source_mixing(rows)[0]
    assert data_source_mixing([r for r in rows if r.data_source == "measured"]) == []


decimals = st.decimals(min_value=0, max_value=10**9, places=3, allow_nan=False, allow_infinity=False)


@given(benchmark=st.decimals(min_value=0, max_value=20, places=4), output=decimals, k=st.integers(0, 50),
       factor=st.decimals(min_value=D("0.01"), max_value=1, places=2))
def test_allowance_linear_in_output_and_never_negative(benchmark: D, output: D, k: int, factor: D) -> None:
    one = benchmark_allowance(benchmark, output, factor)
    assert one >= 0
    assert benchmark_allowance(benchmark, output * k, factor) == one * k


@given(e=st.decimals(min_value=0, max_value=10**7, places=2), h=st.decimals(min_value=0, max_value=10**7, places=2),
       ratio=st.decimals(min_value=0, max_value=1, places=3), load=st.decimals(min_value=0, max_value=1, places=3))
def test_power_allowance_never_negative(e: D, h: D, ratio: D, load: D) -> None:
    r = rules_2019()
    assert r.power is not None
    got = power_allowance(PowerUnitOutput("U", "gas", "water", e, h, ratio, load), r.power)
    assert got.total >= 0 and got.electricity_part >= 0


def test_runs_allocate_steel_by_history_and_a_pilot_by_grandfathering(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from openets.allocation.plan import ProductionRow, allocate

    draft = allocation_rules(default_rulebook().lookup("CEA", 2017, date(2017, 6, 1), "allocation"))
    steel = ProductionRow("r2", "BAOSTEEL", "S1", "steel", output=D(10_000_000),
                          history=(D("1.95"), D("1.90"), D("1.88")))  # 2013–2015, tCO2/t (2015: 1.88, the seed)
    got = allocate([steel], draft)
    # mean 1.91 × 0.99 × 10,000,000 = 18,909,000 t
    assert got.companies[0].tonnes == 18_909_000 and got.companies[0].rows[0].method == "historical_intensity"
    assert "history" in allocate([ProductionRow("r3", "X", "S", "steel", output=D(1))], draft).problems[0]

    hubei = allocation_rules(default_rulebook().lookup("HB", 2016, date(2016, 6, 1), "allocation"))
    plant = ProductionRow("r2", "HB1", "K1", "industry", history=(D(100_000), D(110_000), D(120_000)))
    assert "user-supplied" in allocate([plant], hubei).problems[0]
    own = tmp_path / "hubei.toml"
    own.write_text("""[[ruleset]]
market = "HB"
compliance_years = [2016]
document = "my Hubei 2016 factor"
valid_from = 2016-01-01
[ruleset.allocation]
methods.industry = { method = "grandfathering", factor = "0.9712", window = 3 }
""", encoding="utf-8")
    mine = allocation_rules(default_rulebook().with_file(own).lookup("HB", 2016, date(2016, 6, 1), "allocation"))
    assert allocate([plant], mine).companies[0].tonnes == round(110_000 * D("0.9712"))  # mean × factor


def test_cement_co_processing_raises_the_benchmark() -> None:
    """2017 draft (mrv-and-benchmarks.md): clinker 0.8534 tCO2/t, +1 / 2 / 3 % for co-processing
    3–5 / 5–10 / > 10 ×10⁴ t of waste a year."""
    from openets.allocation.plan import ProductionRow, allocate

    draft = allocation_rules(default_rulebook().lookup("CEA", 2017, date(2017, 6, 1), "allocation"))

    def tonnes(waste: int) -> int:
        row = ProductionRow("r2", "CEM", "K1", "cement", output=D(1_000_000), waste_t=D(waste))
        return allocate([row], draft).companies[0].tonnes

    assert tonnes(0) == 853_400  # 0.8534 × 1,000,000
    assert tonnes(29_999) == 853_400  # below 3 ×10⁴ t: no uplift
    assert tonnes(30_000) == 861_934  # 0.8534 × 1.01 × 1,000,000 = 861,934
    assert tonnes(60_000) == 870_468  # 0.8534 × 1.02 × 1,000,000 = 870,468
    assert tonnes(100_000) == 870_468  # "5–10 ×10⁴ t": 100,000 t is still the 2 % tier
    assert tonnes(150_000) == 879_002  # > 10 ×10⁴ t: 0.8534 × 1.03 × 1,000,000 = 879,002
    alu = ProductionRow("r3", "ALU", "P1", "aluminium", output=D(1000), waste_t=D(50_000))
    assert "no co-processing uplift" in allocate([alu], draft).problems[0]


def test_draft_2017_power_categories_each_marked_unverified_with_source() -> None:
    """The draft names 11 categories by steam pressure, capacity and fuel but not which: the eleven shipped
    are a guess, each marked so with where the structure comes from (their values are user-supplied)."""
    r = allocation_rules(default_rulebook().lookup("CEA", 2017, date(2017, 6, 1), "allocation"))
    assert r.power is not None and len(r.power.categories) == 11
    for cat in r.power.categories.values():
        assert cat.status.startswith("unverified") and "mrv-and-benchmarks.md" in cat.status, cat.code
        assert cat.electricity is None and cat.heat is None  # no guessed value ships


def test_2023_power_allocates_on_generation() -> None:
    """国环规气候〔2024〕1号 allocates on generation (发电量), the heat-supply factor removed; with the national
    scenario's assumed benchmark 0.8013 tCO2/MWh (2022's 0.8177 × 0.98): a 600 MW water-cooled coal unit
    generating 3,000,000 MWh (supplying 2,800,000) at F = 0.90 gets 3,000,000 × 0.8013 × 1 × 1 = 2,403,900 t;
    air-cooled at F = 0.82: × 1.05 × (1 + 0.0014 × (85 − 82)) = 1.05 = 2,524,095 × 1.0042 = 2,534,696.199 → 2,534,696 t."""
    from openets.allocation.plan import ProductionRow, allocate
    from openets.simulation.schema import BUNDLED

    book = default_rulebook().with_file(BUNDLED / "national-2023-2024-rules.toml")
    rules = allocation_rules(book.lookup("CEA", 2023, date(2024, 11, 1), "allocation"))

    def unit(cooling: str, f: str, generation: D | None = D(3_000_000)) -> ProductionRow:
        return ProductionRow("r2", "P", "U1", "power", fuel="coal", capacity_mw=600, cooling=cooling,
                             electricity_mwh=D(2_800_000), generation_mwh=generation, load_factor=D(f))

    assert allocate([unit("water", "0.90")], rules).companies[0].tonnes == 2_403_900
    assert allocate([unit("air", "0.82")], rules).companies[0].tonnes == 2_534_696
    assert "generated is not given" in allocate([unit("water", "0.9", None)], rules).problems[0]
