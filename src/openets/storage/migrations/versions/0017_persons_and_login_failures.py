"""users carry their natural person; failed logins are counted in the database

Four eyes compare natural persons, not user names: one person with two user names is still one
pair of eyes (issue 19 item 5). Failed logins are rows of their own, so that the throttle holds
across worker processes and restarts, per user and per client address (issue 19 item 6).

Revision ID: 0017
Revises: 0016
"""
import sqlalchemy as sa
from alembic import op


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('users', sa.Column('person_id', sa.String(length=64), nullable=True))
    op.create_table(
        'login_failures',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_name', sa.String(length=64), nullable=False),
        sa.Column('client', sa.String(length=64), nullable=False),
        sa.Column('at_us', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_login_failures_user', 'login_failures', ['user_name', 'at_us'])
    op.create_index('ix_login_failures_client', 'login_failures', ['client', 'at_us'])
    op.create_index('ix_login_failures_at', 'login_failures', ['at_us'])


def downgrade() -> None:
    op.drop_index('ix_login_failures_at', table_name='login_failures')
    op.drop_index('ix_login_failures_client', table_name='login_failures')
    op.drop_index('ix_login_failures_user', table_name='login_failures')
    op.drop_table('login_failures')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('person_id')
