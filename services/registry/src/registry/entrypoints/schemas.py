"""The registry API's request and response models (what the OpenAPI document shows)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, PlainSerializer

from registry.domain import check_items
from registry.domain.check_items import ListVersion
from registry.domain.imports import ITEM_CLASS_BY_LABEL
from registry.service_layer.views import ItemList
from spotcheck_common import objects
from spotcheck_common.db import aware, aware_or_none
from spotcheck_common.events.calendar import HolidayPeriod, MakeUpWorkday
from spotcheck_common.events.registry import (
    CheckItem,
    EntitySnapshot,
    ExpertSnapshot,
    ExternalInspectorSnapshot,
    InspectorSnapshot,
)
from spotcheck_common.events.types import EntityStatus, ObjectId, RiskClass
from spotcheck_common.objects import ObjectKind
from spotcheck_common.text import RequestModel

# An instant as the API has always written it (``isoformat()``: ``+00:00``, not ``Z``).
Moment = Annotated[datetime, PlainSerializer(lambda d: d.isoformat(), return_type=str)]

# ---------------------------------------------------------------------------- requests


class EntityChange(RequestModel):
    status: EntityStatus | None = None
    risk_class: RiskClass | None = None


class ConflictIn(RequestModel):
    inspector_id: str = Field(min_length=1)
    uscc: ObjectId
    reason: str = Field(min_length=1)


class PairConflictIn(RequestModel):
    inspector_ids: list[str] = Field(min_length=2, max_length=2, description="两名执法检查人员编号")
    reason: str = Field(min_length=1, description="理由（如：近亲属）")


class CalendarYearIn(RequestModel):
    """One year's schedule as the State Council's notice states it."""

    document_no: str = Field(
        min_length=1, max_length=100, description="发文字号，如 国办发明电〔2026〕12号"
    )
    title: str = Field("", max_length=200, description="通知标题")
    published_on: date = Field(description="通知发布日期")
    days_off: list[HolidayPeriod] = Field(
        min_length=1, description="放假安排：每个节日的放假起止日期（含调休放假的日子）"
    )
    make_up_workdays: list[MakeUpWorkday] = Field(
        default_factory=list, description="调休上班的周六、周日"
    )
    reason: str = Field("", max_length=500, description="更正理由（录入第 2 版起必填）")


# ------------------------------------------------------------------ registers, conflicts


class EntityOut(EntitySnapshot):
    """An inspection object of the register (第一条): its kind is read from its code."""

    object_kind: ObjectKind = Field(description="检查对象类别，由编码识别（ADR 0011）")
    object_kind_label: str = Field(
        description="类别名称：市场主体、国家机关、事业单位、社会组织、其他组织、产品、项目、行为"
    )

    @classmethod
    def of(cls, entity: EntitySnapshot) -> EntityOut:
        kind = objects.kind_of(entity.uscc)
        return cls(**entity.model_dump(), object_kind=kind, object_kind_label=objects.LABELS[kind])


class EntityPage(BaseModel):
    total: int
    items: list[EntityOut]


class InspectorList(BaseModel):
    total: int
    items: list[InspectorSnapshot]


class ExpertList(BaseModel):
    total: int
    items: list[ExpertSnapshot]


class ExternalInspectorList(BaseModel):
    """Co-organising agencies' inspectors (联合检查, 第三条); ``inspector_id`` is
    ``<agency>:<id>``."""

    total: int
    items: list[ExternalInspectorSnapshot]


class ConflictOut(BaseModel):
    created: bool = Field(description="新登记（已登记过则为 false，不重复登记）")


class PairConflictOut(ConflictOut):
    inspector_ids: list[str] = Field(description="两名执法检查人员编号（按编号排序）")


# ------------------------------------------------------------------------- the item list


class _ListVersionFacts(BaseModel):
    """What anyone may read of a version of the item list (抽查事项清单)."""

    list_id: str
    version: int
    effective_from: date
    reason: str
    status: Literal["current", "superseded", "scheduled"]
    status_label: str
    items_count: int
    filename: str
    sha256: str
    imported_at: Moment


class ListVersionOut(_ListVersionFacts):
    """One version of the item list, with who imported it (staff)."""

    imported_by: str

    @classmethod
    def fields_of(cls, v: ListVersion, versions: list[ListVersion], today: date) -> dict[str, Any]:
        status = check_items.status(v, versions, today)
        return {
            "list_id": v.list_id,
            "version": v.version,
            "effective_from": v.effective_from,
            "reason": v.reason,
            "status": status,
            "status_label": check_items.STATUS_LABELS[status],
            "items_count": v.items,
            "filename": v.filename,
            "sha256": v.sha256,
            "imported_by": v.imported_by,
            "imported_at": v.imported_at,
        }

    @classmethod
    def of(cls, v: ListVersion, versions: list[ListVersion], today: date) -> ListVersionOut:
        return cls(**cls.fields_of(v, versions, today))


class ListVersions(BaseModel):
    total: int
    items: list[ListVersionOut]


class CheckItemOut(CheckItem):
    item_class_label: str = Field(description="一般 / 重点")


ITEM_CLASS_LABELS = {v: k for k, v in ITEM_CLASS_BY_LABEL.items()}


class ItemListOut(ListVersionOut):
    """A version of the item list with its items."""

    total: int
    items: list[CheckItemOut]

    @classmethod
    def of_list(cls, found: ItemList, today: date) -> ItemListOut:
        return cls(
            **cls.fields_of(found.version, found.versions, today),
            total=len(found.items),
            items=[
                CheckItemOut(**i.model_dump(), item_class_label=ITEM_CLASS_LABELS[i.item_class])
                for i in found.items
            ],
        )


class PublicItemListOut(_ListVersionFacts):
    """The item list in force as the public reads it: no staff member's name."""

    total: int
    items: list[CheckItemOut]

    @classmethod
    def of(cls, listing: ItemListOut) -> PublicItemListOut:
        return cls(**{k: v for k, v in listing.__dict__.items() if k != "imported_by"})


# ------------------------------------------------------------------------------- imports

STATE_LABELS = {"queued": "排队中", "running": "导入中", "succeeded": "已导入", "failed": "未导入"}


class ImportReportOut(BaseModel):
    """What an import did (state succeeded). The item list's report adds ``removed``,
    ``list_id``, ``version``, ``effective_from`` and ``reason``."""

    import_id: str
    state: Literal["succeeded"]
    kind: str
    batch_id: str
    rows_total: int
    rows_read: int
    imported: int
    new: int
    updated: int
    updated_fields: dict[str, int] = Field(description="各字段被更新的行数")
    unchanged: int
    errors_total: int
    errors: list[dict[str, Any]]
    removed: int | None = Field(None, description="（抽查事项清单）上一版有、本版没有的事项数")
    list_id: str | None = None
    version: int | None = Field(None, description="（抽查事项清单）新版本号")
    effective_from: date | None = None
    reason: str | None = None


class ImportLinks(BaseModel):
    self: str
    errors_csv: str


class ImportJobSummary(BaseModel):
    """An import job: its state and progress (rows read of rows total), its report or why it
    failed."""

    import_id: str
    kind: str
    state: str
    state_label: str
    filename: str
    size_bytes: int
    sha256: str
    format: str | None
    encoding: str | None
    sheet: str | None
    rows_total: int | None
    rows_read: int
    errors_total: int
    failure: str | None
    report: dict[str, Any] | None
    created_by: str
    created_at: Moment
    started_at: Moment | None
    finished_at: Moment | None
    links: ImportLinks

    @classmethod
    def fields_of(cls, row: dict[str, Any]) -> dict[str, Any]:
        import_id = row["import_id"]
        return {
            "import_id": import_id,
            "kind": row["kind"],
            "state": row["state"],
            "state_label": STATE_LABELS.get(row["state"], row["state"]),
            "filename": row["filename"],
            "size_bytes": row["size_bytes"],
            "sha256": row["sha256"],
            "format": row["format"],
            "encoding": row["encoding"],
            "sheet": row["sheet"],
            "rows_total": row["rows_total"],
            "rows_read": row["rows_read"],
            "errors_total": row["errors_total"],
            "failure": row["failure"],
            "report": row["report"],
            "created_by": row["created_by"],
            "created_at": aware(row["created_at"]),
            "started_at": aware_or_none(row["started_at"]),
            "finished_at": aware_or_none(row["finished_at"]),
            "links": ImportLinks(
                self=f"/api/registry/imports/{import_id}",
                errors_csv=f"/api/registry/imports/{import_id}/errors.csv",
            ),
        }

    @classmethod
    def of(cls, row: dict[str, Any]) -> ImportJobSummary:
        return cls(**cls.fields_of(row))


class ImportJobOut(ImportJobSummary):
    """An import job with its errors (the first 1,000: line, column, field, reason)."""

    errors: list[dict[str, Any]]

    @classmethod
    def of_row(cls, row: dict[str, Any]) -> ImportJobOut:
        return cls(**cls.fields_of(row), errors=row["errors"] or [])


class ImportJobList(BaseModel):
    total: int
    items: list[ImportJobSummary]


# ------------------------------------------------------------------------------ calendar


class CalendarDay(BaseModel):
    date: str
    name: str


class _RecordedVersion(BaseModel):
    version: int
    label: str
    document_no: str
    title: str
    published_on: str
    holidays: list[HolidayPeriod]
    make_up_workdays: list[MakeUpWorkday]
    reason: str
    recorded_at: str


class PublicCalendarVersion(_RecordedVersion):
    """A recorded version as the public reads it (not who typed it)."""


class CalendarVersion(_RecordedVersion):
    recorded_by: str


class PublicListedVersion(PublicCalendarVersion):
    superseded: bool


class ListedVersion(CalendarVersion):
    superseded: bool


class LibraryOut(BaseModel):
    source: str | None = Field(description="holidays 软件包中该年的来源")
    covers: bool


class _CalendarYear(BaseModel):
    year: int
    covered: bool
    source: Literal["recorded", "holidays", "none"]
    source_label: str
    calendar_version: str | None
    days_off: list[CalendarDay]
    make_up_workdays: list[CalendarDay]
    library: LibraryOut
    differences_from_library: list[dict[str, Any]]


class CalendarYearOut(_CalendarYear):
    """A year's schedule in force, its source, every recorded version (with who recorded it)
    and how it differs from the holidays package."""

    current: CalendarVersion | None
    versions: list[ListedVersion]


class PublicCalendarYearOut(_CalendarYear):
    """A year's schedule in force, its source and every recorded version (public)."""

    current: PublicCalendarVersion | None
    versions: list[PublicListedVersion]


class CoveredYear(BaseModel):
    year: int
    covered: bool
    source: Literal["recorded", "holidays", "none"]
    calendar_version: str | None


class CalendarOverviewOut(BaseModel):
    today: date
    covered_through: date
    years: list[CoveredYear]
