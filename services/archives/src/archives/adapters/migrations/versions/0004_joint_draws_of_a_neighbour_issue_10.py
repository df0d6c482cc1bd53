"""joint draws of a neighbour (issue 10)

A neighbour's draw that names this district's credit department as a party is filed here too,
as a dossier of the neighbour's task: ``joint_draws`` marks such draws (insert-only, guarded
like the dossier entries), ``dossiers.drawing_district`` says whose task a dossier is.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 22:49:50.462583
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

POSTGRES_GUARDS = [
    """
    CREATE TRIGGER joint_draws_append_only
    BEFORE UPDATE OR DELETE ON joint_draws
    FOR EACH ROW EXECUTE FUNCTION archives_refuse_change()
    """,
    """
    CREATE TRIGGER joint_draws_no_truncate
    BEFORE TRUNCATE ON joint_draws
    FOR EACH STATEMENT EXECUTE FUNCTION archives_refuse_change()
    """,
]

SQLITE_GUARDS = [
    """
    CREATE TRIGGER joint_draws_no_update BEFORE UPDATE ON joint_draws
    BEGIN SELECT RAISE(ABORT, '档案长期保存，只能追加：拒绝修改联合抽取记录'); END
    """,
    """
    CREATE TRIGGER joint_draws_no_delete BEFORE DELETE ON joint_draws
    BEGIN SELECT RAISE(ABORT, '档案长期保存，只能追加：拒绝删除联合抽取记录'); END
    """,
]


def upgrade() -> None:
    op.create_table('joint_draws',
    sa.Column('drawing_district', sa.String(length=50), nullable=False),
    sa.Column('draw_id', sa.String(length=100), nullable=False),
    sa.Column('task_id', sa.String(length=100), nullable=False),
    sa.Column('task_no', sa.String(length=100), nullable=True),
    sa.Column('manifest_event_id', sa.String(length=36), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('drawing_district', 'draw_id', name=op.f('pk_joint_draws'))
    )
    op.create_index('ix_joint_draws_task', 'joint_draws', ['task_id'], unique=False)
    # A plain ADD COLUMN (no batch copy): the dossiers' triggers stay as they are.
    op.add_column('dossiers', sa.Column('drawing_district', sa.String(length=50), nullable=True))
    guards = POSTGRES_GUARDS if op.get_context().dialect.name == "postgresql" else SQLITE_GUARDS
    for statement in guards:
        op.execute(statement)


def downgrade() -> None:
    raise RuntimeError("档案长期保存：不提供降级（downgrade）")
