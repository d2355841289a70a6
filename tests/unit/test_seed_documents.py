"""The seed's document numbers where they belong in the rule data (trading, offsets, registry, compliance),
and the dates the seed gives for them."""

from __future__ import annotations

from datetime import date

import pytest

from openets.core.errors import DomainError
from openets.rules.loader import default_rulebook


def test_hubei_281_is_valid_from_its_publication_7_june_2017() -> None:
    rb = default_rulebook()
    assert rb.lookup("HB", 2016, date(2017, 6, 7), "offsets").document == "鄂发改委气候〔2017〕281号"
    with pytest.raises(DomainError) as e:  # the day before: no offset rules for compliance year 2016
        rb.lookup("HB", 2016, date(2017, 6, 6), "offsets")
    assert e.value.code == "no_rule_set"
    assert "281" not in rb.lookup("HB", 2016, date(2017, 6, 7), "registry").document  # an offset rule, not the registry's


def test_guangdong_phcer_documents_are_cited() -> None:
    gd = default_rulebook().lookup("GD", 2016, date(2017, 6, 20), "offsets")
    assert "粤发改规〔2017〕1号" in gd.document
    assert "2834号" in gd.source and "2903号" in gd.source
    assert gd.raw["offsets"]["counts_as"]["PHCER"] == "CCER"


def test_trading_days_keep_their_notices() -> None:
    rb = default_rulebook()
    assert "沪发改公告〔2017〕3号" in rb.lookup("SH", 2016, date(2017, 6, 30), "trading").source
    assert "临时开市" in rb.lookup("BJ", 2016, date(2017, 6, 10), "trading").source
    assert "临时开市" in rb.lookup("GD", 2016, date(2017, 6, 17), "trading").source


def test_beijing_and_shanghai_compliance_notices_are_cited() -> None:
    rb = default_rulebook()
    bj = rb.lookup("BJ", 2016, date(2017, 6, 15), "compliance")
    assert bj.document == "京发改[2017]820号" and "850号" in bj.source  # the clearing notice; the order to comply
    assert rb.lookup("SH", 2016, date(2017, 6, 30), "compliance").document == "沪发改环资〔2017〕60号"


def test_guangdong_2016_allocation_plan_is_cited() -> None:
    gd = default_rulebook().lookup("GD", 2016, date(2016, 6, 1), "allocation")
    assert gd.document == "粤发改气候〔2016〕430号" and gd.raw["covered_companies"] == 189  # the seed's 189 companies
