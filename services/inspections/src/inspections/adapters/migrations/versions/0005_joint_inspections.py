"""a neighbour's joint inspections, kept for this district's inspectors on the team

A joint draw (issue 10) puts a neighbour's inspectors on the drawing district's teams; the
drawing district publishes each such inspection's state, the neighbour keeps the last one
(joint_inspections) and lists them by its own inspectors (joint_inspection_members).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'joint_inspections',
        sa.Column('inspection_id', sa.String(length=36), nullable=False),
        sa.Column('drawing_district', sa.String(length=40), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('state', sa.JSON(), nullable=False),
        sa.Column('acted_here', sa.JSON(), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('inspection_id'),
    )
    op.create_table(
        'joint_inspection_members',
        sa.Column('inspection_id', sa.String(length=36), nullable=False),
        sa.Column('member_id', sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint('inspection_id', 'member_id'),
    )
    op.create_index(
        'ix_joint_inspection_members_member',
        'joint_inspection_members',
        ['member_id'],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index('ix_joint_inspection_members_member', table_name='joint_inspection_members')
    op.drop_table('joint_inspection_members')
    op.drop_table('joint_inspections')
