"""Publication tables (schema ``publication``).

Both tables are insert-only: a published record and each of its versions are never updated or
deleted (migration 0002 installs triggers that refuse it). A correction is a new row in
``result_versions``; which version is current (the highest) and which are superseded is derived.
"""

from __future__ import annotations

import sqlalchemy as sa

from spotcheck_common.db import BigIntPK, service_metadata

metadata = service_metadata()

result_records = sa.Table(
    "result_records",
    metadata,
    sa.Column("record_id", sa.String(36), primary_key=True),
    sa.Column("inspection_id", sa.String(64), nullable=False, unique=True),
    sa.Column("task_id", sa.String(64), nullable=False),
    sa.Column("task_no", sa.String(100), nullable=False),
    sa.Column("task_title", sa.String(300), nullable=False),
    sa.Column("plan_no", sa.String(100), nullable=False, server_default=""),
    sa.Column("plan_name", sa.String(300), nullable=False, server_default=""),
    sa.Column("check_type", sa.String(50), nullable=False, server_default=""),
    sa.Column("inspecting_authority", sa.String(200), nullable=False),
    sa.Column("uscc", sa.String(18), nullable=False),
    sa.Column("entity_name", sa.String(200), nullable=False),
    sa.Column("completed_on", sa.Date, nullable=False),
    sa.Column("publish_due_on", sa.Date),
    sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("published_by", sa.String(100), nullable=False),
    sa.Index("ix_result_records_uscc", "uscc"),
    sa.Index("ix_result_records_task_no", "task_no"),
    sa.Index("ix_result_records_task_id", "task_id"),
)

result_versions = sa.Table(
    "result_versions",
    metadata,
    sa.Column("id", BigIntPK, primary_key=True, autoincrement=True),
    sa.Column(
        "record_id", sa.String(36), sa.ForeignKey("result_records.record_id"), nullable=False
    ),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("results", sa.JSON, nullable=False),
    sa.Column("remark", sa.Text, nullable=False, server_default=""),
    # 'inspection' for version 1, else a CorrectionSource value.
    sa.Column("source", sa.String(30), nullable=False),
    sa.Column("reason", sa.Text),
    # At most one version per objection: a redelivered decision cannot add a second one.
    sa.Column("objection_id", sa.String(64), unique=True),
    sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("published_by", sa.String(100), nullable=False),
    sa.UniqueConstraint("record_id", "version", name="uq_result_versions_record_version"),
    sa.CheckConstraint("version >= 1", name="version_positive"),
)
