"""share holders and replacement approvals (issue 12: separation of duties)

A draw's parties are distinct people: the draw records who committed each party's share, only
that person reveals it, and neither a holder nor the creator countersigns. Once recorded, a
holder never changes. A replacement rests on the deputy director's recorded approval (who,
when, why), one replacement per approval.

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
        "draws_holders_frozen", "draws", ("UPDATE",),
        "种子份额的持有人一经记录不得更改",
        frozen=("holders",),
        only_if="OLD.status <> 'frozen'",
    ),
]


def upgrade() -> None:
    with op.batch_alter_table('draws', schema=None) as batch_op:
        batch_op.add_column(sa.Column('holders', sa.JSON(), server_default='{}', nullable=False))
        batch_op.add_column(
            sa.Column('replacement_approvals', sa.JSON(), server_default='[]', nullable=False)
        )
    for statement in statements(op.get_context().dialect.name, "draws", GUARDS):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_statements(op.get_context().dialect.name, GUARDS):
        op.execute(statement)
    with op.batch_alter_table('draws', schema=None) as batch_op:
        batch_op.drop_column('replacement_approvals')
        batch_op.drop_column('holders')
