"""approved tasks and published plans guarded on both engines (issue 12)

An implementation plan (抽查实施方案) approved by the deputy director is no longer edited: its
content is frozen, its state only moves forward (approved → published → closed), and it is
never deleted. A published annual plan version is kept as published (an adjustment is a new
version; the old one only becomes superseded), and every step of a plan is kept.

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

TASK_CONTENT = (
    "task_id", "district", "task_no", "title", "lead_department", "co_lead_departments",
    "assisting_departments", "check_items", "target_filter", "ratio_bp", "inspector_departments",
    "team_size", "methods", "deadline", "source", "created_by", "created_at", "approved_by",
    "approved_at", "plan_id", "plan_no", "plan_name", "experts_per_target", "expert_fields",
    "issuing_authority", "document_no", "received_by", "received_at",
)
PLAN_CONTENT = (
    "plan_id", "plan_version", "district", "plan_no", "plan_name", "department", "year", "items",
    "supersedes_version", "adjustment_reason", "filed_on", "filing_ref", "created_by",
    "created_at",
)
GUARDS = [
    Guard(
        "tasks_approved_frozen", "tasks", ("UPDATE",), "已批准的抽查实施方案不得修改",
        frozen=TASK_CONTENT, only_if="OLD.status IN ('approved', 'published', 'closed')",
    ),
    Guard(
        "tasks_published_forward", "tasks", ("UPDATE",),
        "已公示的抽查实施方案只能结束，公示记录不得修改",
        frozen=("published_by", "published_at"),
        only_if="OLD.status IN ('published', 'closed')",
    ),
    Guard(
        "tasks_published_state", "tasks", ("UPDATE",), "已公示的抽查实施方案不能退回",
        only_if="OLD.status IN ('published', 'closed') AND NEW.status NOT IN ('published', 'closed')",
    ),
    Guard(
        "tasks_closed_state", "tasks", ("UPDATE",), "已结束的抽查任务不能重新打开",
        only_if="OLD.status = 'closed' AND NEW.status <> 'closed'",
    ),
    Guard(
        "tasks_approved_kept", "tasks", ("DELETE",), "已批准的抽查实施方案不得删除",
        only_if="OLD.status <> 'draft'",
    ),
    Guard(
        "annual_plans_published_frozen", "annual_plans", ("UPDATE",),
        "已公示的年度抽查计划版本不得修改，调整须形成新版本",
        frozen=PLAN_CONTENT, only_if="OLD.status IN ('published', 'superseded')",
    ),
    Guard(
        "annual_plans_published_state", "annual_plans", ("UPDATE",),
        "已公示的年度抽查计划版本只能被新版本替代",
        only_if="(OLD.status = 'published' AND NEW.status NOT IN ('published', 'superseded'))"
        " OR (OLD.status = 'superseded' AND NEW.status <> 'superseded')",
    ),
    Guard(
        "annual_plans_published_kept", "annual_plans", ("DELETE",),
        "已公示的年度抽查计划版本不得删除",
        only_if="OLD.status IN ('published', 'superseded')",
    ),
    Guard(
        "plan_transitions_append_only", "plan_transitions", ("UPDATE", "DELETE", "TRUNCATE"),
        "年度抽查计划的每一步都须留痕，不得修改或删除",
    ),
    Guard("planning_kept", "tasks", ("TRUNCATE",), "抽查实施方案不得清空"),
]


def upgrade() -> None:
    for statement in statements(op.get_context().dialect.name, "planning", GUARDS):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_statements(op.get_context().dialect.name, GUARDS):
        op.execute(statement)
