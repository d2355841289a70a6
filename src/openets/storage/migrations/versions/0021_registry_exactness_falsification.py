"""registry exactness and data falsification: a rejected or withdrawn reversal no longer blocks a new one;
positions.last_in_us (when units last arrived in a position, backfilled from the journal) for the arrival
check's fast path; falsification_findings (Decree 775: a finding, its decision, the cut applied)

Revision ID: 0021
Revises: 0020
"""
import sqlalchemy as sa
from alembic import op


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

_OLD = sa.text("reverses_id IS NOT NULL")
_LIVE = sa.text("reverses_id IS NOT NULL AND status IN ('awaiting_approval', 'completed')")


def upgrade() -> None:
    op.drop_index('ux_transactions_reverses', table_name='transactions')
    op.create_index('ux_transactions_reverses', 'transactions', ['reverses_id'], unique=True,
                    sqlite_where=_LIVE, postgresql_where=_LIVE)
    op.add_column('positions', sa.Column('last_in_us', sa.BigInteger(), nullable=True))
    op.execute("UPDATE positions SET last_in_us = (SELECT max(j.at_us) FROM journal j "
               "WHERE j.account_id = positions.account_id AND j.unit_class_id = positions.unit_class_id "
               "AND j.restriction_id = positions.restriction_id AND j.d_total > 0)")
    op.create_table(
        'falsification_findings',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('market', sa.String(8), nullable=False),
        sa.Column('company', sa.String(32), nullable=False),
        sa.Column('report_year', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(24), nullable=False),
        sa.Column('basis', sa.Text(), nullable=False),
        sa.Column('status', sa.String(12), nullable=False),
        sa.Column('found_by', sa.String(64), nullable=False),
        sa.Column('found_us', sa.BigInteger(), nullable=False),
        sa.Column('gains_fen', sa.BigInteger()),
        sa.Column('fine_fen', sa.BigInteger()),
        sa.Column('individual_fen', sa.BigInteger()),
        sa.Column('cut_share', sa.String(12)),
        sa.Column('cut_year', sa.Integer()),
        sa.Column('corrected', sa.Boolean()),
        sa.Column('decision', sa.Text()),
        sa.Column('decided_by', sa.String(64)),
        sa.Column('decided_us', sa.BigInteger()),
        sa.Column('cut_run_id', sa.Integer()),
        sa.Column('cut_quantity', sa.BigInteger()),
        sa.UniqueConstraint('market', 'company', 'report_year', 'kind', name='falsification_once'),
    )


def downgrade() -> None:
    op.drop_table('falsification_findings')
    with op.batch_alter_table('positions') as b:
        b.drop_column('last_in_us')
    op.drop_index('ux_transactions_reverses', table_name='transactions')
    op.create_index('ux_transactions_reverses', 'transactions', ['reverses_id'], unique=True,
                    sqlite_where=_OLD, postgresql_where=_OLD)
