from datetime import date, time
from decimal import Decimal as D

from openets.compliance.core import deadlines
from openets.compliance.rules import ComplianceRules
from openets.services.rulebook import default_rulebook


def test_parsed_at_load_with_one_default_each() -> None:
    bj = default_rulebook().lookup("BJ", 2016, date(2017, 6, 1), "compliance").section("compliance", ComplianceRules)
    assert bj == ComplianceRules(deadline=date(2017, 6, 15), order_working_days=10, order_issued=date(2017, 6, 16),
                                 fine_multiplier=(D(3), D(5)), fine_multiplier_default=D(3),
                                 fine_default_source=bj.fine_default_source, fine_price_months=6,
                                 fine_price_window="to_deadline", rounding="ceiling")
    assert bj.fine_default_source.startswith("unverified") and bj.default_multiplier == (D(3), bj.fine_default_source)
    sz = default_rulebook().lookup("SZ", 2016, date(2017, 6, 1), "compliance").section("compliance", ComplianceRules)
    assert sz.default_multiplier == (D(3), "the rule's only multiple") and sz.fine_price_window == "months_before_deadline_month"
    cea = default_rulebook().lookup("CEA", 2019, date(2021, 6, 1), "compliance").section("compliance", ComplianceRules)
    assert cea.company_gap_cap == D("0.20") and cea.gas_capped_at_allocation and cea.per_unit
    assert cea.takes_over is not None and "SZ" in cea.takes_over.from_pilots and cea.takes_over.pilot_keeps_allocated


def test_deadlines_order_and_closing_hour() -> None:
    d, order = deadlines(ComplianceRules(deadline=date(2017, 6, 30), order_deadline=date(2017, 7, 10)))
    assert (d.date(), d.time().hour, order is not None and order.date()) == (date(2017, 6, 30), 23, date(2017, 7, 10))
    d, order = deadlines(ComplianceRules(deadline=date(2017, 6, 30), closing_time=time(17)))
    assert (d.time(), order) == (time(17), None)


def test_the_gap_cap_per_company_from_2019() -> None:
    """国环规气候〔2020〕3号 covers 2019 and 2020: both years carry the 20 % company gap cap; 2018 has no
    national compliance rules (the 2017 draft was never in force)."""
    import pytest

    from openets.core.errors import DomainError

    rb = default_rulebook()
    for year in (2019, 2020):
        r = rb.lookup("CEA", year, date(2021, 6, 1), "compliance").section("compliance", ComplianceRules)
        assert r.company_gap_cap == D("0.20")
    with pytest.raises(DomainError) as e:
        rb.lookup("CEA", 2018, date(2021, 6, 1), "compliance")
    assert e.value.code == "no_rule_set"


def test_the_old_per_unit_key_is_refused() -> None:
    from openets.compliance.rules import parse_compliance_rules

    rs = default_rulebook().lookup("CEA", 2019, date(2021, 6, 1), "compliance")
    got = parse_compliance_rules(rs, {"deadline": "2021-12-31", "unit_gap_cap": "0.20"})
    assert isinstance(got, list) and "company_gap_cap" in got[0].message


def test_the_gap_cap_names_the_sectors_it_covers() -> None:
    """The gap cap and the gas rule are the power plans': every national rule set with them names
    ["power"]; a rule set with either and no sectors is refused, naming the key."""
    from openets.compliance.rules import parse_compliance_rules

    rb = default_rulebook()
    for year, on in ((2019, date(2021, 6, 1)), (2021, date(2023, 6, 1)), (2023, date(2024, 11, 1)),
                     (2024, date(2025, 1, 1)), (2025, date(2025, 12, 1))):
        r = rb.lookup("CEA", year, on, "compliance").section("compliance", ComplianceRules)
        assert r.per_unit and r.gap_cap_sectors == frozenset({"power"}), year
    rs = rb.lookup("CEA", 2019, date(2021, 6, 1), "compliance")
    for data in ({"company_gap_cap": "0.20"}, {"gas_capped_at_allocation": True}):
        got = parse_compliance_rules(rs, {"deadline": "2021-12-31", **data})
        assert isinstance(got, list) and [e.field for e in got] == ["gap_cap_sectors"] and "missing" in got[0].message
    got = parse_compliance_rules(rs, {"deadline": "2021-12-31", "company_gap_cap": "0.20", "gap_cap_sectors": ["power"]})
    assert isinstance(got, ComplianceRules) and got.gap_cap_sectors == frozenset({"power"})


def test_working_days_need_the_order_day() -> None:
    from openets.compliance.rules import parse_compliance_rules

    rs = default_rulebook().lookup("BJ", 2016, date(2017, 6, 1), "compliance")
    got = parse_compliance_rules(rs, {"deadline": "2017-06-15", "order_working_days": 10})
    assert isinstance(got, list) and got[0].field == "order_issued"


def test_a_range_needs_its_default_stated() -> None:
    """The regulator chooses the multiple per case: a range wider than one value without a stated
    default (and its source) is refused, not silently read as its low end."""
    from openets.compliance.rules import parse_compliance_rules

    rs = default_rulebook().lookup("BJ", 2016, date(2017, 6, 1), "compliance")
    got = parse_compliance_rules(rs, {"deadline": "2017-06-15", "fine_multiplier": ["3", "5"]})
    assert isinstance(got, list) and [e.field for e in got] == ["fine_multiplier_default"]
    got = parse_compliance_rules(rs, {"deadline": "2017-06-15", "fine_multiplier": ["3", "5"],
                                      "fine_multiplier_default": "4"})
    assert isinstance(got, list) and [e.field for e in got] == ["fine_default_source"]
    got = parse_compliance_rules(rs, {"deadline": "2017-06-15", "fine_multiplier": ["3", "5"],
                                      "fine_multiplier_default": "6", "fine_default_source": "x"})
    assert isinstance(got, list) and "outside" in got[0].message


def test_every_registry_rule_set_states_banking_and_borrowing() -> None:
    """Banking and borrowing are each market's rule data, not a silent default: every bundled registry
    rule set states both; the national first period counts 2019 and 2020 together and borrows nothing else."""
    rb = default_rulebook()
    for rs in rb.rule_sets:
        if "registry" in rs.raw:
            assert {"banking", "borrowing"} <= set(rs.raw["registry"]), f"{rs.market} {rs.document}"
    cea = rb.lookup("CEA", 2019, date(2021, 6, 1), "registry").registry
    assert (cea.borrowing, cea.periods) == (0, ((2019, 2020),))
