"""each inspection keeps its target's area (区域) from the draw

The public search filters published results by the entity's area as the registry records it:
the draw carries it on each target (DrawnTarget.area), the inspection keeps it and passes it on
with InspectionSubmitted. Inspections opened before have no area ("").

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('area', sa.String(length=100), server_default='', nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.drop_column('area')
