"""each inspection keeps its object's fields and a product's samples (ADR 0011)

An object without a USCC (a product, a project, a conduct) is described by the fields the
registry holds; the draw carries them on each target (DrawnTarget.details), the inspection keeps
them and passes them on with InspectionSubmitted. A product's inspection also records the
samples taken (抽样). Inspections opened before have neither ({} and []).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inspections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("details", sa.JSON(), server_default="{}", nullable=False))
        batch_op.add_column(sa.Column("samples", sa.JSON(), server_default="[]", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("inspections", schema=None) as batch_op:
        batch_op.drop_column("samples")
        batch_op.drop_column("details")
