"""blocks and movements keyed by what names them; fewer B-trees for a transfer to write

A commit writes (and with synchronous=FULL fsyncs) every page a transfer touched: ~27 on SQLite
before this, most of them index pages. A block is named by its position and first serial and the
table is keyed (on SQLite clustered, WITHOUT ROWID) on that: a position's blocks share pages and two
of its three indexes go (a lower neighbour is found on the key: the highest start below). Movements
are keyed by (transaction, start). On SQLite a transaction's id is its rowid and idempotency keys
are the table's own key. One reversal per transaction is now a partial unique index: transactions
that reverse nothing (nearly all) are not in it.

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.schema import SchemaItem


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

_BLOCK_COLS = "account_id, unit_class_id, restriction_id, start, \"end\""
_MOVEMENT_COLS = "txn_id, start, unit_class_id, \"end\", account_id"
_TXN_COLS = ("id, type, status, market, unit_class_id, restriction_id, quantity, sender_id, receiver_id, "
             "compliance_year, reverses_id, reservation_id, actor_user, actor_party, actor_role, approved_by, "
             "at_us, note")
_IDEM_COLS = "party_id, operation, key, payload_hash, txn_id, created_us"
_NOT_NULL = sa.text("reverses_id IS NOT NULL")


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _rebuild(name: str, cols: str, *columns: SchemaItem, **kw: object) -> None:
    """SQLite: a table's key or row layout changes only by building it anew and copying the rows."""
    op.create_table(f"{name}_new", *columns, **kw)
    op.execute(f"INSERT INTO {name}_new ({cols}) SELECT {cols} FROM {name}")
    op.drop_table(name)
    op.rename_table(f"{name}_new", name)


def _blocks(clustered: bool) -> list[SchemaItem]:
    key = [sa.Column('account_id', sa.Integer(), nullable=False),
           sa.Column('unit_class_id', sa.Integer(), nullable=False),
           sa.Column('restriction_id', sa.Integer(), nullable=False),
           sa.Column('start', sa.BigInteger(), nullable=False),
           sa.Column('end', sa.BigInteger(), nullable=False),
           sa.CheckConstraint('"end" >= start', name='block_not_empty')]
    if clustered:
        return [*key, sa.PrimaryKeyConstraint('account_id', 'unit_class_id', 'restriction_id', 'start')]
    return [sa.Column('id', sa.Integer(), nullable=False), *key, sa.PrimaryKeyConstraint('id')]


def _movements(keyed: bool) -> list[SchemaItem]:
    cols = [sa.Column('txn_id', sa.BigInteger(), nullable=False),
            sa.Column('start', sa.BigInteger(), nullable=False),
            sa.Column('unit_class_id', sa.Integer(), nullable=False),
            sa.Column('end', sa.BigInteger(), nullable=False),
            sa.Column('account_id', sa.Integer(), nullable=False)]
    if keyed:
        return [*cols, sa.PrimaryKeyConstraint('txn_id', 'start')]
    cols[1], cols[2] = cols[2], cols[1]  # as 0001 made it
    return [sa.Column('id', sa.Integer(), nullable=False), *cols, sa.PrimaryKeyConstraint('id')]


def _transactions(rowid: bool) -> list[SchemaItem]:
    cols = [
        sa.Column('id', sa.Integer() if rowid else sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('type', sa.String(length=24), nullable=False),
        sa.Column('status', sa.String(length=24), nullable=False),
        sa.Column('market', sa.String(length=8), nullable=False),
        sa.Column('unit_class_id', sa.Integer(), nullable=True),
        sa.Column('restriction_id', sa.Integer(), nullable=False),
        sa.Column('quantity', sa.BigInteger(), nullable=False),
        sa.Column('sender_id', sa.Integer(), nullable=True),
        sa.Column('receiver_id', sa.Integer(), nullable=True),
        sa.Column('compliance_year', sa.Integer(), nullable=True),
        sa.Column('reverses_id', sa.BigInteger(), nullable=True),
        sa.Column('reservation_id', sa.BigInteger(), nullable=True),
        sa.Column('actor_user', sa.String(length=64), nullable=False),
        sa.Column('actor_party', sa.Integer(), nullable=False),
        sa.Column('actor_role', sa.String(length=16), nullable=False),
        sa.Column('approved_by', sa.String(length=64), nullable=True),
        sa.Column('at_us', sa.BigInteger(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    ]
    return cols if rowid else [*cols, sa.UniqueConstraint('reverses_id')]


def _idempotency() -> list[SchemaItem]:
    return [sa.Column('party_id', sa.Integer(), nullable=False),
            sa.Column('operation', sa.String(length=24), nullable=False),
            sa.Column('key', sa.String(length=128), nullable=False),
            sa.Column('payload_hash', sa.String(length=64), nullable=False),
            sa.Column('txn_id', sa.BigInteger(), nullable=False),
            sa.Column('created_us', sa.BigInteger(), nullable=False),
            sa.PrimaryKeyConstraint('party_id', 'operation', 'key')]


def upgrade() -> None:
    if _sqlite():
        _rebuild('blocks', _BLOCK_COLS, *_blocks(True), sqlite_with_rowid=False)
        _rebuild('movements', _MOVEMENT_COLS, *_movements(True), sqlite_with_rowid=False)
        _rebuild('transactions', _TXN_COLS, *_transactions(True))
        _rebuild('idempotency_keys', _IDEM_COLS, *_idempotency(), sqlite_with_rowid=False)
    else:
        op.drop_index('ix_blocks_position', table_name='blocks')
        op.drop_index('ix_blocks_position_end', table_name='blocks')
        op.drop_constraint('blocks_pkey', 'blocks', type_='primary')
        op.drop_column('blocks', 'id')
        op.create_primary_key('blocks_pkey', 'blocks', ['account_id', 'unit_class_id', 'restriction_id', 'start'])
        op.drop_index('ix_movements_txn_id', table_name='movements')
        op.drop_constraint('movements_pkey', 'movements', type_='primary')
        op.drop_column('movements', 'id')
        op.create_primary_key('movements_pkey', 'movements', ['txn_id', 'start'])
        op.drop_constraint('transactions_reverses_id_key', 'transactions', type_='unique')
    if _sqlite():  # the rebuilt tables' indexes (on PostgreSQL they stay)
        op.create_index('ux_blocks_serial', 'blocks', ['unit_class_id', 'start'], unique=True)
        op.create_index('ix_movements_serial', 'movements', ['unit_class_id', 'start'])
    op.create_index('ux_transactions_reverses', 'transactions', ['reverses_id'], unique=True,
                    sqlite_where=_NOT_NULL, postgresql_where=_NOT_NULL)


def downgrade() -> None:
    op.drop_index('ux_transactions_reverses', table_name='transactions')
    if _sqlite():
        _rebuild('blocks', _BLOCK_COLS, *_blocks(False))
        _rebuild('movements', _MOVEMENT_COLS, *_movements(False))
        _rebuild('transactions', _TXN_COLS, *_transactions(False))
        _rebuild('idempotency_keys', _IDEM_COLS, *_idempotency())
        op.create_index('ix_movements_serial', 'movements', ['unit_class_id', 'start'])
        op.create_index('ux_blocks_serial', 'blocks', ['unit_class_id', 'start'], unique=True)
    else:
        op.create_unique_constraint('transactions_reverses_id_key', 'transactions', ['reverses_id'])
        op.drop_constraint('movements_pkey', 'movements', type_='primary')
        op.add_column('movements', sa.Column('id', sa.BigInteger(), sa.Identity(), nullable=False))
        op.create_primary_key('movements_pkey', 'movements', ['id'])
        op.drop_constraint('blocks_pkey', 'blocks', type_='primary')
        op.add_column('blocks', sa.Column('id', sa.Integer(), sa.Identity(), nullable=False))
        op.create_primary_key('blocks_pkey', 'blocks', ['id'])
    op.create_index('ix_movements_txn_id', 'movements', ['txn_id'])
    op.create_index('ix_blocks_position', 'blocks', ['account_id', 'unit_class_id', 'restriction_id', 'start'])
    op.create_index('ix_blocks_position_end', 'blocks', ['account_id', 'unit_class_id', 'restriction_id', 'end'])
