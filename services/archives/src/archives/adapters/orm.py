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
    # A neighbour's task (a joint draw of this district): the district whose task it is; NULL
    # for this district's own tasks. Set with the entry of the draw's manifest.
    sa.Column("drawing_district", sa.String(50)),
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

# ---- Joint draws of a neighbour this district is a party of (ADR 0010), marked by the
# neighbour's draws.draw-manifest-frozen naming this district's party. Insert-only: the later
# events of the draw (and this district's own acts in it, which name no task) find their
# dossier through it.
joint_draws = sa.Table(
    "joint_draws",
    metadata,
    sa.Column("drawing_district", sa.String(50), primary_key=True),
    sa.Column("draw_id", sa.String(100), primary_key=True),
    sa.Column("task_id", sa.String(100), nullable=False),
    sa.Column("task_no", sa.String(100)),
    sa.Column("manifest_event_id", sa.String(36), nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_joint_draws_task", "task_id"),
)

# ---- Annual plans (年度抽查工作计划), filed by plan_id; every version kept (append-only).

plans = sa.Table(
    "plans",
    metadata,
    # One row per plan: the lock that serialises a plan version arriving with a task that
    # names the plan (both lock it first, then the task's dossier), so neither misses the other.
    sa.Column("plan_id", sa.String(100), primary_key=True),
    sa.Column("plan_no", sa.String(100)),
    sa.Column("plan_name", sa.String(300)),
    sa.Column("department", sa.String(100)),
    sa.Column("year", sa.Integer),
    sa.Column("version_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

plan_versions = sa.Table(
    "plan_versions",
    metadata,
    sa.Column("id", BigIntPK, primary_key=True, autoincrement=True),
    sa.Column("plan_id", sa.String(100), sa.ForeignKey("plans.plan_id"), nullable=False),
    sa.Column("plan_version", sa.Integer, nullable=False),
    sa.Column("event_id", sa.String(36), nullable=False),
    # The canonical JSON of the whole planning.annual-plan-published envelope.
    sa.Column("envelope", sa.Text, nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("event_id", name="uq_plan_versions_event_id"),
    sa.Index("ix_plan_versions_plan", "plan_id", "plan_version"),
)

# The plan a task was approved under (planning.task-approved ``plan_id``).
task_plans = sa.Table(
    "task_plans",
    metadata,
    sa.Column("task_id", sa.String(100), primary_key=True),
    sa.Column("plan_id", sa.String(100), nullable=False),
    sa.Index("ix_task_plans_plan", "plan_id"),
)

# Which plan versions are already linked into which dossier (entries of kind 'plan').
dossier_plan_links = sa.Table(
    "dossier_plan_links",
    metadata,
    sa.Column("task_id", sa.String(100), sa.ForeignKey("dossiers.task_id"), primary_key=True),
    sa.Column("plan_event_id", sa.String(36), primary_key=True),
    sa.Column("plan_id", sa.String(100), nullable=False),
    sa.Column("plan_version", sa.Integer, nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
)

# ---- Accountability read model (第十三条): facts folded from the task events.

task_facts = sa.Table(
    "task_facts",
    metadata,
    sa.Column("kind", sa.String(20), primary_key=True),  # task/result/record/objection/follow_up
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("task_id", sa.String(100), nullable=False),
    # Set on task facts: the year of the task's deadline and its lead department.
    sa.Column("year", sa.Integer),
    sa.Column("department", sa.String(100)),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_task_facts_task", "task_id"),
    sa.Index("ix_task_facts_year_department", "kind", "year", "department"),
)

# Events whose fold into the facts failed (a schema the fold does not expect, a bug): filed in
# the dossier all the same, counted (``spotcheck_archives_folds_parked_total``) and kept here
# whole, until a fixed fold takes them (``POST /api/archives/parked-folds/refold``, or the
# event delivered again). Nothing is dropped.
parked_folds = sa.Table(
    "parked_folds",
    metadata,
    sa.Column("event_id", sa.String(100), primary_key=True),
    sa.Column("event_type", sa.String(100), nullable=False),
    sa.Column("envelope", sa.JSON, nullable=False),  # the whole envelope, payload included
    sa.Column("error", sa.Text, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("parked_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_tried_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_parked_folds_parked_at", "parked_at"),
)

# ---- Exemptions from accountability (第十三条), all insert-only (triggers of migration 0005;
# the runtime role has no UPDATE / DELETE). Each proposal and decision is also an ``exemption``
# entry of the task's dossier (``seq``): these rows are the index, the chain is the record.

# Evidence uploaded for a proposal: the content next to its SHA-256, checked on every read.
exemption_evidence = sa.Table(
    "exemption_evidence",
    metadata,
    sa.Column("evidence_id", sa.String(36), primary_key=True),
    sa.Column("task_id", sa.String(100), nullable=False),
    sa.Column("filename", sa.String(200), nullable=False),
    sa.Column("media_type", sa.String(100), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False),
    sa.Column("added_by", sa.String(100), nullable=False),
    sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_exemption_evidence_task", "task_id"),
)

exemption_proposals = sa.Table(
    "exemption_proposals",
    metadata,
    sa.Column("exemption_id", sa.String(36), primary_key=True),
    sa.Column("item_id", sa.String(300), nullable=False),
    sa.Column("task_id", sa.String(100), sa.ForeignKey("dossiers.task_id"), nullable=False),
    sa.Column("department", sa.String(100), nullable=False),  # the item's responsible one
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("entry_hash", sa.String(64), nullable=False),
    # The canonical JSON of the entry's document (exactly what the chain holds).
    sa.Column("document", sa.Text, nullable=False),
    sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_exemption_proposals_item", "item_id"),
    sa.Index("ix_exemption_proposals_task", "task_id"),
)

# At most one decision per proposal (the primary key).
exemption_decisions = sa.Table(
    "exemption_decisions",
    metadata,
    sa.Column(
        "exemption_id",
        sa.String(36),
        sa.ForeignKey("exemption_proposals.exemption_id"),
        primary_key=True,
    ),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("document", sa.Text, nullable=False),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
)
