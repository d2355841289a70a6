"""a transaction records the serials it moved; the movements table goes

Each movement range was a row of its own (a fragmented transfer moves many ranges: ~7 per transfer in
the registry bench), written on every transaction only for `trace` and reversals to read. The
transaction now carries its ranges as text (as its journal lines do) with their lowest and highest
serial: a reversal reads them from the transaction it reverses, and `trace` filters transactions of
the unit class on those two numbers before it parses the few that may hold the serial.

Revision ID: 0016
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('transactions', sa.Column('serials', sa.Text(), nullable=False, server_default=''))
    op.add_column('transactions', sa.Column('serial_lo', sa.BigInteger(), nullable=True))
    op.add_column('transactions', sa.Column('serial_hi', sa.BigInteger(), nullable=True))
    conn = op.get_bind()
    update = sa.text("UPDATE transactions SET serials = :s, serial_lo = :lo, serial_hi = :hi WHERE id = :id")
    pending: list[dict[str, object]] = []

    def emit(txn: int, ranges: list[tuple[int, int]]) -> None:
        pending.append({"id": txn, "s": " ".join(f"{s}-{e}" for s, e in ranges), "lo": ranges[0][0],
                        "hi": ranges[-1][1]})
        if len(pending) >= 5000:
            conn.execute(update, pending)
            pending.clear()

    # the ranges each transaction delivered, ascending (disjoint: the last one ends highest)
    current: int | None = None
    ranges: list[tuple[int, int]] = []
    for txn_id, start, end in conn.execute(sa.text('SELECT txn_id, start, "end" FROM movements '
                                                   'ORDER BY txn_id, start')).all():
        if txn_id != current and current is not None:
            emit(current, ranges)
            ranges = []
        current = txn_id
        ranges.append((start, end))
    if current is not None:
        emit(current, ranges)
    if pending:
        conn.execute(update, pending)
    op.drop_table('movements')


def downgrade() -> None:
    op.create_table(
        'movements',
        sa.Column('txn_id', sa.BigInteger(), nullable=False),
        sa.Column('start', sa.BigInteger(), nullable=False),
        sa.Column('unit_class_id', sa.Integer(), nullable=False),
        sa.Column('end', sa.BigInteger(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('txn_id', 'start'),
        sqlite_with_rowid=False,
    )
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, unit_class_id, receiver_id, serials FROM transactions "
                                "WHERE serials != '' ORDER BY id")).all()
    out = [{"t": txn, "u": uc, "a": receiver, "s": int(s), "e": int(e)}
           for txn, uc, receiver, serials in rows for s, _, e in (part.partition("-") for part in serials.split())]
    if out:
        conn.execute(sa.text('INSERT INTO movements (txn_id, start, unit_class_id, "end", account_id) '
                             'VALUES (:t, :s, :u, :e, :a)'), out)
    op.drop_column('transactions', 'serial_hi')
    op.drop_column('transactions', 'serial_lo')
    op.drop_column('transactions', 'serials')
