"""joint draws: what this bureau did and when, and the drawing district's result (issue 10)

The neighbour's side of a joint draw keeps when its credit department committed and revealed,
and, once the drawing district's DrawCompleted arrives, the result's digest and the address of
the bundle the drawing district publishes: this bureau's public site lists the joint draws it
took part in with them. Null for what happened before.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('joint_draws', schema=None) as batch_op:
        batch_op.add_column(sa.Column('committed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('revealed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('result_sha256', sa.String(64), nullable=True))
        batch_op.add_column(sa.Column('bundle_url', sa.String(500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('joint_draws', schema=None) as batch_op:
        batch_op.drop_column('bundle_url')
        batch_op.drop_column('result_sha256')
        batch_op.drop_column('revealed_at')
        batch_op.drop_column('committed_at')
