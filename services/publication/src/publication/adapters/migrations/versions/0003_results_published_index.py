"""the public search reads a page of results from an index in its order (issue 9)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('result_records', schema=None) as batch_op:
        batch_op.create_index(
            'ix_result_records_published', ['published_at', 'record_id'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('result_records', schema=None) as batch_op:
        batch_op.drop_index('ix_result_records_published')
