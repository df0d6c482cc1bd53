"""the public data's version, and trigram indexes for the search by name (issue 13, ADR 0013)

``data_version`` holds one row: a number every transaction that changes what the public reads
raises (records, versions, deadlines, withheld counts, tasks, plans;
``SqlPublicationUnitOfWork.commit``). The public answers kept in memory
(``publication.service_layer.answers``) are valid while it has not moved, in every replica: a
replica reads it at most once a second, the one that wrote at once.

On PostgreSQL the search by a part of a name or task title, or the start of a code (``LIKE
'%…%'``, which no B-tree serves: a scan of every record, 6–25 ms for a year of a district's
results) reads three GIN trigram indexes (pg_trgm, a trusted extension: the database's owner may create it). Where the
extension cannot be created (a role without CREATE on the database), the migration goes on
without the indexes — the search stays correct, only slower — and says so in the log; created
later by an administrator, the next migration run does not add them: run this file's
``INDEXES`` statements by hand (docs/operations/postgres.md). SQLite (the embedded mode) has
neither.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""
import logging

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

log = logging.getLogger("spotcheck.publication.migrations")

# The search's columns: a part of the name or the task's title, the start of the code (a
# B-tree serves ``LIKE 'x%'`` only under the C collation; one branch of the OR without an
# index makes the whole search a scan).
INDEXES = {
    'ix_result_records_entity_name_trgm': 'entity_name',
    'ix_result_records_task_title_trgm': 'task_title',
    'ix_result_records_uscc_trgm': 'uscc',
}


def upgrade() -> None:
    op.create_table(
        'data_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.CheckConstraint('id = 1', name='ck_data_version_one_row'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.execute("INSERT INTO data_version (id, version) VALUES (1, 0)")
    if op.get_context().dialect.name == 'postgresql':
        _trigram_indexes()


def _trigram_indexes() -> None:
    bind = op.get_bind()
    schema = _trigram_schema(bind)
    if schema is None:
        return
    for name, column in INDEXES.items():
        op.execute(
            f'CREATE INDEX {name} ON result_records USING gin '
            f'({column} "{schema}".gin_trgm_ops)'
        )


def _trigram_schema(bind: sa.Connection) -> str | None:
    """Where pg_trgm is: installed here (in this schema) if it is nowhere yet."""
    found = bind.execute(sa.text(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'pg_trgm'"
    )).scalar()
    if found is not None:
        return str(found)
    try:
        with bind.begin_nested():  # a refusal must not abort the migration's transaction
            bind.execute(sa.text("CREATE EXTENSION pg_trgm"))
    except sa.exc.DBAPIError as exc:
        log.warning(
            "pg_trgm cannot be created (%s): the search by name works without its indexes, "
            "slower; see docs/operations/postgres.md", exc.orig
        )
        return None
    return str(bind.execute(sa.text("SELECT current_schema()")).scalar())


def downgrade() -> None:
    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    op.drop_table('data_version')
