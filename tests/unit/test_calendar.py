"""The working-day calendar: chinese-calendar up to 2026, a year after it refused by name, and a data
file supplying that year (issue 18)."""

from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest

from openets.compliance.core import add_working_days
from openets.core.errors import DomainError
from openets.market.rules import TradingRules, is_trading_day
from openets.rules.calendar import is_working_day

RULES = TradingRules("BJ", 1, 1, D("0.2"), D("0.3"), 10_000, None, (), (), None, "last")


def test_known_years_come_from_chinese_calendar() -> None:
    assert not is_working_day(date(2017, 5, 29))  # the Dragon Boat holiday, Monday 29 May 2017
    assert is_working_day(date(2017, 5, 27))  # its make-up Saturday
    assert is_working_day(date(2026, 12, 31))  # the last year the package knows


def test_a_later_year_is_refused_by_name() -> None:
    with pytest.raises(DomainError) as e:
        is_working_day(date(2027, 3, 1))
    assert e.value.code == "calendar_year_unknown" and "2027" in e.value.message and "2027.toml" in e.value.message
    with pytest.raises(DomainError):  # a count running into that year, and the exchange's calendar, too
        add_working_days(date(2026, 12, 30), 5)
    with pytest.raises(DomainError):
        is_trading_day(RULES, date(2027, 3, 1))


def test_a_data_file_supplies_the_year(tmp_path: Path) -> None:
    (tmp_path / "2027.toml").write_text(
        'source = "test: a made-up notice"\nholidays = [2027-01-01]\nworkdays = [2027-01-02]\n', encoding="utf-8")
    assert not is_working_day(date(2027, 1, 1), tmp_path)  # Friday, a holiday in the file
    assert is_working_day(date(2027, 1, 2), tmp_path)  # Saturday, a make-up working day
    assert not is_working_day(date(2027, 1, 3), tmp_path)  # Sunday
    assert is_working_day(date(2027, 1, 4), tmp_path)  # Monday
    (tmp_path / "2028.toml").write_text('holidays = [2027-01-01]\n', encoding="utf-8")
    with pytest.raises(DomainError) as e:
        is_working_day(date(2028, 1, 3), tmp_path)
    assert e.value.code == "calendar_invalid"
