"""A bad rule file fails when the rule book loads, with one error naming the file, the rule set and the field."""

from pathlib import Path

import pytest

from openets.core.errors import DomainError
from openets.services.rulebook import default_rulebook

HEAD = 'market = "{m}"\ncompliance_years = [2030]\ndocument = "TEST-{m}"\nvalid_from = 2030-01-01\n'


def _file(tmp_path: Path, market: str, section: str) -> Path:
    p = tmp_path / f"bad-{market}.toml"
    p.write_text("[[ruleset]]\n" + HEAD.format(m=market) + section, encoding="utf-8")
    return p


@pytest.mark.parametrize(("market", "section", "field"), [
    ("BJ", '[ruleset.compliance]\ndeadline = "30 June"\n', "[compliance].deadline"),
    ("BJ", '[ruleset.compliance]\ndeadline = "2031-06-30"\nfine_multiplier = ["3"]\n', "[compliance].fine_multiplier"),
    ("BJ", '[ruleset.compliance]\norder_working_days = 10\n', "[compliance].deadline: missing"),
    ("HB", '[ruleset.offsets]\ncounts_as = { CCER = "CCER" }\n', "[offsets].cap_share: missing"),
    ("HB", '[ruleset.offsets]\ncounts_as = { CCER = "CCER" }\ncap_share = "0.1"\ncap_basis = "emissions"\n',
     "[offsets].cap_basis"),
    ("GD", '[ruleset.mrv]\nintensity_ranges = { cement = ["0.6"] }\n', "[mrv].intensity_ranges.cement"),
    ("HB", '[ruleset.allocation]\nrounding = "sideways"\n', "[allocation].rounding"),
    ("HB", '[ruleset.allocation]\nproducts = { cement = { benchmark = "lots" } }\n', "[allocation].products.cement.benchmark"),
])
def test_bad_section_fails_at_load(tmp_path: Path, market: str, section: str, field: str) -> None:
    path = _file(tmp_path, market, section)
    with pytest.raises(DomainError) as exc:
        default_rulebook().with_file(path)
    assert exc.value.code == "rule_set_invalid"
    message = str(exc.value)
    assert path.name in message and f"TEST-{market}" in message and field in message


def test_good_file_is_typed_at_load(tmp_path: Path) -> None:
    from openets.compliance.rules import ComplianceRules

    path = _file(tmp_path, "SH", '[ruleset.compliance]\ndeadline = "2031-06-30"\n')
    rs = [r for r in default_rulebook().with_file(path).rule_sets if r.document == "TEST-SH"][0]
    assert isinstance(rs.sections["compliance"], ComplianceRules)
    assert rs.sections["compliance"].fine_price_months == 6  # the dataclass's default, the one place it is written
