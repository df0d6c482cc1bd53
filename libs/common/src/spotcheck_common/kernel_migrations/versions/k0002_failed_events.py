"""failed events and dead letters: a consumer's retry budget (issue 13)

Revision ID: k0002
Revises: k0001
Create Date: 2026-12-01

A consumer that fails on an event records the attempt; when its retry budget is spent the
event becomes a dead letter (``dead_at``), is skipped so the partition moves on, and waits
for an operator's replay (``spotcheck dead-letters``).
"""

import sqlalchemy as sa
from alembic import op

revision = "k0002"
down_revision = "k0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "failed_events",
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("envelope", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("first_failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dead_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("consumer", "event_id", name=op.f("pk_failed_events")),
    )


def downgrade() -> None:
    op.drop_table("failed_events")
