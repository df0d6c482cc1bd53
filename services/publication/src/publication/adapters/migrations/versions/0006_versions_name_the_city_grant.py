"""a corrected version names the city bureau's granted request it publishes (issue 11, 第九条)

A published result is corrected only on the city bureau's grant of the credit department's
request (objections.correction-granted); the version keeps the request's id, at most one
version per request, so a redelivered grant adds nothing (as ``objection_id`` does for an
objection), and the grant's document (number and date) the public remark and the export name.
Versions published before have neither. Like every column of a version, it is
never changed once written (the triggers of 0001 refuse any UPDATE of a version).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


# Added in place (no batch copy of the table on SQLite, which would drop its triggers).
def upgrade() -> None:
    op.add_column('result_versions', sa.Column('request_id', sa.String(length=36), nullable=True))
    op.add_column('result_versions', sa.Column('city_grant', sa.String(length=200), nullable=True))
    op.create_index(
        'uq_result_versions_request_id', 'result_versions', ['request_id'], unique=True
    )


def downgrade() -> None:
    op.drop_index('uq_result_versions_request_id', table_name='result_versions')
    with op.batch_alter_table('result_versions', schema=None) as batch_op:
        batch_op.drop_column('city_grant')
        batch_op.drop_column('request_id')
