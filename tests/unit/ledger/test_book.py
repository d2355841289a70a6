from openets.ledger.book import Book, LedgerError, PositionKey
from openets.ledger.journal import GENESIS, recompute

A = PositionKey(1, 1, 0)
B = PositionKey(2, 1, 0)


def test_move_reserve_release_and_journal_chain() -> None:
    book = Book()
    book.create(1, A, 1, 100, "issue", 0)
    book.reserve(2, A, 30, "reserve", 1)
    try:
        book.move(3, A, B, 80, "transfer", 2)
    except LedgerError:
        pass
    else:
        raise AssertionError("moved more than available")
    book.move(3, A, B, 70, "transfer", 2)
    book.move(4, A, B, 30, "transfer", 3, from_reserved=30)
    assert (book.positions[A].total, book.positions[A].reserved) == (0, 0)
    assert book.positions[B].total == 100
    assert book.check_invariants() == []
    prev: dict[int, str] = {}
    for line in book.lines:
        assert line.prev_hash == prev.get(line.account_id, GENESIS)
        assert recompute(line) == line.hash
        prev[line.account_id] = line.hash


def test_block_diff_tracks_rows() -> None:
    book = Book()
    book.load_position(A, 100, 0, [(1, 100)])
    book.load_position(B, 0, 0, [])
    book.move(1, A, B, 40, "transfer", 0)
    updates, inserts, deletes = book.block_diff()
    assert updates == [(A, 1, A, 1, 60)] and inserts == [(B, 61, 100)] and deletes == []



def test_last_in_and_the_serials_a_movement_would_take() -> None:
    """Every line adding to a position moves its last_in_us forward; lowest_ranges is what move takes
    (whole lowest blocks, then the upper part of the next: blocks.take)."""
    book = Book()
    book.create(1, A, 1, 100, "issue", 10)
    book.create(2, A, 201, 300, "issue", 20)
    assert book.positions[A].last_in_us == 20
    assert book.lowest_ranges(A, 150) == [(1, 100), (251, 300)]
    moved = book.move(3, A, B, 150, "transfer", 30)
    assert sorted(moved) == [(1, 100), (251, 300)]
    assert (book.positions[A].last_in_us, book.positions[B].last_in_us) == (20, 30)  # leaving is no arrival


def test_arrived_after_is_block_by_block() -> None:
    """A holds 1–100 since t=10 and 201–300 since t=50 (by transfer from B). At t=30: moving 100 takes
    1–100 (there since 10): nothing arrived after 30; moving 101 takes 300 too (arrived at 50). The
    lines are this unit of work's; the stored journal (the source) has nothing more. Without a source
    to ask, the position's latest arrival is the answer (the safe one)."""

    class Stored:
        def lowest(self, key: PositionKey, after: int, limit: int) -> list[tuple[int, int]]:
            return []

        def neighbours(self, key: PositionKey, ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
            return []

        def arrived(self, key: PositionKey, ranges: list[tuple[int, int]], after_us: int) -> int | None:
            return None

    book = Book(Stored())
    book.create(1, A, 1, 100, "issue", 10)
    book.create(2, B, 201, 300, "issue", 10)
    book.move(3, B, A, 100, "transfer", 50)
    assert book.positions[A].last_in_us == 50  # the fast path says "maybe": the blocks decide
    assert book.arrived_after(A, 100, 30) is None
    assert book.arrived_after(A, 101, 30) == 50
    assert book.arrived_after(A, 200, 50) is None  # at the arrival's moment itself: after it
    assert book.arrived_after(B, 1, 10) is None  # B holds nothing that arrived after 10 (fast path)
    book.source = None
    assert book.arrived_after(A, 100, 30) == 50
