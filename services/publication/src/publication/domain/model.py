"""Publication domain: public result records and their versions (pure rules, no I/O)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from spotcheck_common.events.inspections import ItemResult
from spotcheck_common.events.types import ResultCategory
from spotcheck_common.workdays import CHINA_TZ, CalendarNotCovered, add_workdays

# Results are published within 20 working days of being formed (DESIGN.md §2, 第九条).
PUBLISH_LIMIT_WORKDAYS = 20
SOURCE_INSPECTION = "inspection"

SOURCE_LABELS = {
    SOURCE_INSPECTION: "检查结果公示",
    "objection": "异议复查更正",
    "credit_department": "信用监管科更正",
}


class InvalidCorrection(ValueError):
    """A correction that does not fit the record (reason in Chinese)."""


@dataclass(frozen=True)
class ResultRecord:
    """What stays the same across versions: the task, the entity, the inspection."""

    record_id: str
    inspection_id: str
    task_id: str
    task_no: str
    task_title: str
    plan_no: str
    plan_name: str
    check_type: str
    inspecting_authority: str
    uscc: str
    entity_name: str
    completed_on: date
    publish_due_on: date | None
    published_at: datetime
    published_by: str


@dataclass(frozen=True)
class ResultVersion:
    record_id: str
    version: int
    results: list[ItemResult]
    remark: str
    source: str
    reason: str | None
    objection_id: str | None
    published_at: datetime
    published_by: str


def publish_due_on(completed_on: date) -> date | None:
    """20 working days after the result was formed; None if the calendar does not cover it."""
    try:
        return add_workdays(completed_on, PUBLISH_LIMIT_WORKDAYS)
    except CalendarNotCovered:
        return None


def published_late(record: ResultRecord) -> bool:
    due = record.publish_due_on
    return due is not None and record.published_at.astimezone(CHINA_TZ).date() > due


def merge_results(
    current: Sequence[ItemResult], changes: Sequence[ItemResult], allow_unchanged: bool = False
) -> list[ItemResult]:
    """The results of a new version: ``changes`` replace the same check items of ``current``.

    Each change must name a check item of the record (code and name), at most once, and the
    whole must change at least one item (unless ``allow_unchanged``).
    """
    if not changes:
        raise InvalidCorrection("更正须列出至少一个检查事项的更正结果")
    by_code = {r.check_item_code: r for r in current}
    seen: set[str] = set()
    for change in changes:
        code = change.check_item_code
        if code not in by_code:
            raise InvalidCorrection(f"检查事项 {code} 不在该检查结果中")
        if code in seen:
            raise InvalidCorrection(f"检查事项 {code} 重复出现")
        seen.add(code)
        if change.check_item_name != by_code[code].check_item_name:
            raise InvalidCorrection(
                f"检查事项 {code} 的名称应为「{by_code[code].check_item_name}」"
            )
        check_item_result(change)
    merged = [
        next((c for c in changes if c.check_item_code == r.check_item_code), r) for r in current
    ]
    if merged == list(current) and not allow_unchanged:
        raise InvalidCorrection("更正结果与现公示结果相同，无需更正")
    return merged


def check_item_result(result: ItemResult) -> None:
    """A sub-reason belongs only to 发现问题待后续处理."""
    if result.pending_reason is not None and result.category != ResultCategory.PROBLEM_PENDING:
        raise InvalidCorrection(
            f"检查事项 {result.check_item_code}：只有「{ResultCategory.PROBLEM_PENDING}」"
            f"可填写后续处理原因"
        )


def correction_remark(source: str, reason: str) -> str:
    return f"{SOURCE_LABELS.get(source, source)}：{reason}"


def version_views(versions: Sequence[ResultVersion]) -> list[dict[str, Any]]:
    """Every version, oldest first; the highest is current, the others superseded by the next."""
    ordered = sorted(versions, key=lambda v: v.version)
    views = []
    for i, v in enumerate(ordered):
        successor = ordered[i + 1] if i + 1 < len(ordered) else None
        views.append(
            {
                "version": v.version,
                "status": "current" if successor is None else "superseded",
                "status_label": "现行" if successor is None else "已被更正",
                "superseded_by_version": successor.version if successor else None,
                "superseded_at": successor.published_at.isoformat() if successor else None,
                "published_at": v.published_at.isoformat(),
                "source": v.source,
                "source_label": SOURCE_LABELS.get(v.source, v.source),
                "reason": v.reason,
                "objection_id": v.objection_id,
                "remark": v.remark,
                "results": [r.model_dump(mode="json") for r in v.results],
            }
        )
    return views


def public_view(record: ResultRecord, versions: Sequence[ResultVersion]) -> dict[str, Any]:
    """The published fields (DESIGN.md §2) with every version."""
    views = version_views(versions)
    current = views[-1] if views else None
    return {
        **public_summary(record, versions[-1] if versions else None),
        "publish_due_on": record.publish_due_on.isoformat() if record.publish_due_on else None,
        "published_late": published_late(record),
        "versions": views,
        "current": current,
    }


def public_summary(record: ResultRecord, current: ResultVersion | None) -> dict[str, Any]:
    return {
        "record_id": record.record_id,
        "uscc": record.uscc,
        "entity_name": record.entity_name,
        "plan_no": record.plan_no,
        "plan_name": record.plan_name,
        "task_no": record.task_no,
        "task_name": record.task_title,
        "check_type": record.check_type,
        "inspecting_authority": record.inspecting_authority,
        "completed_on": record.completed_on.isoformat(),
        "first_published_at": record.published_at.isoformat(),
        "current_version": current.version if current else None,
        "corrected": bool(current and current.version > 1),
        "results": [r.model_dump(mode="json") for r in current.results] if current else [],
        "remark": current.remark if current else "",
    }
