"""the dossier chain guarded on SQLite as on PostgreSQL (issue 12)

PostgreSQL refused an entry that does not follow its dossier's head (wrong sequence number or
previous hash) and a head that moves without its entry; SQLite (embedded mode) only refused
updates and deletes, so a forged entry could be inserted. Same rules, both engines.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

SQLITE_GUARDS = [
    """
    CREATE TRIGGER dossier_entries_link_head BEFORE INSERT ON dossier_entries
    WHEN NOT EXISTS (
        SELECT 1 FROM dossiers d
        WHERE d.task_id = NEW.task_id AND NEW.seq = d.entry_count + 1
          AND NEW.prev_hash = d.head_hash
    )
    BEGIN SELECT RAISE(ABORT, '档案条目必须接在链头之后（序号和前一条的哈希）'); END
    """,
    "DROP TRIGGER dossiers_head_forward",
    """
    CREATE TRIGGER dossiers_head_forward BEFORE UPDATE ON dossiers
    WHEN NEW.task_id <> OLD.task_id OR NEW.opened_at IS NOT OLD.opened_at
      OR NEW.entry_count <> OLD.entry_count + 1
      OR NOT EXISTS (
          SELECT 1 FROM dossier_entries e
          WHERE e.task_id = NEW.task_id AND e.seq = NEW.entry_count
            AND e.entry_hash = NEW.head_hash AND e.prev_hash = OLD.head_hash
      )
    BEGIN SELECT RAISE(ABORT, '档案链头只能随新追加的条目前进'); END
    """,
]


def upgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        for statement in SQLITE_GUARDS:
            op.execute(statement)


def downgrade() -> None:
    raise RuntimeError("档案长期保存：不提供降级（downgrade）")
