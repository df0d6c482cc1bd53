"""tasks name their co-organising agencies (issue 11: 第三条 joint checks with other agencies)

Each co-organiser (联合检查单位): its code, name, own check items and how many of its inspectors
join each team. Frozen with the rest of an approved implementation plan. Tasks drafted before
have none ([]).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from spotcheck_common.guards import Guard, drop_statements, statements

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

GUARDS = [
    Guard(
        "tasks_co_organisers_frozen",
        "tasks",
        ("UPDATE",),
        "已批准的抽查实施方案不得修改",
        frozen=("co_organisers",),
        only_if="OLD.status IN ('approved', 'published', 'closed')",
    ),
]


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("co_organisers", sa.JSON(), server_default="[]", nullable=False)
        )
    for statement in statements(op.get_context().dialect.name, "planning", GUARDS):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_statements(op.get_context().dialect.name, GUARDS):
        op.execute(statement)
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_column("co_organisers")
