"""an index on transactions (type, market, compliance_year), partial (only the rows with a compliance year:
allocations and surrenders): a compliance year's statuses read its surrenders through it instead of scanning
every transaction (the demo year on SQLite: 176,515 rows scanned for 1,418 surrenders, ~60 ms → < 1 ms); the
trading path (reserve, release, transfer: no compliance year) writes no entry in it

Revision ID: 0022
Revises: 0021 (written on 0020; re-chained onto 0021, written in parallel)
"""
import sqlalchemy as sa
from alembic import op


revision = '0022'
down_revision = '0021'  # re-chained onto 0021 (registry exactness, written in parallel) when wt-regx was rebased on it
branch_labels = None
depends_on = None

WHERE = sa.text('compliance_year IS NOT NULL')


def upgrade() -> None:
    op.create_index('ix_transactions_year', 'transactions', ['type', 'market', 'compliance_year'],
                    sqlite_where=WHERE, postgresql_where=WHERE)


def downgrade() -> None:
    op.drop_index('ix_transactions_year', table_name='transactions')
