"""Serial blocks: lowest serials first, the sender keeps the first part of a split, adjacent merge."""

from hypothesis import given
from hypothesis import strategies as st

from openets.ledger.blocks import Block, put, take, take_ranges, total


def ranges(bs: list[Block]) -> list[tuple[int, int]]:
    return [(b.start, b.end) for b in bs]


def test_take_whole_blocks_lowest_first_then_split_keeps_first_part() -> None:
    held = [Block(1, 10, 1), Block(21, 30, 2), Block(41, 50, 3)]
    moved = take(held, 14)
    assert ranges(moved) == [(1, 10), (27, 30)]
    assert moved[0].id == 1  # a whole block moves with its row
    assert ranges(held) == [(21, 26), (41, 50)]
    assert held[0].id == 2  # the sender's row stays, shortened to its first part


def test_put_merges_adjacent_on_both_sides() -> None:
    held = [Block(1, 10, 1), Block(21, 30, 2)]
    put(held, [Block(11, 20)])
    assert ranges(held) == [(1, 30)] and held[0].id == 1


def test_put_refuses_overlap() -> None:
    held = [Block(1, 10, 1)]
    try:
        put(held, [Block(10, 12)])
    except ValueError:
        pass
    else:
        raise AssertionError("overlap accepted")


def test_take_ranges_is_all_or_nothing() -> None:
    held = [Block(1, 10, 1), Block(21, 30, 2)]
    try:
        take_ranges(held, [(1, 5), (11, 12)])
    except ValueError:
        pass
    assert ranges(held) == [(1, 10), (21, 30)]
    moved = take_ranges(held, [(3, 5)])
    assert ranges(moved) == [(3, 5)] and ranges(held) == [(1, 2), (6, 10), (21, 30)]


@given(st.lists(st.integers(1, 50), min_size=1, max_size=30), st.data())
def test_random_moves_conserve_and_never_overlap(sizes: list[int], data: st.DataObject) -> None:
    """Move random quantities back and forth between three holders: serials are conserved exactly."""
    issued = sum(sizes)
    holders: list[list[Block]] = [[Block(1, issued)], [], []]
    for _ in range(len(sizes)):
        src = data.draw(st.integers(0, 2))
        dst = data.draw(st.integers(0, 2).filter(lambda d, s=src: d != s))
        have = total(holders[src])
        if have == 0:
            continue
        qty = data.draw(st.integers(1, have))
        put(holders[dst], take(holders[src], qty))
    serials = sorted(s for h in holders for b in h for s in range(b.start, b.end + 1))
    assert serials == list(range(1, issued + 1))
    for h in holders:
        assert all(a.end + 1 < b.start for a, b in zip(h, h[1:]))  # sorted, disjoint, adjacent ones merged
