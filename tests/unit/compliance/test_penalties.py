from datetime import date
from decimal import Decimal as D

import pytest

from openets.compliance.penalties import deduction, fine_window, fines
from openets.core.errors import DomainError


def test_fine_windows() -> None:
    # Beijing, six months exactly to the deadline: 15 June 2017 − 6 months = 15 Dec 2016, so the window
    # is 16 Dec 2016 – 15 June 2017 (both included)
    assert fine_window(date(2017, 6, 15), 6) == (date(2016, 12, 16), date(2017, 6, 15))
    # a short month: 31 Aug − 6 months is 28 Feb (no 31 Feb) → from 1 March
    assert fine_window(date(2017, 8, 31), 6) == (date(2017, 3, 1), date(2017, 8, 31))
    # Shenzhen, the six months before the compliance month: deadline 30 June 2017 → 1 Dec 2016 – 31 May 2017
    assert fine_window(date(2017, 6, 30), 6, "months_before_deadline_month") == (date(2016, 12, 1), date(2017, 5, 31))
    with pytest.raises(DomainError):
        fine_window(date(2017, 6, 30), 6, "sideways")


def test_fines_the_stated_default_unless_set() -> None:
    window = (date(2016, 12, 16), date(2017, 6, 15))
    default = (D(4), "unverified: test")  # a default that is not the low end: the rules' word counts
    got = fines([("A", 1000)], D(5000), window, (D(3), D(5)), default)
    assert got[0].amount_fen == 4 * 5000 * 1000  # 4 × 50.00 yuan × 1,000 t = 200,000 yuan
    assert got[0].basis == ("4 × 50.00 yuan (VWAP of listed trades 2016-12-16–2017-06-15) × 1,000 t "
                            "(the rules' default multiple: unverified: test)")
    set_ = fines([("A", 10)], D("4999.5"), window, (D(3), D(5)), default, D(3))[0]
    assert set_.amount_fen == 149_985 and set_.basis.endswith("(multiple set by the regulator)")  # 3 × 4,999.5 × 10
    with pytest.raises(DomainError):
        fines([("A", 10)], D(5000), window, (D(3), D(5)), default, D(6))


def test_deduction_oldest_first_rest_withheld() -> None:
    # need 1,000: 300 of class 7, then 500 of class 8 (all it holds): 200 still missing
    assert deduction([(7, 300), (8, 500)], 1000) == ([(7, 300), (8, 500)], 200)
    assert deduction([(7, 300), (8, 500)], 400) == ([(7, 300), (8, 100)], 0)
    assert deduction([(7, 0)], 10) == ([], 10)


def test_next_year_deduction_and_fixed_fines() -> None:
    from openets.compliance.penalties import fixed_fines, next_year_deduction

    assert next_year_deduction(4_000, D(2)) == 8_000  # Hubei: twice the shortfall
    assert next_year_deduction(3, D("1.5")) == 5  # 4.5 t: a fraction of a tonne is still owed
    got = fixed_fines([("A", 1), ("B", 900_000)], (2_000_000, 3_000_000), (2_000_000, "unverified: low end"))
    assert [f.amount_fen for f in got] == [2_000_000, 2_000_000]  # 20,000 yuan each, whatever the shortfall
    assert fixed_fines([("A", 1)], (2_000_000, 3_000_000), (2_000_000, "x"), 3_000_000)[0].amount_fen == 3_000_000
    with pytest.raises(DomainError):
        fixed_fines([("A", 1)], (2_000_000, 3_000_000), (2_000_000, "x"), 3_000_001)
