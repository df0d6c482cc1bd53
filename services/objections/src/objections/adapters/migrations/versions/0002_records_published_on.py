"""the day each result was first published (issue 12)

An objection can never be received before the result it objects to was published: the read
model keeps the day of the first publication (China) to check it.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('published_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('published_on', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('published_records', schema=None) as batch_op:
        batch_op.drop_column('published_on')
