"""submitted inspections guarded on both engines (issue 12)

A submitted inspection record (检查结果已提交) is the basis of publication and accountability:
its results, signatures, team and dates never change and it is never deleted.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""
from alembic import op

from spotcheck_common.guards import Guard, drop_statements, statements

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

GUARDS = [
    Guard(
        "inspections_submitted_frozen", "inspections", ("UPDATE",),
        "已提交的检查记录不得修改",
        frozen=("inspection_id", "task_id", "draw_id", "uscc", "entity_name", "check_items",
                "team", "status", "results", "signatures", "recorded_by", "recorded_at",
                "submitted_by", "submitted_at", "completed_on", "not_inspected_reason",
                "not_inspected_on", "withhold_reason"),
        only_if="OLD.status = 'submitted'",
    ),
    Guard(
        "inspections_submitted_kept", "inspections", ("DELETE",),
        "已提交的检查记录不得删除", only_if="OLD.status = 'submitted'",
    ),
    Guard("inspections_kept", "inspections", ("TRUNCATE",), "检查记录不得清空"),
]


def upgrade() -> None:
    for statement in statements(op.get_context().dialect.name, "inspections", GUARDS):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_statements(op.get_context().dialect.name, GUARDS):
        op.execute(statement)
