"""the "counted as done" reports (第八条, issue 11)

Each department's list of the objects not inspected and counted as done in a period, and the
credit department's consolidation of them for the city bureau, as submitted: the items, the
department reports taken in, both exported files and their SHA-256. Never updated or deleted
(guards on both engines); a correction is a new row naming the one it replaces.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

from spotcheck_common.guards import Guard, drop_statements, statements

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

GUARDS = [
    Guard(
        "not_inspected_reports_final", "not_inspected_reports", ("UPDATE", "DELETE"),
        "已报送的视为完成抽查名单不得修改或删除（更正请报送新版本）",
    ),
    Guard(
        "not_inspected_reports_kept", "not_inspected_reports", ("TRUNCATE",),
        "已报送的视为完成抽查名单不得清空",
    ),
]


def upgrade() -> None:
    op.create_table(
        'not_inspected_reports',
        sa.Column('report_id', sa.String(length=36), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('department', sa.String(length=100), nullable=False),
        sa.Column('period_start', sa.Date(), nullable=False),
        sa.Column('period_end', sa.Date(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('replaces', sa.String(length=36), nullable=True),
        sa.Column('correction_reason', sa.Text(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('items', sa.JSON(), nullable=False),
        sa.Column('sources', sa.JSON(), nullable=False),
        sa.Column('submitted_by', sa.String(length=100), nullable=False),
        sa.Column('submitted_by_name', sa.String(length=100), nullable=False),
        sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('xlsx_sha256', sa.String(length=64), nullable=False),
        sa.Column('csv_sha256', sa.String(length=64), nullable=False),
        sa.Column('xlsx', sa.LargeBinary(), nullable=False),
        sa.Column('csv', sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint('report_id', name=op.f('pk_not_inspected_reports')),
        sa.UniqueConstraint('replaces', name=op.f('uq_not_inspected_reports_replaces')),
        sa.UniqueConstraint(
            'kind', 'department', 'period_start', 'period_end', 'version',
            name='uq_not_inspected_reports_version',
        ),
    )
    op.create_index(
        'ix_not_inspected_reports_period',
        'not_inspected_reports',
        ['kind', 'period_start', 'period_end'],
        unique=False,
    )
    for statement in statements(op.get_context().dialect.name, "inspections", GUARDS):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_statements(op.get_context().dialect.name, GUARDS):
        op.execute(statement)
    op.drop_index('ix_not_inspected_reports_period', table_name='not_inspected_reports')
    op.drop_table('not_inspected_reports')
