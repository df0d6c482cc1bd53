"""Publication domain: public result records and their versions (pure rules, no I/O)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Final, Literal

from spotcheck_common import objects
from spotcheck_common.errors import Invalid
from spotcheck_common.events.inspections import ItemResult
from spotcheck_common.events.types import ResultCategory
from spotcheck_common.workdays import CHINA_TZ, Deadline, WorkCalendar

# Results are published within 20 working days of being formed (DESIGN.md §2, 第九条).
PUBLISH_LIMIT_WORKDAYS = 20
SOURCE_INSPECTION = "inspection"

SOURCE_LABELS = {
    SOURCE_INSPECTION: "检查结果公示",
    "objection": "异议复查更正",
    "credit_department": "信用监管科更正",
}


class InvalidCorrection(Invalid):
    """A correction that does not fit the record (reason in Chinese; 422)."""


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
    lead_department: str = ""
    # The calendar versions publish_due_on was computed with, or the year it waits for.
    publish_due_calendar: str | None = None
    publish_due_pending: int | None = None
    # The entity's area (区域) as the registry recorded it when drawn; "" for older records.
    area: str = ""
    # A product's, project's or conduct's fields (ADR 0011); empty for an organisation.
    details: dict[str, str] = field(default_factory=dict)

    @property
    def publish_deadline(self) -> Deadline:
        return Deadline(self.publish_due_on, self.publish_due_calendar, self.publish_due_pending)

    @property
    def object_kind(self) -> objects.ObjectKind:
        return objects.kind_of(self.uscc)


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
    # A correction: who in the credit department submitted it (第九条); None for version 1.
    submitted_by: str | None = None
    # The city bureau's granted request it was published on (第九条), and the grant's document
    # (number and date, as the remark and the export say it); None before requests.
    request_id: str | None = None
    city_grant: str | None = None


def publish_deadline(calendar: WorkCalendar, completed_on: date) -> Deadline:
    """20 working days after the result was formed; pending while the calendar does not
    cover the year it reaches."""
    return calendar.deadline(completed_on, PUBLISH_LIMIT_WORKDAYS)


def with_deadline(record: ResultRecord, deadline: Deadline) -> ResultRecord:
    return replace(
        record,
        publish_due_on=deadline.due_on,
        publish_due_calendar=deadline.calendar_version,
        publish_due_pending=deadline.pending_year,
    )


def recompute(record: ResultRecord, calendar: WorkCalendar, year: int) -> ResultRecord | None:
    """The record with its deadline recomputed, if ``year`` being recorded changes it."""
    current = record.publish_deadline
    if not current.reads(year):
        return None
    updated = with_deadline(record, publish_deadline(calendar, record.completed_on))
    return updated if updated.publish_deadline != current else None


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


def not_inspected_remark(reason: str) -> str:
    """第八条: a target not inspected (unreachable, serious refusal, deregistered, revoked,
    moved out before the deadline) counts as done; the public remark says why."""
    reason = reason.strip()
    return f"未实施检查，视为完成抽查：{reason}" if reason else ""


def correction_remark(source: str, reason: str, grant: str = "") -> str:
    """备注 of a corrected version: where the correction came from, why, and the city bureau's
    document that granted it (第九条)."""
    remark = f"{SOURCE_LABELS.get(source, source)}：{reason}"
    return f"{remark}（{grant}）" if grant else remark


def grant_note(reply_no: str, replied_on: date) -> str:
    return f"经市局 {replied_on} 批复同意更正，{reply_no}"


RESULT_LABELS = {
    "object_kind": "检查对象类型",
    "plan_no": "抽查计划编号",
    "plan_name": "抽查计划名称",
    "task_no": "抽查任务编号",
    "task_name": "抽查任务名称",
    "check_type": "抽查类型",
    "inspecting_authority": "检查实施机关",
    "completed_on": "完成日期",
    "results": "检查结果",
    "remark": "备注",
    "uscc": "统一社会信用代码",
    "entity_name": "市场主体名称",
    "area": "区域",
    "versions": "公示版本",
}


def result_labels(kind: objects.ObjectKind) -> dict[str, str]:
    """The record's field labels: a market entity's as before; another organisation's code is
    still its 统一社会信用代码; an object without one shows its registry code as 对象编码 (never
    as a credit code) and its fields apart (``object_fields``)."""
    if kind is objects.ObjectKind.MARKET_ENTITY:
        return RESULT_LABELS
    if objects.has_uscc(kind):
        return {**RESULT_LABELS, "entity_name": "名称"}
    return {
        **RESULT_LABELS,
        "uscc": "对象编码",
        "entity_name": "检查对象名称",
        "object_fields": "检查对象信息",
    }


def object_fields(record: ResultRecord) -> list[tuple[str, str]]:
    """(label, value) of a product's, project's or conduct's fields; none for an organisation."""
    return objects.described(record.object_kind, record.details)


# ---------------------------------------------------------------------------------------------
# Withheld results (依法依规不予公开, 第九条)


@dataclass(frozen=True)
class ResultQuery:
    """What the public searches published results by; an empty field does not filter.
    ``uscc``: the object's id, or a producer's USCC (its products' results too);
    ``category``: one of the current version's items has that result; the dates bound the
    completion day, both inclusive; ``area``: the entity's area (区域), exactly."""

    uscc: str | None = None
    task_no: str | None = None
    q: str | None = None
    category: str | None = None
    completed_from: date | None = None
    completed_to: date | None = None
    area: str | None = None


@dataclass(frozen=True)
class WithheldResult:
    """A result the law keeps private: recorded with its legal reason, never published."""

    inspection_id: str
    task_id: str
    task_no: str
    task_title: str
    plan_no: str
    plan_name: str
    check_type: str
    inspecting_authority: str
    lead_department: str
    uscc: str
    entity_name: str
    completed_on: date
    results: list[ItemResult]
    reason: str
    recorded_at: datetime
    recorded_by: str


# ---------------------------------------------------------------------------------------------
# The publication deadline (20 working days after the result was formed)


def published_on(record: ResultRecord) -> date:
    return record.published_at.astimezone(CHINA_TZ).date()


def publication_overdue(record: ResultRecord) -> bool:
    """Published after its due date (20 working days after the result was formed)."""
    return published_late(record)


# ---------------------------------------------------------------------------------------------
# Export in the fields of the national publicity system (国家企业信用信息公示系统)
#
# That system publishes organisations' results by their credit code: organisations (every
# registration authority) are exported in its eleven columns, as ever. A product, project or
# conduct has no credit code: each kind is exported apart (``object_kind``), the credit-code
# column replaced by 检查对象类型, 对象编码 (the registry's id) and the kind's own fields.

ORGANISATIONS: Final = "organisation"
ExportKind = Literal["organisation", "product", "project", "conduct"]

EXPORT_COLUMNS = [
    "抽查计划编号",
    "抽查计划名称",
    "抽查任务编号",
    "抽查任务名称",
    "抽查类型",
    "检查实施机关",
    "完成日期",
    "检查事项",
    "检查结果",
    "备注",
    "统一社会信用代码",
]


def result_text(r: ItemResult) -> str:
    if r.pending_reason is not None:
        return f"{r.category.value}（{r.pending_reason.value}）"
    return r.category.value


def export_remark(version: ResultVersion, item: ItemResult) -> str:
    """备注: the item's remark; a correction says so (更正, its version and reason)."""
    parts = []
    if version.version > 1:
        grant = f"，{version.city_grant}" if version.city_grant else ""
        parts.append(
            f"更正（第{version.version}版，更正第{version.version - 1}版{grant}）："
            f"{version.reason or ''}"
        )
    elif version.remark:
        parts.append(version.remark)
    if item.remark:
        parts.append(item.remark)
    return "；".join(parts)


def export_columns(kind: ExportKind = ORGANISATIONS) -> list[str]:
    """The national columns for organisations; for a kind without a credit code, the same
    without 统一社会信用代码 and with the object's own fields."""
    if kind == ORGANISATIONS:
        return EXPORT_COLUMNS
    fields = [label for _, label in objects.FIELDS[objects.ObjectKind(kind)]]
    return [*EXPORT_COLUMNS[:-1], "检查对象类型", "对象编码", *fields]


def _object_columns(record: ResultRecord) -> dict[str, str]:
    kind = record.object_kind
    if objects.has_uscc(kind):
        return {"统一社会信用代码": record.uscc}
    fields = objects.described(kind, record.details)
    return {"检查对象类型": objects.LABELS[kind], "对象编码": record.uscc, **dict(fields)}


def export_rows(record: ResultRecord, version: ResultVersion) -> list[dict[str, str]]:
    """One row per item result of the given (current) version."""
    return [
        {
            "抽查计划编号": record.plan_no,
            "抽查计划名称": record.plan_name,
            "抽查任务编号": record.task_no,
            "抽查任务名称": record.task_title,
            "抽查类型": record.check_type,
            "检查实施机关": record.inspecting_authority,
            "完成日期": record.completed_on.isoformat(),
            "检查事项": item.check_item_name,
            "检查结果": result_text(item),
            "备注": export_remark(version, item),
            **_object_columns(record),
        }
        for item in version.results
    ]


# ---------------------------------------------------------------------------------------------
# Annual plans (第四条) and implementation plans (第六条) as the public sees them

SOURCE_LABELS_TASK = {"local": "本局", "city": "市局下派", "province": "省局下派"}

PLAN_LABELS = {
    "plan_no": "计划编号",
    "plan_name": "计划名称",
    "department": "制定科室",
    "year": "年度",
    "plan_version": "版本",
    "status_label": "状态",
    "supersedes_version": "调整前版本",
    "adjustment_reason": "调整原因",
    "items": "抽查事项",
    "signed_by": "分管局长审批",
    "consolidated_by": "信用监管科汇总",
    "approved_by": "局长办公会批准",
    "filed_on": "报市局备案日期",
    "published_at": "公示时间",
}

PLAN_ITEM_LABELS = {
    "check_item_code": "事项编码",
    "check_item_name": "抽查事项",
    "scope": "抽查范围",
    "period_from": "抽查时间（起）",
    "period_to": "抽查时间（止）",
    "ratio": "抽查比例",
}

TASK_LABELS = {
    "task_no": "任务编号",
    "title": "任务名称",
    "plan_no": "抽查计划编号",
    "plan_name": "抽查计划名称",
    "lead_department": "主办科室",
    "co_lead_departments": "联合主办科室",
    "assisting_departments": "协助办理科室",
    "check_items": "检查事项",
    "target_scope": "检查对象抽取范围",
    "ratio": "抽取比例",
    "methods": "检查方法",
    "deadline": "完成时限",
    "source_label": "任务来源",
    "published_at": "公示时间",
}


@dataclass(frozen=True)
class PlanVersion:
    plan_id: str
    plan_version: int
    plan_no: str
    plan_name: str
    department: str
    year: int
    supersedes_version: int | None
    adjustment_reason: str
    items: list[dict[str, Any]]
    signed_by: str
    consolidated_by: str
    approved_by: str
    filed_on: date
    published_at: datetime


@dataclass(frozen=True)
class PublishedTask:
    task_id: str
    task_no: str
    title: str
    plan_no: str
    plan_name: str
    lead_department: str
    co_lead_departments: list[str]
    assisting_departments: list[str]
    check_items: list[dict[str, Any]]
    target_filter: dict[str, Any]
    ratio_bp: dict[str, int]
    methods: list[str]
    deadline: date
    source: str
    published_at: datetime


def ratio_text(ratio_bp: dict[str, int]) -> str:
    """Basis points per risk class, as the public reads them: "A类 3%；E类 50%"."""
    return "；".join(f"{k}类 {_percent(v)}" for k, v in sorted(ratio_bp.items()))


def _percent(bp: int) -> str:
    whole, rest = divmod(int(bp), 100)
    return f"{whole}%" if not rest else f"{whole}.{rest:02d}".rstrip("0") + "%"


def target_scope_text(target_filter: dict[str, Any]) -> str:
    names = {
        "entity_types": "主体类型",
        "industries": "行业",
        "areas": "区域",
        "risk_classes": "风险等级",
    }
    parts = [
        f"{names[k]}：{'、'.join(map(str, v))}"
        for k, v in target_filter.items()
        if v and k in names
    ]
    return "；".join(parts) or "辖区内全部市场主体"
