"""party keys and the draw log (issue 12: spotcheck-draw/3)

Each person who commits, reveals or countersigns registers an Ed25519 key; every key, every
revocation and every step of every draw is a record of the district's hash-chained draw log.
Keys, revocations and the log are append-only; an aborted draw is as closed as a cancelled one.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

from spotcheck_common.guards import Guard, drop_statements, statements

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

GUARDS = [
    Guard(
        "draws_aborted_frozen", "draws", ("UPDATE",),
        "已中止的抽取不得改变状态或理由",
        frozen=("status", "countersign", "cancel_reason"),
        only_if="OLD.status = 'aborted'",
    ),
    Guard("draw_keys_append_only", "draw_keys", ("UPDATE", "DELETE", "TRUNCATE"),
          "参与方密钥登记后不得修改或删除（轮换须登记新密钥并吊销旧密钥）"),
    Guard("draw_key_revocations_append_only", "draw_key_revocations",
          ("UPDATE", "DELETE", "TRUNCATE"), "密钥吊销记录不得修改或删除"),
    Guard("draw_log_append_only", "draw_log", ("UPDATE", "DELETE", "TRUNCATE"),
          "抽取日志只能追加"),
]


def upgrade() -> None:
    op.create_table(
        'draw_keys',
        sa.Column('key_id', sa.String(length=32), nullable=False),
        sa.Column('district', sa.String(length=40), nullable=False),
        sa.Column('party', sa.String(length=100), nullable=False),
        sa.Column('holder', sa.String(length=100), nullable=False),
        sa.Column('public_key', sa.String(length=64), nullable=False),
        sa.Column('valid_from', sa.String(length=10), nullable=False),
        sa.Column('valid_until', sa.String(length=10), nullable=False),
        sa.Column('signature', sa.String(length=128), nullable=False),
        sa.Column('registered_seq', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('key_id'),
        sa.UniqueConstraint('public_key'),
    )
    op.create_table(
        'draw_key_revocations',
        sa.Column('key_id', sa.String(length=32), nullable=False),
        sa.Column('seq', sa.BigInteger(), nullable=False),
        sa.Column('revoked_by', sa.String(length=100), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key_id'),
    )
    op.create_table(
        'draw_log',
        sa.Column('district', sa.String(length=40), nullable=False),
        sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('draw_id', sa.String(length=64), nullable=True),
        sa.Column('key_id', sa.String(length=32), nullable=True),
        sa.Column('record', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('district', 'seq'),
    )
    op.create_index('ix_draw_log_draw', 'draw_log', ['draw_id'], unique=False)
    for statement in statements(op.get_context().dialect.name, "draws", GUARDS):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_statements(op.get_context().dialect.name, GUARDS):
        op.execute(statement)
    op.drop_index('ix_draw_log_draw', table_name='draw_log')
    op.drop_table('draw_log')
    op.drop_table('draw_key_revocations')
    op.drop_table('draw_keys')
