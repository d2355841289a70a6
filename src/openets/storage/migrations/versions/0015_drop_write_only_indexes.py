"""drop two indexes every transfer wrote and (almost) no read used

``ix_journal_txn_id``: no query looks journal lines up by transaction. ``ix_movements_serial``: only
``trace`` read it, and its question (which movements cover serial s: start <= s <= end) scans every
entry with start <= s anyway; a scan of the unit class's movements answers it as well. Together they
were ~4 of a SQLite transfer's ~18 WAL pages.

Revision ID: 0015
Revises: 0014
"""
from alembic import op


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_journal_txn_id', table_name='journal')
    op.drop_index('ix_movements_serial', table_name='movements')


def downgrade() -> None:
    op.create_index('ix_movements_serial', 'movements', ['unit_class_id', 'start'])
    op.create_index('ix_journal_txn_id', 'journal', ['txn_id'])
