"""Inspections tables (schema ``inspections``)."""

from __future__ import annotations

import sqlalchemy as sa

from spotcheck_common.db import BigIntPK, service_metadata

metadata = service_metadata()

# Read model of approved tasks, fed by planning's TaskApproved (no reads of planning's tables).
tasks = sa.Table(
    "tasks",
    metadata,
    sa.Column("task_id", sa.String(36), primary_key=True),
    sa.Column("task_no", sa.String(50), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("lead_department", sa.String(100), nullable=False),
    sa.Column("check_items", sa.JSON, nullable=False),
    sa.Column("deadline", sa.Date, nullable=False),
    sa.Column("check_type", sa.String(20), nullable=False, server_default=""),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

inspections = sa.Table(
    "inspections",
    metadata,
    sa.Column("inspection_id", sa.String(36), primary_key=True),
    sa.Column("task_id", sa.String(36), nullable=False),
    sa.Column("task_no", sa.String(50), nullable=False),
    sa.Column("task_title", sa.String(200), nullable=False),
    sa.Column("draw_id", sa.String(64), nullable=False),
    sa.Column("uscc", sa.String(18), nullable=False),
    sa.Column("entity_name", sa.String(200), nullable=False),
    sa.Column("risk_class", sa.String(1), nullable=False),
    sa.Column("inspecting_authority", sa.String(100), nullable=False),
    sa.Column("check_items", sa.JSON, nullable=False),
    sa.Column("deadline", sa.Date, nullable=False),
    sa.Column("check_type", sa.String(20), nullable=False, server_default=""),
    sa.Column("team", sa.JSON, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("results", sa.JSON, nullable=False),
    sa.Column("signatures", sa.JSON, nullable=False),
    sa.Column("recorded_by", sa.String(100)),
    sa.Column("recorded_at", sa.DateTime(timezone=True)),
    sa.Column("submitted_by", sa.String(100)),
    sa.Column("submitted_at", sa.DateTime(timezone=True)),
    sa.Column("completed_on", sa.Date),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    # Optimistic concurrency: an update names the version it read.
    sa.Column("version", sa.Integer, nullable=False),
    sa.UniqueConstraint("task_id", "uscc", name="uq_inspections_task_uscc"),
    sa.Index("ix_inspections_uscc", "uscc"),
    sa.Index("ix_inspections_task_status", "task_id", "status"),
)

# Every step of every inspection, append-only (全程留痕、责任可溯).
inspection_log = sa.Table(
    "inspection_log",
    metadata,
    sa.Column("id", BigIntPK, primary_key=True, autoincrement=True),
    sa.Column("inspection_id", sa.String(36), nullable=False),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("actor", sa.String(100), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("detail", sa.JSON, nullable=False),
    sa.Index("ix_inspection_log_inspection", "inspection_id", "id"),
)
