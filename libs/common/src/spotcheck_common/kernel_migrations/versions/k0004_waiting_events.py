"""waiting events: what arrives before what it depends on waits in a table (issue 13)

Revision ID: k0004
Revises: k0003
Create Date: 2026-12-01

An event whose handler says it waits for another (``Unavailable``), and every later event of
the same aggregate for that consumer, is kept here in arrival order and acknowledged, so the
partition moves on; the service's waiting room retries them when the service handles another
event and every ``SPOTCHECK_CONSUMER_WAITING_RETRY_S``.
"""

import sqlalchemy as sa
from alembic import op

revision = "k0004"
down_revision = "k0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "waiting_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("aggregate_id", sa.String(length=200), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("envelope", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waiting_events")),
        sa.UniqueConstraint("consumer", "event_id", name=op.f("uq_waiting_events_consumer")),
    )
    op.create_index(
        "ix_waiting_events_aggregate",
        "waiting_events",
        ["consumer", "aggregate_id", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_waiting_events_aggregate", table_name="waiting_events")
    op.drop_table("waiting_events")
