from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from openets.allocation.split import largest_remainder


def test_ties_go_to_the_smaller_id() -> None:
    assert largest_remainder(10, {"b": 1, "a": 1, "c": 1}) == {"a": 4, "b": 3, "c": 3}
    assert largest_remainder(2, {3: 1, 1: 1, 2: 1}) == {1: 1, 2: 1, 3: 0}


@given(st.integers(0, 10**12), st.dictionaries(st.integers(1, 10**6), st.integers(1, 10**9), min_size=1, max_size=50))
def test_parts_sum_exactly_and_stay_within_a_tonne(total: int, weights: dict[int, int]) -> None:
    parts = largest_remainder(total, weights)
    assert sum(parts.values()) == total
    wsum = sum(weights.values())
    for k, w in weights.items():
        exact = D(total) * w / wsum
        assert exact - 1 < parts[k] < exact + 1
