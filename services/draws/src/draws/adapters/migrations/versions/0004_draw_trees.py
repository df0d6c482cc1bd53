"""each draw's population tree, stored (issue 12: proofs in O(log n))

A public inclusion proof rebuilt the whole Merkle tree from the whole population on every
request (0.35 s at 20,000 entities, unauthenticated). The tree's levels and each chunk's first
USCC are stored with the draw when it is frozen; a proof reads one chunk and log n nodes.
Append-only, like the population.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
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
        "draw_trees_append_only", "draw_trees", ("UPDATE", "DELETE", "TRUNCATE"),
        "抽取总体的 Merkle 树只能写入一次",
    ),
]


def upgrade() -> None:
    op.create_table(
        'draw_trees',
        sa.Column('draw_id', sa.String(length=64), nullable=False),
        sa.Column('chunk_size', sa.Integer(), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('levels', sa.LargeBinary(), nullable=False),
        sa.Column('firsts', sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint('draw_id'),
    )
    for statement in statements(op.get_context().dialect.name, "draws", GUARDS):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_statements(op.get_context().dialect.name, GUARDS):
        op.execute(statement)
    op.drop_table('draw_trees')
