from datetime import UTC, datetime
from decimal import Decimal as D

from openets.compliance.core import Surrendered
from openets.compliance.obligations import company_obligation, count_offsets, is_gas_unit, per_unit_obligation
from openets.compliance.rules import ComplianceRules
from openets.offsets.rules import offset_cap

PLAIN = ComplianceRules(deadline=datetime(2017, 6, 15).date())
NATIONAL = ComplianceRules(deadline=datetime(2021, 12, 31).date(), company_gap_cap=D("0.20"), gas_capped_at_allocation=True,
                           gap_cap_sectors=frozenset({"power"}))


def test_company_obligation_rounds_up_by_default() -> None:
    assert company_obligation(D("1000.2"), PLAIN) == 1001  # ceiling: a fraction of a tonne is owed
    assert company_obligation(D("1000.2"), ComplianceRules(deadline=PLAIN.deadline, rounding="half_up")) == 1000


def test_gas_detected_from_fuel_or_category() -> None:
    assert is_gas_unit({"fuel": "natural_gas"})
    assert is_gas_unit({"category": "gas_chp"})
    assert not is_gas_unit({"fuel": "coal", "category": "300MW"})


def test_per_unit_obligation_hand_computed() -> None:
    """国环规气候〔2020〕3号: the gas rule per unit first, then the 20 % gap cap for the company."""
    units = [
        {"source_id": "U1", "emissions": "1000000", "fuel": "coal", "sector": "power"},  # free 700,000: owes its VE, 1,000,000
        {"source_id": "U2", "emissions": "500000.4", "fuel": "gas", "sector": "power"},  # VE 500,001; gas, free 400,000.6 → 400,001
        {"source_id": "U3", "emissions": "100000", "fuel": "coal", "sector": "power"},  # free 95,000: owes 100,000
    ]
    free = {"U1": D(700_000), "U2": D("400000.6"), "U3": D(95_000)}
    # after the gas rule: 1,000,000 + 400,001 + 100,000 = 1,500,001; the company: VE 1,600,000.4 → 1,600,001,
    # allocation 1,195,000.6 → 1,195,001; cap 1,195,001 + ⌈0.2 × 1,600,001 = 320,000.2⌉ = 1,515,002: not reached
    expected = 1_500_001
    assert per_unit_obligation(1_600_001, units, free, NATIONAL) == expected
    assert company_obligation(D("1600000.4"), NATIONAL, units=units, allocation=free) == expected


def test_the_gap_cap_is_per_company_not_per_unit() -> None:
    """A unit 30 % short inside a company 10 % short owes its whole VE: U1 VE 1,000,000, free 700,000;
    U2 VE 1,000,000, free 1,100,000; company VE 2,000,000, allocation 1,800,000, shortfall 200,000 =
    10 % ≤ 20 % → owes 2,000,000 (per unit it was min(1,000,000, 700,000 + 200,000) + 1,000,000 = 1,900,000)."""
    units = [{"source_id": "U1", "emissions": "1000000", "fuel": "coal", "sector": "power"},
             {"source_id": "U2", "emissions": "1000000", "fuel": "coal", "sector": "power"}]
    assert per_unit_obligation(2_000_000, units, {"U1": D(700_000), "U2": D(1_100_000)}, NATIONAL) == 2_000_000
    # the cap binds for the company: U1 VE 1,000,000 free 600,000; U2 VE 500,000 free 450,000; company VE
    # 1,500,000, allocation 1,050,000, shortfall 450,000 = 30 % > 20 % → 1,050,000 + 0.2 × 1,500,000 = 1,350,000
    # (per unit: min(1,000,000, 800,000) + min(500,000, 550,000) = 1,300,000)
    units[1]["emissions"] = "500000"
    assert per_unit_obligation(1_500_000, units, {"U1": D(600_000), "U2": D(450_000)}, NATIONAL) == 1_350_000


def test_gas_rule_first_then_the_company_test() -> None:
    """Coal U1 VE 1,000,000 free 700,000; gas G1 VE 100,000 free 120,000 → owes min(100,000, 120,000) = 100,000.
    Before the cap 1,100,000; the company: VE 1,100,000, allocation 820,000, cap 820,000 + 220,000 = 1,040,000."""
    units = [{"source_id": "U1", "emissions": "1000000", "fuel": "coal", "sector": "power"},
             {"source_id": "G1", "emissions": "100000", "fuel": "gas", "sector": "power"}]
    assert per_unit_obligation(1_100_000, units, {"U1": D(700_000), "G1": D(120_000)}, NATIONAL) == 1_040_000
    # a gas-only company over its allocation owes its allocation: the company test cannot raise it
    gas = [{"source_id": "G1", "emissions": "150000", "fuel": "gas", "sector": "power"}]
    assert per_unit_obligation(150_000, gas, {"G1": D(120_000)}, NATIONAL) == 120_000


def test_per_unit_falls_back_to_the_total_without_unit_emissions() -> None:
    assert per_unit_obligation(1234, [{"source_id": "U1", "sector": "power"}], {}, NATIONAL) == 1234
    assert company_obligation(D(1234), NATIONAL) == 1234


def test_the_gap_cap_covers_the_power_part_of_a_company_only() -> None:
    """A company with generating units and a cement line (the national market from 2024): the gas rule and
    the 20 % cap are the power plans' (gap_cap_sectors = ["power"]), so they apply to its power part; the
    cement line owes its verified emissions in full.
    Coal U1 VE 1,000,000 free 600,000; gas G1 VE 200,000 free 150,000 → owes min(200,000, 150,000) = 150,000;
    cement C1 VE 300,000 (allocation 300,000 = its verified emissions). Company VE 1,500,000.
    Power part: 1,000,000 + 150,000 = 1,150,000 after the gas rule; power VE 1,000,000 + 200,000 = 1,200,000;
    power allocation 600,000 + 150,000 = 750,000; cap 750,000 + 0.2 × 1,200,000 = 990,000 → 990,000.
    Cement: 1,500,000 − 1,200,000 = 300,000. Owed 990,000 + 300,000 = 1,290,000.
    (Before: the cement row has no unit emissions, so the whole company escaped both rules and owed
    1,500,000; the cap over the whole company would give 1,050,000 + 300,000 = 1,350,000.)"""
    units = [{"source_id": "U1", "sector": "power", "fuel": "coal", "emissions": "1000000"},
             {"source_id": "G1", "sector": "power", "fuel": "gas", "emissions": "200000"},
             {"source_id": "C1", "sector": "cement"}]
    free = {"U1": D(600_000), "G1": D(150_000), "C1": D(300_000)}
    assert per_unit_obligation(1_500_000, units, free, NATIONAL) == 1_290_000
    assert company_obligation(D(1_500_000), NATIONAL, units=units, allocation=free) == 1_290_000
    # the cement row carrying its emissions and a gas fuel is still outside both rules: 1,290,000
    units[2] = {"source_id": "C1", "sector": "cement", "fuel": "natural_gas", "emissions": "300000"}
    assert per_unit_obligation(1_500_000, units, free, NATIONAL) == 1_290_000
    # a cement-only company owes its verified emissions: 300,000
    assert per_unit_obligation(300_000, [units[2]], {"C1": D(200_000)}, NATIONAL) == 300_000


def test_count_offsets_caps_and_reversals() -> None:
    t = [datetime(2017, 6, d, tzinfo=UTC) for d in (1, 2, 3, 4)]
    cap = offset_cap(1000, D("0.10"))  # 10 % of 1,000 = 100
    events = [(Surrendered(t[0], 500), False), (Surrendered(t[1], 80), True), (Surrendered(t[2], 50), True),
              (Surrendered(t[3], -80), True)]
    got = count_offsets(events, cap, D(1))
    # allowances in full; 80 of the cap's 100; then only 20 of 50; the reversal of 80 takes back 80 of the 100 counted
    assert [s.quantity for s in got] == [500, 80, 20, -80]
