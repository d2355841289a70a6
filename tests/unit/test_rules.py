from datetime import date
from pathlib import Path

import pytest

from openets.core.errors import DomainError
from openets.rules.loader import default_rulebook

BENCH_RULES = Path(__file__).resolve().parents[2] / "bench" / "data" / "mixed-sectors.toml"


def test_lookup_by_market_year_date_and_section() -> None:
    rb = default_rulebook()
    assert rb.lookup("SH", 2016, date(2017, 6, 30), "registry").market == "SH"
    assert rb.lookup("CEA", 2019, date(2021, 1, 1), "allocation").document == "国环规气候〔2020〕3号"
    with pytest.raises(DomainError):  # the 2019–2020 plan was not yet valid in 2019
        rb.lookup("CEA", 2019, date(2019, 6, 1), "allocation")
    with pytest.raises(DomainError):
        rb.lookup("XX", 2019, date(2021, 1, 1))
    assert {m.code for m in rb.markets.values()} == {"CEA", "BJ", "TJ", "SH", "CQ", "HB", "GD", "SZ", "FJ"}
    assert all(m.timezone.key == "Asia/Shanghai" for m in rb.markets.values())


def test_a_users_own_rule_file(tmp_path: Path) -> None:
    rb = default_rulebook().with_file(BENCH_RULES)
    assert rb.lookup("CEA", 2030, date(2029, 6, 1), "allocation").document.startswith("bench")
    bad = tmp_path / "bad.toml"
    bad.write_text("[[ruleset]]\nmarket = 'CEA'\n", encoding="utf-8")
    with pytest.raises(DomainError) as e:
        default_rulebook().with_file(bad)
    assert "missing key" in e.value.message
    bad.write_text("not toml [", encoding="utf-8")
    with pytest.raises(DomainError):
        default_rulebook().with_file(bad)
