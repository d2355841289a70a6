from datetime import date
from decimal import Decimal as D

import pytest

from openets.compliance.penalties import deduction, fine_window, fines
from openets.core.errors import DomainError


def test_fine_window_six_months_to_the_deadline() -> None:
    assert fine_window(date(2017, 6, 15), 6) == (date(2016, 12, 1), date(2017, 6, 15))  # June − 6 → December last year
    assert fine_window(date(2017, 7, 10), 6) == (date(2017, 1, 1), date(2017, 7, 10))


def test_fines_low_end_unless_set() -> None:
    window = (date(2016, 12, 1), date(2017, 6, 15))
    got = fines([("A", 1000)], D(5000), window, (D(3), D(5)))
    assert got[0].amount_fen == 3 * 5000 * 1000  # 3 × 50.00 yuan × 1,000 t = 150,000 yuan
    assert got[0].basis == "3 × 50.00 yuan (VWAP of listed trades 2016-12-01–2017-06-15) × 1,000 t"
    assert fines([("A", 10)], D("4999.5"), window, (D(3), D(5)), D(4))[0].amount_fen == 199_980  # 4 × 4,999.5 × 10
    with pytest.raises(DomainError):
        fines([("A", 10)], D(5000), window, (D(3), D(5)), D(6))


def test_deduction_oldest_first_rest_withheld() -> None:
    # need 1,000: 300 of class 7, then 500 of class 8 (all it holds): 200 still missing
    assert deduction([(7, 300), (8, 500)], 1000) == ([(7, 300), (8, 500)], 200)
    assert deduction([(7, 300), (8, 500)], 400) == ([(7, 300), (8, 100)], 0)
    assert deduction([(7, 0)], 10) == ([], 10)
