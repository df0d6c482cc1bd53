"""Registry tables (schema ``registry``)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from spotcheck_common.db import BigIntPK, service_metadata

metadata = service_metadata()
DETAILS = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

entities = sa.Table(
    "entities",
    metadata,
    sa.Column("uscc", sa.String(18), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("entity_type", sa.String(50), nullable=False),
    sa.Column("industry", sa.String(100), nullable=False),
    sa.Column("area", sa.String(100), nullable=False),
    sa.Column("risk_class", sa.String(1), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("address", sa.String(300), nullable=False, server_default=""),
    # A product's, project's or conduct's fields (ADR 0011); {} for an organisation.
    sa.Column("details", DETAILS, nullable=False, server_default=sa.text("'{}'")),
    sa.Column("batch_id", sa.String(36), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    # No index on name: the search matches any part of it (LIKE '%…%'), which no B-tree
    # serves, and keeping one cost an import of a million rows a third of its writing time.
    sa.Index("ix_entities_risk_status", "risk_class", "status"),
)

inspectors = sa.Table(
    "inspectors",
    metadata,
    sa.Column("inspector_id", sa.String(50), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("department", sa.String(100), nullable=False),
    sa.Column("qualifications", sa.JSON, nullable=False),
    sa.Column("leader_qualified", sa.Boolean, nullable=False),
    sa.Column("certificate_expires_on", sa.Date, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("batch_id", sa.String(36), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

# The external roster: co-organising agencies' inspectors (联合检查, 第三条), each known by
# (agency, the agency's own id); ``<agency>:<id>`` outside the registry.
external_inspectors = sa.Table(
    "external_inspectors",
    metadata,
    sa.Column("agency", sa.String(31), primary_key=True),
    sa.Column("inspector_id", sa.String(32), primary_key=True),
    sa.Column("agency_name", sa.String(100), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("qualifications", sa.JSON, nullable=False),
    sa.Column("certificate_expires_on", sa.Date, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("batch_id", sa.String(36), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

conflicts = sa.Table(
    "conflicts",
    metadata,
    sa.Column("id", BigIntPK, primary_key=True, autoincrement=True),
    sa.Column("inspector_id", sa.String(50), nullable=False),
    sa.Column("uscc", sa.String(18), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("declared_by", sa.String(100), nullable=False),
    sa.Column("declared_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("inspector_id", "uscc", name="uq_conflicts_pair"),
)

# The expert pool (专家库, 第六条): experts may be drawn for a task that asks for them.
experts = sa.Table(
    "experts",
    metadata,
    sa.Column("expert_id", sa.String(50), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("field", sa.String(100), nullable=False),
    sa.Column("organization", sa.String(200), nullable=False, server_default=""),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("batch_id", sa.String(36), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

# Two inspectors who may not serve on one team (e.g. close relatives); the pair is sorted.
inspector_pair_conflicts = sa.Table(
    "inspector_pair_conflicts",
    metadata,
    sa.Column("inspector_a", sa.String(50), primary_key=True),
    sa.Column("inspector_b", sa.String(50), primary_key=True),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("declared_by", sa.String(100), nullable=False),
    sa.Column("declared_at", sa.DateTime(timezone=True), nullable=False),
)

import_batches = sa.Table(
    "import_batches",
    metadata,
    sa.Column("batch_id", sa.String(36), primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("filename", sa.String(300), nullable=False),
    sa.Column("rows", sa.Integer, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("imported_by", sa.String(100), nullable=False),
    sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
)

# The spot-check item list (抽查事项清单): every import is a new version; none is ever changed.
check_item_lists = sa.Table(
    "check_item_lists",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("list_id", sa.String(100), nullable=False),
    sa.Column("effective_from", sa.Date, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("items", sa.Integer, nullable=False),
    sa.Column("filename", sa.String(300), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("imported_by", sa.String(100), nullable=False),
    sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
)

check_items = sa.Table(
    "check_items",
    metadata,
    sa.Column("list_version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("code", sa.String(50), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("category", sa.String(200), nullable=False),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("target_type", sa.String(200), nullable=False),
    sa.Column("item_class", sa.String(10), nullable=False),
    sa.Column("method", sa.String(200), nullable=False),
    sa.Column("inspecting_body", sa.String(200), nullable=False),
    sa.Column("legal_basis", sa.Text, nullable=False),
    sa.Column("ratio", sa.String(200), nullable=False, server_default=""),
    sa.Column("frequency", sa.String(200), nullable=False, server_default=""),
    sa.Column("inspector_requirements", sa.Text, nullable=False, server_default=""),
)

# Import jobs (导入任务): one row per upload, progress written in short transactions of its own
# so any replica can answer GET /imports/{id}; the import itself is one other transaction.
import_jobs = sa.Table(
    "import_jobs",
    metadata,
    sa.Column("import_id", sa.String(36), primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),
    # queued → running → succeeded | failed
    sa.Column("state", sa.String(10), nullable=False),
    sa.Column("filename", sa.String(300), nullable=False),
    sa.Column("size_bytes", sa.BigInteger, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("format", sa.String(10)),
    sa.Column("encoding", sa.String(20)),
    sa.Column("sheet", sa.String(100)),
    # What the request asked for: encoding, sheet, and for the item list reason, effective_from.
    sa.Column("params", sa.JSON, nullable=False),
    sa.Column("rows_total", sa.Integer),
    sa.Column("rows_read", sa.Integer, nullable=False, server_default="0"),
    sa.Column("errors_total", sa.Integer, nullable=False, server_default="0"),
    # The first 1,000 errors: [{line, column, column_letter, field, reason}].
    sa.Column("errors", sa.JSON, nullable=False),
    sa.Column("report", sa.JSON),
    sa.Column("failure", sa.Text),
    sa.Column("batch_id", sa.String(36)),
    sa.Column("created_by", sa.String(100), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True)),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Column("heartbeat_at", sa.DateTime(timezone=True)),
    sa.Index("ix_import_jobs_created_at", "created_at"),
    sa.Index("ix_import_jobs_state", "state"),
)
