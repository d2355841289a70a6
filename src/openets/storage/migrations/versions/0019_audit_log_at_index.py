"""an index on the audit log's wall-clock time: the auditor's filters (a day, since/until) read a range of it

Revision ID: 0019
Revises: 0018
"""
from alembic import op


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_audit_log_at_us', 'audit_log', ['at_us'])


def downgrade() -> None:
    op.drop_index('ix_audit_log_at_us', table_name='audit_log')
