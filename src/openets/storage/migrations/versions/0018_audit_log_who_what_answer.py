"""the audit log says who (role), where from (api, ui, cli, cli-local-admin), what (action), the
answer (ok or the refusal's code) and the market's clock beside the wall clock

Revision ID: 0018
Revises: 0017
"""
import sqlalchemy as sa
from alembic import op


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

COLUMNS = (("source", sa.String(16)), ("role", sa.String(16)), ("action", sa.String(64)), ("answer", sa.String(200)),
           ("market_at_us", sa.BigInteger()))


def upgrade() -> None:
    with op.batch_alter_table('audit_log') as batch:
        for name, kind in COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('audit_log') as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
