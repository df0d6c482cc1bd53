"""who may read an inspection from the field (issue 12: reads beyond need)

Station, inspector and expert tokens read only the inspections they work on: one row per
member of each inspection's team and its visit's leader, kept with every write; filled here
for the inspections already recorded.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    members = op.create_table(
        'inspection_members',
        sa.Column('inspection_id', sa.String(length=36), nullable=False),
        sa.Column('member_id', sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint('inspection_id', 'member_id'),
    )
    with op.batch_alter_table('inspection_members', schema=None) as batch_op:
        batch_op.create_index('ix_inspection_members_member', ['member_id'], unique=False)
    inspections = sa.table(
        'inspections',
        sa.column('inspection_id', sa.String),
        sa.column('team', sa.JSON),
        sa.column('visit_leader_id', sa.String),
    )
    rows = op.get_bind().execute(sa.select(inspections)).all()
    filled = [
        {'inspection_id': r.inspection_id, 'member_id': m}
        for r in rows
        for m in sorted({t['inspector_id'] for t in r.team} | {r.visit_leader_id} - {''})
    ]
    if filled:
        op.bulk_insert(members, filled)


def downgrade() -> None:
    op.drop_table('inspection_members')
