"""the scan of each paper objection, append-only (issue 12)

A paper application (书面异议申请) registered by the credit department carried its date of
receipt and its recorder, not the paper itself. Its scan (PDF, JPEG or PNG) is kept with it:
the content, its SHA-256, who registered it and when; written once, never updated or deleted,
like other evidence.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

from spotcheck_common.guards import Guard, drop_statements, statements

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

GUARDS = [
    Guard(
        "objection_scans_append_only", "objection_scans", ("UPDATE", "DELETE", "TRUNCATE"),
        "书面异议申请的扫描件只能登记一次，不得修改或删除",
    ),
]


def upgrade() -> None:
    op.create_table(
        'objection_scans',
        sa.Column('objection_id', sa.String(length=36), nullable=False),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('media_type', sa.String(length=100), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.Column('recorded_by', sa.String(length=100), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('objection_id', name=op.f('pk_objection_scans')),
    )
    for statement in statements(op.get_context().dialect.name, "objections", GUARDS):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_statements(op.get_context().dialect.name, GUARDS):
        op.execute(statement)
    op.drop_table('objection_scans')
