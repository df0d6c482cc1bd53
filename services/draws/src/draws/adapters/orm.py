"""Draws tables (schema ``draws``): the read model fed by registry and planning events, and
the draws themselves. The service never reads another service's tables."""

from __future__ import annotations

import sqlalchemy as sa

from spotcheck_common.db import BigIntPK, service_metadata

metadata = service_metadata()

# --- read model (from registry and planning events) -------------------------------------

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
    # A product's, project's or conduct's fields (ADR 0011); NULL for an organisation.
    sa.Column("details", sa.JSON, nullable=True),
    # Population revision of the last change: the columnar snapshot applies rows with rev > its own.
    sa.Column("rev", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_entities_rev", "rev"),
)

counters = sa.Table(
    "counters",
    metadata,
    sa.Column("name", sa.String(50), primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False),
)

inspectors = sa.Table(
    "inspectors",
    metadata,
    sa.Column("inspector_id", sa.String(50), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("department", sa.String(100), nullable=False),
    sa.Column("district", sa.String(40), nullable=False),
    sa.Column("qualifications", sa.JSON, nullable=False),
    sa.Column("leader_qualified", sa.Boolean, nullable=False),
    sa.Column("certificate_expires_on", sa.Date, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

conflicts = sa.Table(
    "conflicts",
    metadata,
    sa.Column("inspector_id", sa.String(50), primary_key=True),
    sa.Column("uscc", sa.String(18), primary_key=True),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("declared_at", sa.DateTime(timezone=True), nullable=False),
)

# The expert pool (专家库), from the registry's ExpertsImported.
experts = sa.Table(
    "experts",
    metadata,
    sa.Column("expert_id", sa.String(50), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("field", sa.String(100), nullable=False),
    sa.Column("organization", sa.String(200), nullable=False),
    sa.Column("district", sa.String(40), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

# Pairs of inspectors who may not share a team (InspectorPairConflictDeclared), sorted.
pair_conflicts = sa.Table(
    "pair_conflicts",
    metadata,
    sa.Column("inspector_a", sa.String(50), primary_key=True),
    sa.Column("inspector_b", sa.String(50), primary_key=True),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("declared_at", sa.DateTime(timezone=True), nullable=False),
)

tasks = sa.Table(
    "tasks",
    metadata,
    sa.Column("task_id", sa.String(64), primary_key=True),
    sa.Column("task_no", sa.String(64), nullable=False),
    sa.Column("title", sa.String(300), nullable=False),
    # The TaskApproved payload as received.
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("approved_at", sa.DateTime(timezone=True), nullable=False),
)

# --- draws -----------------------------------------------------------------------------

draws = sa.Table(
    "draws",
    metadata,
    sa.Column("draw_id", sa.String(64), primary_key=True),
    sa.Column("task_id", sa.String(64), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("manifest", sa.JSON, nullable=False),
    sa.Column("manifest_sha256", sa.String(64), nullable=False),
    sa.Column("roster", sa.JSON, nullable=False),
    # The expert roster (null when the task asks for no experts).
    sa.Column("expert_roster", sa.JSON),
    sa.Column("commitments", sa.JSON, nullable=False),
    sa.Column("reveals", sa.JSON, nullable=False),
    sa.Column("beacon_value", sa.String(256)),
    sa.Column("seed_hex", sa.String(64)),
    sa.Column("result", sa.JSON),
    sa.Column("result_sha256", sa.String(64)),
    sa.Column("replacements", sa.JSON, nullable=False),
    sa.Column("countersign", sa.JSON),
    sa.Column("cancel_reason", sa.Text),
    sa.Column("created_by", sa.String(100), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    # Optimistic concurrency: every change bumps it (two reveals at once cannot both win).
    sa.Column("version", sa.Integer, nullable=False),
    # Who holds each party's share (party → user).
    sa.Column("holders", sa.JSON, nullable=False, server_default="{}"),
    # The deputy director's approvals of replacements.
    sa.Column("replacement_approvals", sa.JSON, nullable=False, server_default="[]"),
    # Direct assignment (§15): the signed act that assigned the teams, and who made it.
    sa.Column("assignment", sa.JSON),
    sa.Column("assigned_by", sa.String(100)),
    sa.Index("ix_draws_task", "task_id"),
)

# The deputy director's approvals of direct assignment for a task (第六条), given before its
# draw is frozen (the manifest names one): who, when, why. Append-only.
direct_assignment_approvals = sa.Table(
    "direct_assignment_approvals",
    metadata,
    sa.Column("approval_id", sa.String(64), primary_key=True),
    sa.Column("task_id", sa.String(64), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("approved_by", sa.String(100), nullable=False),
    sa.Column("approved_by_name", sa.String(100), nullable=False),
    sa.Column("approved_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_direct_assignment_approvals_task", "task_id"),
)

# Teams of each countersigned draw, and how many of them were assigned directly: the share
# of direct assignment per (lead) department (the statistic and its gauge). Append-only.
draw_team_counts = sa.Table(
    "draw_team_counts",
    metadata,
    sa.Column("draw_id", sa.String(64), primary_key=True),
    sa.Column("department", sa.String(100), nullable=False),
    sa.Column("teams", sa.Integer, nullable=False),
    sa.Column("assigned", sa.Integer, nullable=False),
    sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
)

# The frozen population of a draw: the four canonical columns, as published in the bundle.
draw_populations = sa.Table(
    "draw_populations",
    metadata,
    sa.Column("draw_id", sa.String(64), primary_key=True),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("uscc", sa.LargeBinary, nullable=False),
    sa.Column("stratum", sa.LargeBinary, nullable=False),
    sa.Column("status", sa.LargeBinary, nullable=False),
    sa.Column("checks", sa.LargeBinary, nullable=False),
    # /3: the rows' scope attributes, three blocks of 2-byte indices (§14.13); null before
    sa.Column("attributes", sa.LargeBinary),
)

# Recusal salts: private (the manifest publishes only the salted commitments).
# The population's Merkle tree, stored with the draw (``protocol.StoredTree``): a public proof
# reads one chunk and log n nodes instead of rebuilding the tree.
draw_trees = sa.Table(
    "draw_trees",
    metadata,
    sa.Column("draw_id", sa.String(64), primary_key=True),
    sa.Column("chunk_size", sa.Integer, nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("levels", sa.LargeBinary, nullable=False),
    sa.Column("firsts", sa.LargeBinary, nullable=False),
)

draw_recusals = sa.Table(
    "draw_recusals",
    metadata,
    sa.Column("draw_id", sa.String(64), primary_key=True),
    sa.Column("inspector_id", sa.String(50), primary_key=True),
    sa.Column("uscc", sa.String(18), primary_key=True),
    sa.Column("salt_hex", sa.String(64), nullable=False),
)

# One row per target of a drawn draw: the yearly cap counts these.
entity_checks = sa.Table(
    "entity_checks",
    metadata,
    sa.Column("id", BigIntPK, primary_key=True, autoincrement=True),
    sa.Column("uscc", sa.String(18), nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("draw_id", sa.String(64), nullable=False),
    sa.UniqueConstraint("draw_id", "uscc", name="uq_entity_checks_draw_uscc"),
    sa.Index("ix_entity_checks_year_uscc", "year", "uscc"),
)

# Party keys (spotcheck-draw/3, §14.2): registered once, never edited; a revocation is a row
# of its own. Both are public (the draw log carries them).
draw_keys = sa.Table(
    "draw_keys",
    metadata,
    sa.Column("key_id", sa.String(32), primary_key=True),
    sa.Column("district", sa.String(40), nullable=False),
    sa.Column("party", sa.String(100), nullable=False),
    sa.Column("holder", sa.String(100), nullable=False),
    sa.Column("public_key", sa.String(64), nullable=False, unique=True),
    sa.Column("valid_from", sa.String(10), nullable=False),
    sa.Column("valid_until", sa.String(10), nullable=False),
    sa.Column("signature", sa.String(128), nullable=False),
    sa.Column("registered_seq", sa.BigInteger, nullable=False),
)

draw_key_revocations = sa.Table(
    "draw_key_revocations",
    metadata,
    sa.Column("key_id", sa.String(32), primary_key=True),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("revoked_by", sa.String(100), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False),
)

# The district's draw log (§14.6): append-only and hash-chained; (district, seq) unique, so two
# writers can never fork it.
draw_log = sa.Table(
    "draw_log",
    metadata,
    sa.Column("district", sa.String(40), primary_key=True),
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(30), nullable=False),
    sa.Column("draw_id", sa.String(64)),
    sa.Column("key_id", sa.String(32)),
    sa.Column("record", sa.JSON, nullable=False),
    sa.Index("ix_draw_log_draw", "draw_id"),
)

# Joint draws (issue 10): a neighbour's draw in which this district holds a party, made and
# signed here (``draws.domain.joint``).
joint_draws = sa.Table(
    "joint_draws",
    metadata,
    sa.Column("draw_id", sa.String(64), primary_key=True),
    sa.Column("drawing_district", sa.String(40), nullable=False),
    sa.Column("party", sa.String(100), nullable=False),
    sa.Column("task_no", sa.String(100), nullable=False),
    sa.Column("manifest", sa.JSON, nullable=False),
    sa.Column("manifest_sha256", sa.String(64), nullable=False),
    sa.Column("committed", sa.JSON, nullable=False),
    sa.Column("commitment", sa.String(64)),
    sa.Column("key", sa.JSON),
    sa.Column("share_revealed", sa.Boolean, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    # what this bureau did and when; the drawing district's result as its DrawCompleted said
    sa.Column("committed_at", sa.DateTime(timezone=True)),
    sa.Column("revealed_at", sa.DateTime(timezone=True)),
    sa.Column("result_sha256", sa.String(64)),
    sa.Column("bundle_url", sa.String(500)),
)
