"""direct assignment (issue 11, 第六条; draw-spec §15)

A draw may assign its teams directly instead of matching them at random: the deputy director's
approval per task (append-only), the signed assignment on the draw (never changed once made),
and each countersigned draw's team counts for the share of direct assignment per department.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

from spotcheck_common.guards import Guard, drop_statements, statements

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

GUARDS = [
    Guard(
        "draws_assignment_frozen", "draws", ("UPDATE",),
        "直接委派一经签署不得修改",
        frozen=("assignment", "assigned_by"),
        only_if="OLD.assigned_by IS NOT NULL",
    ),
    Guard(
        "direct_assignment_approvals_append_only", "direct_assignment_approvals",
        ("UPDATE", "DELETE", "TRUNCATE"), "分管局长对直接委派的批准不得修改或删除",
    ),
    Guard(
        "draw_team_counts_append_only", "draw_team_counts", ("UPDATE", "DELETE", "TRUNCATE"),
        "抽取的检查组统计只能写入一次",
    ),
]


def upgrade() -> None:
    with op.batch_alter_table('draws', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assignment', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('assigned_by', sa.String(length=100), nullable=True))
    op.create_table(
        'direct_assignment_approvals',
        sa.Column('approval_id', sa.String(length=64), nullable=False),
        sa.Column('task_id', sa.String(length=64), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('approved_by', sa.String(length=100), nullable=False),
        sa.Column('approved_by_name', sa.String(length=100), nullable=False),
        sa.Column('approved_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('approval_id'),
    )
    op.create_index(
        'ix_direct_assignment_approvals_task', 'direct_assignment_approvals', ['task_id'],
        unique=False,
    )
    op.create_table(
        'draw_team_counts',
        sa.Column('draw_id', sa.String(length=64), nullable=False),
        sa.Column('department', sa.String(length=100), nullable=False),
        sa.Column('teams', sa.Integer(), nullable=False),
        sa.Column('assigned', sa.Integer(), nullable=False),
        sa.Column('completed_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('draw_id'),
    )
    for statement in statements(op.get_context().dialect.name, "draws", GUARDS):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_statements(op.get_context().dialect.name, GUARDS):
        op.execute(statement)
    op.drop_table('draw_team_counts')
    op.drop_index('ix_direct_assignment_approvals_task', table_name='direct_assignment_approvals')
    op.drop_table('direct_assignment_approvals')
    with op.batch_alter_table('draws', schema=None) as batch_op:
        batch_op.drop_column('assigned_by')
        batch_op.drop_column('assignment')
