"""each version's result categories as rows: the public search filters by category without
reading every version's JSON (issue 9); filled for the versions already published, then kept
as the versions are: written once, never changed

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""
import json

import sqlalchemy as sa
from alembic import op

from spotcheck_common.guards import Guard, drop_statements, statements

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

GUARDS = [
    Guard(
        "result_version_categories_append_only", "result_version_categories",
        ("UPDATE", "DELETE", "TRUNCATE"),
        "已公示检查结果版本的分类不得修改或删除",
    ),
]


def upgrade() -> None:
    table = op.create_table(
        'result_version_categories',
        sa.Column('record_id', sa.String(length=36), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('category', sa.String(length=50), nullable=False),
        sa.PrimaryKeyConstraint(
            'record_id', 'version', 'category', name=op.f('pk_result_version_categories')
        ),
    )
    versions = sa.table(
        'result_versions', sa.column('record_id'), sa.column('version'), sa.column('results')
    )
    rows = []
    for record_id, version, results in op.get_bind().execute(
        sa.select(versions.c.record_id, versions.c.version, versions.c.results)
    ):
        items = json.loads(results) if isinstance(results, str) else results
        for category in sorted({item["category"] for item in items}):
            rows.append({"record_id": record_id, "version": version, "category": category})
    if rows:
        op.bulk_insert(table, rows)
    for statement in statements(op.get_context().dialect.name, "publication", GUARDS):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_statements(op.get_context().dialect.name, GUARDS):
        op.execute(statement)
    op.drop_table('result_version_categories')
