"""flex_limits: an account's borrowing or carry-over limit, granted by a regulator, enforced by the registry

Revision ID: 0020
Revises: 0019
"""
import sqlalchemy as sa
from alembic import op


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'flex_limits',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('account_id', sa.Integer(), sa.ForeignKey('accounts.id'), nullable=False),
        sa.Column('kind', sa.String(12), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('quantity', sa.BigInteger(), nullable=False),
        sa.Column('basis', sa.Text(), nullable=False),
        sa.Column('decided_by', sa.String(64), nullable=False),
        sa.Column('decided_us', sa.BigInteger(), nullable=False),
        sa.CheckConstraint('quantity >= 0', name='flex_limit_not_negative'),
        sa.UniqueConstraint('account_id', 'kind', 'year', name='flex_limit_once'),
    )


def downgrade() -> None:
    op.drop_table('flex_limits')
