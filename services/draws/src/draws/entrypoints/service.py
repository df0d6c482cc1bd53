"""The draws service as the runner sees it."""

from __future__ import annotations

from pathlib import Path

from draws.adapters import orm
from draws.adapters.unit_of_work import SqlDrawsUnitOfWork
from draws.bootstrap import bootstrap
from draws.entrypoints.consumers import subscriptions
from draws.entrypoints.periodic import refresh
from draws.entrypoints.routes import assignment, draws, joint, keys, public
from spotcheck_common.events.draws import (
    DrawCancelled,
    DrawCompleted,
    DrawCountersigned,
    DrawInspectorReplaced,
    DrawManifestFrozen,
    DrawSeedRevealed,
    DrawShareCommitted,
    DrawShareRevealed,
    InspectorRosterEntry,
    JointShareCommitted,
    JointShareRevealed,
)
from spotcheck_common.service import ServiceDefinition

definition = ServiceDefinition(
    name="draws",
    title="随机抽取检查对象与随机匹配执法检查人员（可验证）",
    metadata=orm.metadata,
    migrations=Path(__file__).resolve().parent.parent / "adapters" / "migrations",
    routers=[draws.router, assignment.router, joint.router, keys.router, public.router],
    bootstrap=bootstrap,
    unit_of_work=SqlDrawsUnitOfWork,
    subscriptions=subscriptions,
    periodic=[refresh],
    publishes=[
        DrawManifestFrozen,
        DrawShareCommitted,
        DrawShareRevealed,
        DrawSeedRevealed,
        DrawCountersigned,
        DrawCompleted,
        DrawInspectorReplaced,
        DrawCancelled,
        InspectorRosterEntry,
        JointShareCommitted,
        JointShareRevealed,
    ],
    append_only=(
        "draw_populations",
        "draw_recusals",
        "draw_trees",
        "draw_keys",
        "draw_key_revocations",
        "draw_log",
        "direct_assignment_approvals",
        "draw_team_counts",
    ),
)
