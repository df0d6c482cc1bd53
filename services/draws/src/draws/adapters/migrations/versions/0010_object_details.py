"""objects beyond market entities (issue 11, 第一条; ADR 0011)

The draws' copy of the registry keeps a product's, project's or conduct's fields, so each
drawn target carries them to inspections and publication.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("entities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("details", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("entities", schema=None) as batch_op:
        batch_op.drop_column("details")
