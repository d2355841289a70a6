"""drop the transactions' sender and receiver indexes

No query filters transactions by sender or receiver (an account's history is read from the journal,
keyed by account and sequence), and each index cost a write on every transaction.

Revision ID: 0013
Revises: 0012
"""
from alembic import op


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_transactions_sender', table_name='transactions')
    op.drop_index('ix_transactions_receiver', table_name='transactions')


def downgrade() -> None:
    op.create_index('ix_transactions_receiver', 'transactions', ['receiver_id'])
    op.create_index('ix_transactions_sender', 'transactions', ['sender_id'])
