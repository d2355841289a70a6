from decimal import Decimal

from openets.core.prices import vwap, yuan_text


def test_yuan_text_is_exact_integer_arithmetic() -> None:
    assert yuan_text(0) == "0.00"
    assert yuan_text(5) == "0.05"
    assert yuan_text(-5) == "-0.05"  # a refund or a negative balance keeps its sign below one yuan
    assert yuan_text(123_456_789, grouped=True) == "1,234,567.89"
    # 10**17 + 1 fen: a float (53 bits) would print …000.00, losing the last fen
    assert yuan_text(10**17 + 1) == "1000000000000000.01"


def test_an_average_price_is_shown_to_the_fen() -> None:
    # Beijing walkthrough's average: 760,000,000 fen·t / 150,000 t = 5,066.666… fen → 50.67 yuan
    avg = vwap([(5_000, 100_000), (5_200, 50_000)])
    assert avg == Decimal(760_000_000) / 150_000
    assert yuan_text(avg) == "50.67"
    assert yuan_text(Decimal("506666.666"), grouped=True) == "5,066.67"
