"""joint draws across districts (issue 10): the neighbour's side of a joint draw

A neighbour's credit department commits and reveals its share of a joint draw at its own
bureau; this table is that side of the draw. Neighbours' inspectors land in ``inspectors``
with namespaced ids (``<district>:<id>``), like every other roster row.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'joint_draws',
        sa.Column('draw_id', sa.String(64), primary_key=True),
        sa.Column('drawing_district', sa.String(40), nullable=False),
        sa.Column('party', sa.String(100), nullable=False),
        sa.Column('task_no', sa.String(100), nullable=False),
        sa.Column('manifest', sa.JSON(), nullable=False),
        sa.Column('manifest_sha256', sa.String(64), nullable=False),
        sa.Column('committed', sa.JSON(), nullable=False),
        sa.Column('commitment', sa.String(64), nullable=True),
        sa.Column('key', sa.JSON(), nullable=True),
        sa.Column('share_revealed', sa.Boolean(), nullable=False),
        sa.Column('status', sa.String(20), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table('joint_draws')
