"""Planning tables (schema ``planning``)."""

from __future__ import annotations

import sqlalchemy as sa

from spotcheck_common.db import BigIntPK, service_metadata

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
    # The annual plan (empty for an ad-hoc task, 第五条 临时抽查).
    sa.Column("plan_id", sa.String(36), nullable=False, server_default=""),
    sa.Column("plan_no", sa.String(50), nullable=False, server_default=""),
    sa.Column("plan_name", sa.String(200), nullable=False, server_default=""),
    # Experts per target from the expert pool, and their fields (empty: any field).
    sa.Column("experts_per_target", sa.Integer, nullable=False, server_default="0"),
    sa.Column("expert_fields", sa.JSON, nullable=False, server_default="[]"),
    # Co-organising agencies (联合检查单位, 第三条), each with its items and per-team count.
    sa.Column("co_organisers", sa.JSON, nullable=False, server_default="[]"),
    # Sent down by the city or the province (第七条).
    sa.Column("issuing_authority", sa.String(200), nullable=False, server_default=""),
    sa.Column("document_no", sa.String(100), nullable=False, server_default=""),
    sa.Column("received_by", sa.String(100)),
    sa.Column("received_at", sa.DateTime(timezone=True)),
    sa.Column("published_by", sa.String(100)),
    sa.Column("published_at", sa.DateTime(timezone=True)),
    sa.UniqueConstraint("district", "task_no", name="uq_tasks_district_task_no"),
    sa.Index("ix_tasks_status", "district", "status"),
)

# One row per version of a department's annual plan (年度抽查工作计划); versions are kept.
annual_plans = sa.Table(
    "annual_plans",
    metadata,
    sa.Column("plan_id", sa.String(36), primary_key=True),
    sa.Column("plan_version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("district", sa.String(40), nullable=False),
    sa.Column("plan_no", sa.String(50), nullable=False),
    sa.Column("plan_name", sa.String(200), nullable=False),
    sa.Column("department", sa.String(100), nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("items", sa.JSON, nullable=False),
    sa.Column("supersedes_version", sa.Integer),
    sa.Column("adjustment_reason", sa.Text, nullable=False),
    sa.Column("steps", sa.JSON, nullable=False),
    sa.Column("filed_on", sa.Date),
    sa.Column("filing_ref", sa.String(200), nullable=False),
    sa.Column("rejection_reason", sa.Text, nullable=False),
    sa.Column("created_by", sa.String(100), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("row_version", sa.Integer, nullable=False),
    sa.UniqueConstraint("district", "plan_no", "plan_version", name="uq_annual_plans_no"),
    sa.Index("ix_annual_plans_year", "district", "year"),
)

# Every step of every version: who, when, why (全程留痕).
plan_transitions = sa.Table(
    "plan_transitions",
    metadata,
    sa.Column("id", BigIntPK, primary_key=True, autoincrement=True),
    sa.Column("plan_id", sa.String(36), nullable=False),
    sa.Column("plan_version", sa.Integer, nullable=False),
    sa.Column("action", sa.String(20), nullable=False),
    sa.Column("from_status", sa.String(20), nullable=False),
    sa.Column("to_status", sa.String(20), nullable=False),
    sa.Column("actor", sa.String(100), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("details", sa.JSON, nullable=False),
    sa.Index("ix_plan_transitions_plan", "plan_id"),
)

# Read model of registry's item list (CheckItemListPublished), for the coverage check.
check_item_lists = sa.Table(
    "check_item_lists",
    metadata,
    sa.Column("district", sa.String(40), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("list_id", sa.String(100), nullable=False),
    sa.Column("effective_from", sa.Date, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("items", sa.JSON, nullable=False),
)
