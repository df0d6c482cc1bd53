"""Planning tables (schema ``planning``)."""

from __future__ import annotations

import sqlalchemy as sa

from spotcheck_common.db import service_metadata

metadata = service_metadata()

tasks = sa.Table(
    "tasks",
    metadata,
    sa.Column("task_id", sa.String(36), primary_key=True),
    sa.Column("district", sa.String(40), nullable=False),
    sa.Column("task_no", sa.String(50), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("lead_department", sa.String(100), nullable=False),
    sa.Column("co_lead_departments", sa.JSON, nullable=False),
    sa.Column("assisting_departments", sa.JSON, nullable=False),
    sa.Column("check_items", sa.JSON, nullable=False),
    sa.Column("target_filter", sa.JSON, nullable=False),
    sa.Column("ratio_bp", sa.JSON, nullable=False),
    sa.Column("inspector_departments", sa.JSON, nullable=False),
    sa.Column("team_size", sa.Integer, nullable=False),
    sa.Column("methods", sa.JSON, nullable=False),
    sa.Column("deadline", sa.Date, nullable=False),
    sa.Column("source", sa.String(20), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("created_by", sa.String(100), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("approved_by", sa.String(100)),
    sa.Column("approved_at", sa.DateTime(timezone=True)),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    # Optimistic concurrency: an update names the version it read.
    sa.Column("version", sa.Integer, nullable=False),
    sa.UniqueConstraint("district", "task_no", name="uq_tasks_district_task_no"),
    sa.Index("ix_tasks_status", "district", "status"),
)
