"""each population row's scope attributes (issue 12: silent exclusion, spotcheck-draw/3)

A /3 population's leaves carry each row's entity type, industry and area (indices into the
manifest's vocabulary), so anyone can check that every row lies in the task's scope. Stored
beside the four columns; null for draws frozen before.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('draw_populations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attributes', sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('draw_populations', schema=None) as batch_op:
        batch_op.drop_column('attributes')
