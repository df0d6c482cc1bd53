"""each published record keeps its entity's area (区域): the public search filters by it

The area comes with the inspection (InspectionSubmitted.area, from the draw's target); records
published before have none (""). The search by area reads a page from an index in its order,
as the search without it does (0003). Like every column of a published record but its
clock, the area is never changed once published: an UPDATE OF it is refused (as 0001 refuses
the others).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


MESSAGE = "已公示的检查结果不得修改或删除，更正须发布新版本"
TRIGGER = "result_records_area_immutable"


def upgrade() -> None:
    with op.batch_alter_table('result_records', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('area', sa.String(length=100), server_default='', nullable=False)
        )
        batch_op.create_index(
            'ix_result_records_area_published', ['area', 'published_at', 'record_id'], unique=False
        )
    if op.get_context().dialect.name == "postgresql":  # the function of 0001
        op.execute(
            f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE OF area ON result_records "
            "FOR EACH ROW EXECUTE FUNCTION refuse_published_change()"
        )
    else:
        op.execute(
            f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE OF area ON result_records "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )


def downgrade() -> None:
    on = " ON result_records" if op.get_context().dialect.name == "postgresql" else ""
    op.execute(f"DROP TRIGGER IF EXISTS {TRIGGER}{on}")
    with op.batch_alter_table('result_records', schema=None) as batch_op:
        batch_op.drop_index('ix_result_records_area_published')
        batch_op.drop_column('area')
