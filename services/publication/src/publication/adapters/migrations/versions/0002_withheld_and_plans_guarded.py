"""withheld results and published plans guarded on both engines (issue 12)

A result withheld from publication (依法不予公示) is recorded once with its reason; an annual
plan's published version is kept as published (a change is a new version); a published
implementation plan is replaced by its republication, never deleted.

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
        "withheld_results_append_only", "withheld_results", ("UPDATE", "DELETE", "TRUNCATE"),
        "不予公示的检查结果及其理由只能记录一次，不得修改或删除",
    ),
    Guard(
        "published_plans_append_only", "published_plans", ("UPDATE", "DELETE", "TRUNCATE"),
        "已公示的年度抽查计划版本不得修改或删除，调整须公示新版本",
    ),
    Guard(
        "published_tasks_kept", "published_tasks", ("DELETE", "TRUNCATE"),
        "已公示的抽查实施方案不得删除",
    ),
]


def upgrade() -> None:
    for statement in statements(op.get_context().dialect.name, "publication", GUARDS):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_statements(op.get_context().dialect.name, GUARDS):
        op.execute(statement)
