"""final draws guarded on both engines (issue 12)

A draw is public evidence (spotcheck-draw): its manifest and roster never change once frozen,
its result never changes once drawn, a countersigned or cancelled draw never changes state,
no draw is deleted, and its population and recusal salts are append-only. Until now only the
code kept these rules; on SQLite an UPDATE went through.

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
        "draws_manifest_frozen", "draws", ("UPDATE",),
        "抽取清单（manifest）和名录冻结后不得修改",
        frozen=("draw_id", "task_id", "manifest", "manifest_sha256", "roster", "expert_roster",
                "created_by", "created_at"),
    ),
    Guard(
        "draws_result_frozen", "draws", ("UPDATE",),
        "抽取结果产生后，承诺、揭示、种子和结果不得修改",
        frozen=("commitments", "reveals", "beacon_value", "seed_hex", "result", "result_sha256"),
        only_if="OLD.result_sha256 IS NOT NULL",
    ),
    Guard(
        "draws_closed_frozen", "draws", ("UPDATE",),
        "已会签或已取消的抽取不得改变状态、会签或取消理由",
        frozen=("status", "countersign", "cancel_reason"),
        only_if="OLD.status IN ('completed', 'cancelled')",
    ),
    Guard("draws_kept", "draws", ("DELETE", "TRUNCATE"), "抽取记录不得删除（已取消的也保留）"),
    Guard(
        "draw_populations_append_only", "draw_populations", ("UPDATE", "DELETE", "TRUNCATE"),
        "抽取总体只能写入一次",
    ),
    Guard(
        "draw_recusals_append_only", "draw_recusals", ("UPDATE", "DELETE", "TRUNCATE"),
        "回避盐值只能写入一次",
    ),
]


def upgrade() -> None:
    for statement in statements(op.get_context().dialect.name, "draws", GUARDS):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_statements(op.get_context().dialect.name, GUARDS):
        op.execute(statement)
