"""parked outbox rows: an event the bus can never accept (issue 13)

Revision ID: k0003
Revises: k0002
Create Date: 2026-12-01

An outbox row over the bus's message size limit, or refused by it for good, is parked
(``parked_at``) instead of being retried for ever in front of its aggregate's later events; an
operator releases it (``spotcheck parked-events --release``) once the cause is mended. No
index: the relay's queries already go through ``ix_outbox_pending`` (unpublished rows, few),
and parked rows are a handful among them.
"""

import sqlalchemy as sa
from alembic import op

revision = "k0003"
down_revision = "k0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("parked_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:  # SQLite drops a column by copying the table
        batch.drop_column("parked_at")
