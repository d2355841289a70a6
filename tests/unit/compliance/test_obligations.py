from datetime import UTC, datetime
from decimal import Decimal as D

from openets.compliance.core import Surrendered
from openets.compliance.obligations import company_obligation, count_offsets, is_gas_unit, per_unit_obligation
from openets.compliance.rules import ComplianceRules
from openets.offsets.rules import offset_cap

PLAIN = ComplianceRules(deadline=datetime(2017, 6, 15).date())
NATIONAL = ComplianceRules(deadline=datetime(2021, 12, 31).date(), unit_gap_cap=D("0.20"), gas_capped_at_allocation=True)


def test_company_obligation_rounds_up_by_default() -> None:
    assert company_obligation(D("1000.2"), PLAIN) == 1001  # ceiling: a fraction of a tonne is owed
    assert company_obligation(D("1000.2"), ComplianceRules(deadline=PLAIN.deadline, rounding="half_up")) == 1000


def test_gas_detected_from_fuel_or_category() -> None:
    assert is_gas_unit({"fuel": "natural_gas"})
    assert is_gas_unit({"category": "gas_chp"})
    assert not is_gas_unit({"fuel": "coal", "category": "300MW"})


def test_per_unit_obligation_hand_computed() -> None:
    units = [
        {"source_id": "U1", "emissions": "1000000", "fuel": "coal"},  # free 700,000: min(1,000,000, 700,000 + 200,000)
        {"source_id": "U2", "emissions": "500000.4", "fuel": "gas"},  # gas, free 400,000.6 → 400,001 (half up)
        {"source_id": "U3", "emissions": "100000", "fuel": "coal"},  # free 95,000: shortfall 5,000 < 20,000 → 100,000
    ]
    free = {"U1": D(700_000), "U2": D("400000.6"), "U3": D(95_000)}
    expected = 900_000 + 400_001 + 100_000
    assert per_unit_obligation(1_600_001, units, free, NATIONAL) == expected
    assert company_obligation(D("1600000.4"), NATIONAL, units=units, allocation=free) == expected


def test_per_unit_falls_back_to_the_total_without_unit_emissions() -> None:
    assert per_unit_obligation(1234, [{"source_id": "U1"}], {}, NATIONAL) == 1234
    assert company_obligation(D(1234), NATIONAL) == 1234


def test_count_offsets_caps_and_reversals() -> None:
    t = [datetime(2017, 6, d, tzinfo=UTC) for d in (1, 2, 3, 4)]
    cap = offset_cap(1000, D("0.10"))  # 10 % of 1,000 = 100
    events = [(Surrendered(t[0], 500), False), (Surrendered(t[1], 80), True), (Surrendered(t[2], 50), True),
              (Surrendered(t[3], -80), True)]
    got = count_offsets(events, cap, D(1))
    # allowances in full; 80 of the cap's 100; then only 20 of 50; the reversal of 80 takes back 80 of the 100 counted
    assert [s.quantity for s in got] == [500, 80, 20, -80]
