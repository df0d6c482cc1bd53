"""the read model keeps a record's object fields: a product's producer objects (issue 11, ADR 0011)

A result may concern a product, a project or a conduct (第一条): its object id is a
registry-assigned ``Z…`` code, no one's credit code. Its fields come with ResultPublished
(``details``); the producer's code among them says who may object online to a product's result.
Records kept before are organisations' (``{}``).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        'published_records',
        sa.Column('details', sa.JSON(), server_default=sa.text("'{}'"), nullable=False),
    )


def downgrade() -> None:
    with op.batch_alter_table('published_records', schema=None) as batch_op:
        batch_op.drop_column('details')
