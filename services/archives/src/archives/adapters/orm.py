"""Archives tables (schema ``archives``).

``dossier_entries`` is append-only: the code has no update or delete path, and the migration
installs triggers (PostgreSQL and SQLite) that refuse UPDATE, DELETE and TRUNCATE of entries and
DELETE of dossiers. A dossier row holds its chain's head; appends lock it (``FOR UPDATE``), so
concurrent appends to one dossier serialise and never fork the chain.
"""

from __future__ import annotations

import sqlalchemy as sa

from spotcheck_common.db import BigIntPK, service_metadata

metadata = service_metadata()

dossiers = sa.Table(
    "dossiers",
    metadata,
    sa.Column("task_id", sa.String(100), primary_key=True),
    sa.Column("task_no", sa.String(100)),
    sa.Column("title", sa.String(300)),
    sa.Column("entry_count", sa.Integer, nullable=False),
    sa.Column("head_hash", sa.String(64), nullable=False),
    sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_event_type", sa.String(100)),
    sa.Index("ix_dossiers_last_activity", "last_activity_at"),
)

dossier_entries = sa.Table(
    "dossier_entries",
    metadata,
    sa.Column("id", BigIntPK, primary_key=True, autoincrement=True),
    sa.Column("task_id", sa.String(100), sa.ForeignKey("dossiers.task_id"), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    # The canonical JSON of the entry's document (for kind 'event': the whole envelope),
    # exactly the bytes the entry hash covers.
    sa.Column("document", sa.Text, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("entry_hash", sa.String(64), nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    # Copies from the document for lookups; verification reads the document, not these.
    sa.Column("event_id", sa.String(36)),
    sa.Column("event_type", sa.String(100)),
    sa.UniqueConstraint("task_id", "seq", name="uq_dossier_entries_task_seq"),
    sa.UniqueConstraint("event_id", name="uq_dossier_entries_event_id"),
)
