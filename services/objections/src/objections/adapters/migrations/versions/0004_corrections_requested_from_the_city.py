"""corrections requested from the city bureau, and its replies (issue 11, 第九条)

The credit department no longer publishes a correction itself: it requests it of the city
bureau by a document (number and date), and records the city's reply (granted or refused, its
document number and date, a scan of the document if the bureau has one). An objection keeps
its request, the reply's date and whether the request stopped its correction clock.

A request is never deleted, and is final once the city replied; a reply's scan is written once.
An objection whose correction was submitted before (``correction_submitted_by`` set, no city
request) and not yet published is requested from the city like any other.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

from spotcheck_common.guards import Guard, drop_statements, statements

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

GUARDS = [
    Guard(
        "correction_reply_documents_append_only", "correction_reply_documents",
        ("UPDATE", "DELETE", "TRUNCATE"), "市局批复的扫描件只能登记一次，不得修改或删除",
    ),
    Guard(
        "correction_requests_kept", "correction_requests", ("DELETE", "TRUNCATE"),
        "报请市局更正的记录不得删除",
    ),
    Guard(
        "correction_requests_replied_final", "correction_requests", ("UPDATE",),
        "市局已批复的报请不得修改", only_if="OLD.status <> 'requested'",
    ),
]


def upgrade() -> None:
    with op.batch_alter_table('objections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('city_request_id', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('city_requested_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('city_replied_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('city_granted', sa.Boolean(), nullable=True))
        batch_op.add_column(
            sa.Column(
                'correction_suspended', sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
    op.create_table(
        'correction_requests',
        sa.Column('request_id', sa.String(length=36), nullable=False),
        sa.Column('record_id', sa.String(length=36), nullable=False),
        sa.Column('task_id', sa.String(length=64), nullable=False),
        sa.Column('uscc', sa.String(length=18), nullable=False),
        sa.Column('objection_id', sa.String(length=36), nullable=True),
        sa.Column('source', sa.String(length=30), nullable=False),
        sa.Column('corrected_results', sa.JSON(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('request_no', sa.String(length=100), nullable=False),
        sa.Column('requested_on', sa.Date(), nullable=False),
        sa.Column('requested_by', sa.String(length=100), nullable=False),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('record_version', sa.Integer(), nullable=False),
        sa.Column('note', sa.Text(), server_default='', nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('reply_no', sa.String(length=100), nullable=True),
        sa.Column('replied_on', sa.Date(), nullable=True),
        sa.Column('reply_reason', sa.Text(), nullable=True),
        sa.Column('reply_recorded_by', sa.String(length=100), nullable=True),
        sa.Column('reply_recorded_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('request_id', name=op.f('pk_correction_requests')),
        sa.UniqueConstraint('objection_id', name=op.f('uq_correction_requests_objection_id')),
    )
    with op.batch_alter_table('correction_requests', schema=None) as batch_op:
        batch_op.create_index('ix_correction_requests_record_id', ['record_id'], unique=False)
        batch_op.create_index(
            'uq_correction_requests_open_record',
            ['record_id'],
            unique=True,
            postgresql_where=sa.text("status = 'requested'"),
            sqlite_where=sa.text("status = 'requested'"),
        )
    op.create_table(
        'correction_reply_documents',
        sa.Column('request_id', sa.String(length=36), nullable=False),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('media_type', sa.String(length=100), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.Column('recorded_by', sa.String(length=100), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('request_id', name=op.f('pk_correction_reply_documents')),
    )
    for statement in statements(op.get_context().dialect.name, "objections", GUARDS):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_statements(op.get_context().dialect.name, GUARDS):
        op.execute(statement)
    op.drop_table('correction_reply_documents')
    with op.batch_alter_table('correction_requests', schema=None) as batch_op:
        batch_op.drop_index('uq_correction_requests_open_record')
        batch_op.drop_index('ix_correction_requests_record_id')
    op.drop_table('correction_requests')
    with op.batch_alter_table('objections', schema=None) as batch_op:
        batch_op.drop_column('correction_suspended')
        batch_op.drop_column('city_granted')
        batch_op.drop_column('city_replied_on')
        batch_op.drop_column('city_requested_on')
        batch_op.drop_column('city_request_id')
