"""Objections tables (schema ``objections``): its read model of published records, the
objections with their review, decision, feedback and correction deadlines, the scans of
paper applications, and the corrections requested from the city bureau with its replies."""

from __future__ import annotations

import sqlalchemy as sa

from spotcheck_common.db import service_metadata

metadata = service_metadata()

# Kept from publication's ResultPublished / ResultCorrected events (never read across schemas).
published_records = sa.Table(
    "published_records",
    metadata,
    sa.Column("record_id", sa.String(36), primary_key=True),
    sa.Column("task_id", sa.String(64), nullable=False),
    sa.Column("task_no", sa.String(100), nullable=False, server_default=""),
    sa.Column("task_title", sa.String(300), nullable=False, server_default=""),
    sa.Column("uscc", sa.String(18), nullable=False),
    sa.Column("entity_name", sa.String(200), nullable=False, server_default=""),
    sa.Column("current_version", sa.Integer, nullable=False),
    sa.Column("results", sa.JSON, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    # The task's lead department (from ResultPublished), who reviews objections.
    sa.Column("lead_department", sa.String(200), nullable=False, server_default=""),
    # The day the result was first published (China).
    sa.Column("published_on", sa.Date),
    # A product's, project's or conduct's fields (ADR 0011): a product's producer objects.
    sa.Column("details", sa.JSON, nullable=False, server_default=sa.text("'{}'")),
)

objections = sa.Table(
    "objections",
    metadata,
    sa.Column("objection_id", sa.String(36), primary_key=True),
    sa.Column("record_id", sa.String(36), nullable=False),
    sa.Column("record_version", sa.Integer, nullable=False),
    sa.Column("task_id", sa.String(64), nullable=False),
    sa.Column("uscc", sa.String(18), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("received_on", sa.Date, nullable=False),
    # Null while pending: the year it reaches has no holiday schedule yet.
    sa.Column("review_due_on", sa.Date),
    sa.Column("filed_by", sa.String(100), nullable=False),
    sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
    # pending | upheld | corrected
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("decision_reason", sa.Text),
    sa.Column("reviewer", sa.String(100)),
    sa.Column("decided_on", sa.Date),
    sa.Column("decided_at", sa.DateTime(timezone=True)),
    sa.Column("corrected_results", sa.JSON),
    sa.Column("feedback_due_on", sa.Date),
    sa.Column("correction_due_on", sa.Date),
    sa.Column("feedback_given_on", sa.Date),
    sa.Column("feedback_note", sa.Text),
    sa.Column("feedback_by", sa.String(100)),
    sa.Column("correction_published_on", sa.Date),
    sa.Column("correction_version", sa.Integer),
    # The reviewing department: assigned at filing (the task's lead department) and, if the
    # record did not name one, the reviewer's department at the decision (第十一条).
    sa.Column("review_department", sa.String(200), nullable=False, server_default=""),
    # A confirmed error goes through the credit department (第九条): who submitted it, when.
    sa.Column("correction_submitted_by", sa.String(100)),
    sa.Column("correction_submitted_on", sa.Date),
    sa.Column("correction_submitted_at", sa.DateTime(timezone=True)),
    sa.Column("correction_note", sa.Text),
    # Per clock: the calendar versions its date was computed with ("2026/v1,2027/v1"; null for
    # dates computed before versions were kept), or the year a pending clock waits for.
    sa.Column("review_due_calendar", sa.String(200)),
    sa.Column("review_due_pending", sa.Integer),
    sa.Column("feedback_due_calendar", sa.String(200)),
    sa.Column("feedback_due_pending", sa.Integer),
    sa.Column("correction_due_calendar", sa.String(200)),
    sa.Column("correction_due_pending", sa.Integer),
    # 第九条: the correction's request to the city bureau; the reply's date and whether it
    # granted; whether the request, sent within the correction clock, stopped it (0004).
    sa.Column("city_request_id", sa.String(36)),
    sa.Column("city_requested_on", sa.Date),
    sa.Column("city_replied_on", sa.Date),
    sa.Column("city_granted", sa.Boolean),
    sa.Column("correction_suspended", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Index("ix_objections_record_id", "record_id"),
    sa.Index("ix_objections_uscc", "uscc"),
    sa.Index("ix_objections_status", "status"),
    # At most one open objection per published record.
    sa.Index(
        "uq_objections_pending_record",
        "record_id",
        unique=True,
        postgresql_where=sa.text("status = 'pending'"),
        sqlite_where=sa.text("status = 'pending'"),
    ),
)

# The scan of a paper application (书面异议申请书): its content and SHA-256, who registered it
# and when; one per objection, never updated or deleted (a guard in the database, 0003).
objection_scans = sa.Table(
    "objection_scans",
    metadata,
    sa.Column("objection_id", sa.String(36), primary_key=True),
    sa.Column("filename", sa.String(200), nullable=False),
    # The type its content was recognised as: application/pdf | image/jpeg | image/png.
    sa.Column("media_type", sa.String(100), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False),
    sa.Column("recorded_by", sa.String(100), nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
)

# Corrections requested from the city bureau (第九条: 由信用监管科依规向市局报请更正), from an
# objection's review or found by the bureau itself, and the city's reply (0004).
correction_requests = sa.Table(
    "correction_requests",
    metadata,
    sa.Column("request_id", sa.String(36), primary_key=True),
    sa.Column("record_id", sa.String(36), nullable=False),
    sa.Column("task_id", sa.String(64), nullable=False),
    sa.Column("uscc", sa.String(18), nullable=False),
    # One request per objection; null for an error the bureau found itself.
    sa.Column("objection_id", sa.String(36), unique=True),
    # objection | credit_department
    sa.Column("source", sa.String(30), nullable=False),
    sa.Column("corrected_results", sa.JSON, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    # The request's document: its number (文号) and date.
    sa.Column("request_no", sa.String(100), nullable=False),
    sa.Column("requested_on", sa.Date, nullable=False),
    sa.Column("requested_by", sa.String(100), nullable=False),
    sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("record_version", sa.Integer, nullable=False),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    # requested | granted | refused
    sa.Column("status", sa.String(20), nullable=False),
    # The city's reply: its document number and date, its reason, who recorded it and when.
    sa.Column("reply_no", sa.String(100)),
    sa.Column("replied_on", sa.Date),
    sa.Column("reply_reason", sa.Text),
    sa.Column("reply_recorded_by", sa.String(100)),
    sa.Column("reply_recorded_at", sa.DateTime(timezone=True)),
    sa.Index("ix_correction_requests_record_id", "record_id"),
    # At most one request of a record waits for the city.
    sa.Index(
        "uq_correction_requests_open_record",
        "record_id",
        unique=True,
        postgresql_where=sa.text("status = 'requested'"),
        sqlite_where=sa.text("status = 'requested'"),
    ),
)

# The scan of the city's reply document, one per request; never updated or deleted (0004).
correction_reply_documents = sa.Table(
    "correction_reply_documents",
    metadata,
    sa.Column("request_id", sa.String(36), primary_key=True),
    sa.Column("filename", sa.String(200), nullable=False),
    sa.Column("media_type", sa.String(100), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False),
    sa.Column("recorded_by", sa.String(100), nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
)
