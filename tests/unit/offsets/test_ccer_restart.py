"""The CCER restart (mechanisms.md §8.2): a new standard with its methodologies as data, legacy CCERs
usable only until 31 Dec 2024, projects inside covered companies excluded, the 5 % cap."""

from datetime import date
from decimal import Decimal as D

from openets.offsets.eligibility import Credit, check
from openets.offsets.rules import OffsetRules, read_offset_rules
from openets.services.rulebook import default_rulebook, section


def rules(year: int, on: date) -> OffsetRules:
    return section(default_rulebook().lookup("CEA", year, on, "offsets"), "offsets", OffsetRules)


def credit(cid: str, standard: str, qty: int, *, methodology: str = "", boundary: frozenset[str] = frozenset()) -> Credit:
    return Credit(cid, standard, f"P-{cid}", "forestry", "15", "150100", date(2020, 1, 1), date(2023, 12, 31), qty,
                  boundary, methodology=methodology)


def test_legacy_ccer_only_until_31_december_2024() -> None:
    r = rules(2024, date(2024, 12, 1))
    legacy = [credit("L", "CCER", 1_000)]
    assert check(legacy, "X", r, basis=100_000, applied_on=date(2024, 12, 31))[0].usable == 1_000
    late = check(legacy, "X", r, basis=100_000, applied_on=date(2025, 1, 1))[0]
    assert late.usable == 0 and late.reasons == ("CCER credits are usable only until 2024-12-31 (surrendered on 2025-01-01)",)
    assert check(legacy, "X", r, basis=100_000)[0].reasons == ("CCER credits are usable only until 2024-12-31 (no surrender date given)",)


def test_restarted_ccer_methodologies_covered_companies_and_the_cap() -> None:
    """Obligation 100,000 t: cap 5 % = 5,000 t. An afforestation credit (CCER-14-001-V01) of 3,000 t
    counts; one of 4,000 t counts 2,000 (the cap's rest); a credit on a methodology not published is
    refused; a project inside another covered company (Y) is refused, though X is not Y."""
    r = rules(2025, date(2025, 6, 1))
    assert r.cap_share == D("0.05")
    got = check([credit("A", "CCER-2023", 3_000, methodology="CCER-14-001-V01"),
                 credit("B", "CCER-2023", 4_000, methodology="CCER-01-002-V01"),
                 credit("C", "CCER-2023", 500, methodology="CCER-99-001-V01"),
                 credit("D", "CCER-2023", 500, methodology="CCER-14-001-V01", boundary=frozenset({"Y"}))],
                "X", r, basis=100_000, applied_on=date(2025, 6, 1), covered=frozenset({"X", "Y"}))
    assert [v.usable for v in got] == [3_000, 2_000, 0, 0]
    assert got[2].reasons[0].startswith("methodology CCER-99-001-V01 is not one of the CCER-2023 methodologies")
    assert got[3].reasons == ("the project lies within covered company Y",)
    # before the restart (a 2022 surrender in 2022) the new standard is not accepted at all
    before = check([credit("A", "CCER-2023", 10, methodology="CCER-14-001-V01")], "X", rules(2022, date(2022, 6, 1)),
                   basis=100_000, applied_on=date(2022, 6, 1))
    assert before[0].reasons == ("CCER-2023 credits are not accepted (CCER are)",)


def test_registry_accepts_the_new_standard_from_the_restart() -> None:
    book = default_rulebook()
    assert "CCER-2023" in book.lookup("CEA", 2023, date(2024, 1, 22), "registry").registry.accepted_offsets
    assert "CCER-2023" not in book.lookup("CEA", 2021, date(2023, 10, 18), "registry").registry.accepted_offsets
    assert book.lookup("CEA", 2023, date(2024, 1, 22), "registry").registry.borrowing == 0


def test_bad_offset_data_names_the_fields() -> None:
    got = read_offset_rules("CEA", 2024, "x", {"counts_as": {"CCER": "CCER"}, "cap_share": "0.05",
                                                "usable_until": {"CCER": "soon", "VCS": "2024-12-31"},
                                                "methodologies": {"CCER": "all"}})
    assert isinstance(got, list)
    assert {(e.field, e.message) for e in got} >= {("usable_until.CCER", "'soon' is not a date"),
                                                   ("usable_until", "VCS: not an accepted standard (counts_as)")}
    assert any(e.field == "methodologies.CCER" for e in got)
