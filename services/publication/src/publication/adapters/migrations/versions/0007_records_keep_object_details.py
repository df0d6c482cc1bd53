"""a record keeps its object's fields: products, projects, conducts (issue 11, 第一条, ADR 0011)

An inspection object is no longer only a market entity: a product, a project or a conduct has
no unified social credit code, but a registry-assigned object id (``Z…``) and fields of its own
(产品名称、商标、规格型号…), which the record keeps as it was submitted and publishes in clear
fields. Records published before are organisations' and keep ``{}``. The column is added in
place (its server default fills every existing row; no row trigger fires). Like every column of
a published record but its clock, it is never changed once published: an UPDATE OF it is
refused (as 0001 and 0005 refuse the others).

On PostgreSQL the public search by a producer's code (``details ->> 'producer_uscc'``) reads an
expression index; SQLite (the unit tests') has none.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

PRODUCER_INDEX = 'ix_result_records_producer_uscc'
MESSAGE = "已公示的检查结果不得修改或删除，更正须发布新版本"
TRIGGER = "result_records_details_immutable"


def upgrade() -> None:
    op.add_column(
        'result_records',
        sa.Column('details', sa.JSON(), server_default=sa.text("'{}'"), nullable=False),
    )
    if op.get_context().dialect.name == 'postgresql':  # the function of 0001
        op.create_index(
            PRODUCER_INDEX, 'result_records', [sa.text("(details ->> 'producer_uscc')")]
        )
        op.execute(
            f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE OF details ON result_records "
            "FOR EACH ROW EXECUTE FUNCTION refuse_published_change()"
        )
    else:
        op.execute(
            f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE OF details ON result_records "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )


def downgrade() -> None:
    postgresql = op.get_context().dialect.name == 'postgresql'
    op.execute(f"DROP TRIGGER IF EXISTS {TRIGGER}{' ON result_records' if postgresql else ''}")
    if postgresql:
        op.drop_index(PRODUCER_INDEX, table_name='result_records')
    with op.batch_alter_table('result_records', schema=None) as batch_op:
        batch_op.drop_column('details')
