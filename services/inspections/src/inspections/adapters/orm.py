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
    sa.Column("plan_id", sa.String(36), nullable=False, server_default=""),
    sa.Column("plan_no", sa.String(50), nullable=False, server_default=""),
    sa.Column("plan_name", sa.String(200), nullable=False, server_default=""),
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
    sa.Column("plan_no", sa.String(50), nullable=False, server_default=""),
    sa.Column("plan_name", sa.String(200), nullable=False, server_default=""),
    sa.Column("visit_id", sa.String(36), nullable=False, server_default=""),
    sa.Column("visit_leader_id", sa.String(100), nullable=False, server_default=""),
    sa.Column("not_inspected_reason", sa.String(30), nullable=False, server_default=""),
    sa.Column("not_inspected_on", sa.Date),
    sa.Column("withhold_reason", sa.String(700), nullable=False, server_default=""),
    # The entity's area (区域) from the draw (DrawnTarget.area); "" for older inspections.
    sa.Column("area", sa.String(100), nullable=False, server_default=""),
    # A product's, project's or conduct's fields from the draw, and a product's samples
    # (ADR 0011); {} and [] for the others and for older inspections.
    sa.Column("details", sa.JSON, nullable=False, server_default="{}"),
    sa.Column("samples", sa.JSON, nullable=False, server_default="[]"),
    sa.UniqueConstraint("task_id", "uscc", name="uq_inspections_task_uscc"),
    sa.Index("ix_inspections_uscc", "uscc"),
    sa.Index("ix_inspections_task_status", "task_id", "status"),
    sa.Index("ix_inspections_visit", "visit_id"),
)

# Who may read an inspection from the field: its team (inspectors and experts) and its visit's
# leader, one row each, kept with every write of the inspection.
inspection_members = sa.Table(
    "inspection_members",
    metadata,
    sa.Column("inspection_id", sa.String(36), primary_key=True),
    sa.Column("member_id", sa.String(100), primary_key=True),
    sa.Index("ix_inspection_members_member", "member_id"),
)

# One visit, many checks: the inspections of one target in several tasks visited together.
visits = sa.Table(
    "visits",
    metadata,
    sa.Column("visit_id", sa.String(36), primary_key=True),
    sa.Column("uscc", sa.String(18), nullable=False),
    sa.Column("entity_name", sa.String(200), nullable=False),
    sa.Column("leader", sa.JSON, nullable=False),
    sa.Column("lead_inspection_id", sa.String(36), nullable=False),
    sa.Column("lead_task_id", sa.String(36), nullable=False),
    sa.Column("inspections", sa.JSON, nullable=False),
    sa.Column("members", sa.JSON, nullable=False),
    sa.Column("history", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Index("ix_visits_uscc", "uscc"),
)

# Attachments: content and its SHA-256 in the service's own table; never updated or deleted.
attachments = sa.Table(
    "attachments",
    metadata,
    sa.Column("attachment_id", sa.String(36), primary_key=True),
    sa.Column("inspection_id", sa.String(36), nullable=False),
    sa.Column("task_id", sa.String(36), nullable=False),
    sa.Column("uscc", sa.String(18), nullable=False),
    sa.Column("kind", sa.String(30), nullable=False),
    sa.Column("filename", sa.String(200), nullable=False),
    sa.Column("media_type", sa.String(100), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False),
    sa.Column("added_by", sa.String(100), nullable=False),
    sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_attachments_inspection", "inspection_id", "added_at"),
)

# Follow-up of findings (第十条), owned by the task's lead department.
follow_ups = sa.Table(
    "follow_ups",
    metadata,
    sa.Column("follow_up_id", sa.String(36), primary_key=True),
    sa.Column("inspection_id", sa.String(36), nullable=False, unique=True),
    sa.Column("task_id", sa.String(36), nullable=False),
    sa.Column("task_no", sa.String(50), nullable=False),
    sa.Column("uscc", sa.String(18), nullable=False),
    sa.Column("entity_name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("lead_department", sa.String(100), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("case_no", sa.String(100), nullable=False),
    sa.Column("opened_on", sa.Date, nullable=False),
    sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("suspected_crime_on", sa.Date),
    sa.Column("transfer_due_on", sa.Date),
    # The calendar versions transfer_due_on was computed with (null for older rows), or the
    # year a pending deadline waits for.
    sa.Column("transfer_due_calendar", sa.String(200)),
    sa.Column("transfer_due_pending", sa.Integer),
    sa.Column("transferred_on", sa.Date),
    sa.Column("rectified_on", sa.Date),
    sa.Column("closed_on", sa.Date),
    sa.Column("outcomes", sa.JSON, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Index("ix_follow_ups_department_status", "lead_department", "status"),
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

# A neighbour's inspections with this district's inspectors on the team (joint draws, issue
# 10): the drawing district's last state of each, and what was done here (record, sign,
# submit).
joint_inspections = sa.Table(
    "joint_inspections",
    metadata,
    sa.Column("inspection_id", sa.String(36), primary_key=True),
    sa.Column("drawing_district", sa.String(40), nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("state", sa.JSON, nullable=False),
    sa.Column("acted_here", sa.JSON, nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
)

# Who of this district is on each joint inspection's team (by own, bare id): an inspector
# lists theirs.
joint_inspection_members = sa.Table(
    "joint_inspection_members",
    metadata,
    sa.Column("inspection_id", sa.String(36), primary_key=True),
    sa.Column("member_id", sa.String(100), primary_key=True),
    sa.Index("ix_joint_inspection_members_member", "member_id"),
)

# "Counted as done" reports (第八条): each department's and the credit department's
# consolidated ones, as submitted (items, sources, both files and their SHA-256). Never updated
# or deleted: a correction is a new row naming the one it replaces (``replaces``, unique, so
# one version is corrected once).
not_inspected_reports = sa.Table(
    "not_inspected_reports",
    metadata,
    sa.Column("report_id", sa.String(36), primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("department", sa.String(100), nullable=False),
    sa.Column("period_start", sa.Date, nullable=False),
    sa.Column("period_end", sa.Date, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("replaces", sa.String(36), unique=True),
    sa.Column("correction_reason", sa.Text, nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("items", sa.JSON, nullable=False),
    sa.Column("sources", sa.JSON, nullable=False),
    sa.Column("submitted_by", sa.String(100), nullable=False),
    sa.Column("submitted_by_name", sa.String(100), nullable=False),
    sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("xlsx_sha256", sa.String(64), nullable=False),
    sa.Column("csv_sha256", sa.String(64), nullable=False),
    sa.Column("xlsx", sa.LargeBinary, nullable=False),
    sa.Column("csv", sa.LargeBinary, nullable=False),
    sa.UniqueConstraint(
        "kind",
        "department",
        "period_start",
        "period_end",
        "version",
        name="uq_not_inspected_reports_version",
    ),
    sa.Index("ix_not_inspected_reports_period", "kind", "period_start", "period_end"),
)
