"""the external roster: co-organising agencies' inspectors (issue 11: 第三条 joint checks)

Imported by the credit department like the bureau's own inspectors, kept apart from them:
identified by (agency, the agency's own id), never team leaders.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "external_inspectors",
        sa.Column("agency", sa.String(length=31), nullable=False),
        sa.Column("inspector_id", sa.String(length=32), nullable=False),
        sa.Column("agency_name", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("qualifications", sa.JSON(), nullable=False),
        sa.Column("certificate_expires_on", sa.Date(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("batch_id", sa.String(length=36), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("agency", "inspector_id", name=op.f("pk_external_inspectors")),
    )


def downgrade() -> None:
    op.drop_table("external_inspectors")
