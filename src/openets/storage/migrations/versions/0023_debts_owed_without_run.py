"""allocation_debts.run_id nullable: a next-year deduction decided for a year that had no issued allocation
run (allowances given by a plain transfer) is recorded as owed with no run, instead of the decision being
refused; the first run that withholds it links the debt to itself. Existing rows keep their run_id.

Revision ID: 0023
Revises: 0022
"""
import sqlalchemy as sa
from alembic import op


revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('allocation_debts') as b:  # SQLite: the table is copied, its rows kept
        b.alter_column('run_id', existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    # a debt still owed without a run cannot go back under NOT NULL: the downgrade refuses then (the
    # ALTER fails on PostgreSQL; SQLite's copy fails on the constraint), nothing is dropped silently
    with op.batch_alter_table('allocation_debts') as b:
        b.alter_column('run_id', existing_type=sa.Integer(), nullable=False)
