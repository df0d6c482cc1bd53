"""exemptions from accountability (issue 11, 第十三条)

Proposals to exempt a failure, the director's meeting's decisions on them, and the evidence
uploaded for them: insert-only, guarded like the dossier entries (each proposal and decision is
an ``exemption`` entry of the task's dossier besides).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

TABLES = ("exemption_evidence", "exemption_proposals", "exemption_decisions")


def _postgres_guards(table: str) -> list[str]:
    return [
        f"""
        CREATE TRIGGER {table}_append_only
        BEFORE UPDATE OR DELETE ON {table}
        FOR EACH ROW EXECUTE FUNCTION archives_refuse_change()
        """,
        f"""
        CREATE TRIGGER {table}_no_truncate
        BEFORE TRUNCATE ON {table}
        FOR EACH STATEMENT EXECUTE FUNCTION archives_refuse_change()
        """,
    ]


def _sqlite_guards(table: str) -> list[str]:
    return [
        f"""
        CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
        BEGIN SELECT RAISE(ABORT, '档案长期保存，只能追加：拒绝修改免责记录'); END
        """,
        f"""
        CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
        BEGIN SELECT RAISE(ABORT, '档案长期保存，只能追加：拒绝删除免责记录'); END
        """,
    ]


def upgrade() -> None:
    op.create_table('exemption_evidence',
    sa.Column('evidence_id', sa.String(length=36), nullable=False),
    sa.Column('task_id', sa.String(length=100), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('media_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('added_by', sa.String(length=100), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('evidence_id', name=op.f('pk_exemption_evidence'))
    )
    op.create_index('ix_exemption_evidence_task', 'exemption_evidence', ['task_id'], unique=False)
    op.create_table('exemption_proposals',
    sa.Column('exemption_id', sa.String(length=36), nullable=False),
    sa.Column('item_id', sa.String(length=300), nullable=False),
    sa.Column('task_id', sa.String(length=100), nullable=False),
    sa.Column('department', sa.String(length=100), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('entry_hash', sa.String(length=64), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['dossiers.task_id'], name=op.f('fk_exemption_proposals_task_id_dossiers')),
    sa.PrimaryKeyConstraint('exemption_id', name=op.f('pk_exemption_proposals'))
    )
    op.create_index('ix_exemption_proposals_item', 'exemption_proposals', ['item_id'], unique=False)
    op.create_index('ix_exemption_proposals_task', 'exemption_proposals', ['task_id'], unique=False)
    op.create_table('exemption_decisions',
    sa.Column('exemption_id', sa.String(length=36), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['exemption_id'], ['exemption_proposals.exemption_id'], name=op.f('fk_exemption_decisions_exemption_id_exemption_proposals')),
    sa.PrimaryKeyConstraint('exemption_id', name=op.f('pk_exemption_decisions'))
    )
    postgres = op.get_context().dialect.name == "postgresql"
    for table in TABLES:
        for statement in _postgres_guards(table) if postgres else _sqlite_guards(table):
            op.execute(statement)


def downgrade() -> None:
    raise RuntimeError("档案长期保存：不提供降级（downgrade）")
