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

