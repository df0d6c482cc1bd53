"""The inspections service as the runner sees it."""

from __future__ import annotations

from pathlib import Path

from inspections.adapters import orm
from inspections.adapters.unit_of_work import SqlInspectionsUnitOfWork
from inspections.bootstrap import bootstrap
from inspections.entrypoints.consumers import subscriptions
from inspections.entrypoints.periodic import refresh
from inspections.entrypoints.routes import (
    attachments,
    follow_ups,
    inspections,
    joint,
    reports,
    visits,
)
from spotcheck_common.calendar_store import refresh_coverage
from spotcheck_common.events.inspections import (
    AttachmentAdded,
    FollowUpOpened,
    FollowUpRecorded,
    InspectionSubmitted,
    JointInspectionRecorded,
    JointInspectionSigned,
    JointInspectionState,
    JointInspectionSubmitted,
    NotInspectedReportConsolidated,
    NotInspectedReportSubmitted,
    TransferDueSet,
)
from spotcheck_common.service import ServiceDefinition

definition = ServiceDefinition(
    name="inspections",
    title=(
        "检查实施：进一次门、查多项事，检查记录表、结果、签名与提交，附件，后续处理，"
        "视为完成抽查名单"
    ),
    metadata=orm.metadata,
    migrations=Path(__file__).resolve().parent.parent / "adapters" / "migrations",
    routers=[
        inspections.router,
        attachments.router,
        visits.router,
        follow_ups.router,
        joint.router,
        joint.workload_router,
        reports.router,
    ],
    bootstrap=bootstrap,
    unit_of_work=SqlInspectionsUnitOfWork,
    subscriptions=subscriptions,
    publishes=[
        InspectionSubmitted,
        AttachmentAdded,
        FollowUpOpened,
        FollowUpRecorded,
        TransferDueSet,
        JointInspectionState,
        JointInspectionRecorded,
        JointInspectionSigned,
        JointInspectionSubmitted,
        NotInspectedReportSubmitted,
        NotInspectedReportConsolidated,
    ],
    periodic=[refresh, refresh_coverage],
    append_only=("inspection_log", "attachments", "not_inspected_reports"),
)
