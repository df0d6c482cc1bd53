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
    # The task's lead department (主办科室), else the team leader's; "" for older records.
    sa.Column("lead_department", sa.String(200), nullable=False, server_default=""),
    # The calendar versions publish_due_on was computed with (null for older records), or the
    # year a pending deadline waits for.
    sa.Column("publish_due_calendar", sa.String(200)),
    sa.Column("publish_due_pending", sa.Integer),
    # The entity's area (区域) as the registry recorded it when drawn; "" for older records.
    sa.Column("area", sa.String(100), nullable=False, server_default=""),
    # A product's, project's or conduct's fields (ADR 0011), published in clear fields of their
    # own; {} for an organisation. On PostgreSQL, migration 0007 indexes
    # ``details ->> 'producer_uscc'`` (the search by a producer's code finds its products).
    sa.Column("details", sa.JSON, nullable=False, server_default=sa.text("'{}'")),
    sa.Index("ix_result_records_uscc", "uscc"),
    sa.Index("ix_result_records_task_no", "task_no"),
    sa.Index("ix_result_records_task_id", "task_id"),
    # The public search's order (newest first): a page is read from the index, not sorted.
    sa.Index("ix_result_records_published", "published_at", "record_id"),
    # The search by area, read in the same order.
    sa.Index("ix_result_records_area_published", "area", "published_at", "record_id"),
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
    # A correction: who in the credit department submitted it (第九条); None for version 1.
    sa.Column("submitted_by", sa.String(100)),
    # The city bureau's granted correction request it publishes (第九条, 0006): at most one
    # version per request, so a redelivered grant adds nothing.
    sa.Column("request_id", sa.String(36)),
    sa.Column("city_grant", sa.String(200)),
    sa.Index("uq_result_versions_request_id", "request_id", unique=True),
    sa.UniqueConstraint("record_id", "version", name="uq_result_versions_record_version"),
    sa.CheckConstraint("version >= 1", name="version_positive"),
)

# Each version's result categories, one row each (written with the version, never changed):
# the public search filters by category without reading every version's JSON.
result_version_categories = sa.Table(
    "result_version_categories",
    metadata,
    sa.Column("record_id", sa.String(36), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("category", sa.String(50), primary_key=True),
)

# Results the law keeps private (依法依规不予公开): recorded with the reason, never on /public.
withheld_results = sa.Table(
    "withheld_results",
    metadata,
    sa.Column("inspection_id", sa.String(64), primary_key=True),
    sa.Column("task_id", sa.String(64), nullable=False),
    sa.Column("task_no", sa.String(100), nullable=False),
    sa.Column("task_title", sa.String(300), nullable=False),
    sa.Column("plan_no", sa.String(100), nullable=False, server_default=""),
    sa.Column("plan_name", sa.String(300), nullable=False, server_default=""),
    sa.Column("check_type", sa.String(50), nullable=False, server_default=""),
    sa.Column("inspecting_authority", sa.String(200), nullable=False),
    sa.Column("lead_department", sa.String(200), nullable=False, server_default=""),
    sa.Column("uscc", sa.String(18), nullable=False),
    sa.Column("entity_name", sa.String(200), nullable=False),
    sa.Column("completed_on", sa.Date, nullable=False),
    sa.Column("results", sa.JSON, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("recorded_by", sa.String(100), nullable=False),
    sa.Index("ix_withheld_results_task_no", "task_no"),
)

# Annual plans (年度抽查工作计划): every published version; the highest is current.
published_plans = sa.Table(
    "published_plans",
    metadata,
    sa.Column("id", BigIntPK, primary_key=True, autoincrement=True),
    sa.Column("plan_id", sa.String(64), nullable=False),
    sa.Column("plan_version", sa.Integer, nullable=False),
    sa.Column("plan_no", sa.String(100), nullable=False),
    sa.Column("plan_name", sa.String(300), nullable=False),
    sa.Column("department", sa.String(200), nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("supersedes_version", sa.Integer),
    sa.Column("adjustment_reason", sa.Text, nullable=False, server_default=""),
    sa.Column("items", sa.JSON, nullable=False),
    sa.Column("signed_by", sa.String(100), nullable=False),
    sa.Column("consolidated_by", sa.String(100), nullable=False),
    sa.Column("approved_by", sa.String(100), nullable=False),
    sa.Column("filed_on", sa.Date, nullable=False),
    sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("plan_id", "plan_version", name="uq_published_plans_version"),
    sa.Index("ix_published_plans_year_department", "year", "department"),
)

# Implementation plans (抽查实施方案) as published; a republication replaces the row.
published_tasks = sa.Table(
    "published_tasks",
    metadata,
    sa.Column("task_id", sa.String(64), primary_key=True),
    sa.Column("task_no", sa.String(100), nullable=False),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("plan_no", sa.String(100), nullable=False, server_default=""),
    sa.Column("plan_name", sa.String(300), nullable=False, server_default=""),
    sa.Column("lead_department", sa.String(200), nullable=False),
    sa.Column("co_lead_departments", sa.JSON, nullable=False),
    sa.Column("assisting_departments", sa.JSON, nullable=False),
    sa.Column("check_items", sa.JSON, nullable=False),
    sa.Column("target_filter", sa.JSON, nullable=False),
    sa.Column("ratio_bp", sa.JSON, nullable=False),
    sa.Column("methods", sa.JSON, nullable=False),
    sa.Column("deadline", sa.Date, nullable=False),
    sa.Column("source", sa.String(20), nullable=False),
    sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_published_tasks_plan_no", "plan_no"),
    sa.Index("ix_published_tasks_task_no", "task_no"),
)

# One row: raised by every transaction that changes what the public search shows; the answers
# kept in memory are valid while it stays (migration 0008, ADR 0013).
data_version = sa.Table(
    "data_version",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.CheckConstraint("id = 1", name="ck_data_version_one_row"),
)
