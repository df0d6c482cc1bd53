"""Request and response models of the "counted as done" reports (第八条)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from inspections.domain.reports import (
    KIND_LABELS,
    MAX_NOTE,
    Consolidation,
    Period,
    Report,
    ReportKind,
)
from spotcheck_common.events.inspections import NotInspectedReportItem, NotInspectedReportRef
from spotcheck_common.text import RequestModel


class ReportIn(RequestModel):
    """A report of a period; a correction names the current version it replaces and why."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    period_start: date = Field(description="报送期间开始日期（按检查记录提交日期）")
    period_end: date = Field(description="报送期间结束日期（含当日，不晚于今天）")
    replaces: str = Field("", max_length=36, description="更正时：所替换的现行版本编号")
    correction_reason: str = Field("", max_length=MAX_NOTE, description="更正时必填：更正原因")
    note: str = Field("", max_length=MAX_NOTE, description="说明（可选）")

    @property
    def period(self) -> Period:
        return Period(self.period_start, self.period_end)


class ReportOut(BaseModel):
    """A submitted report: what it held, who submitted it and when, its files' SHA-256."""

    report_id: str
    kind: ReportKind
    kind_label: str
    department: str = Field(description="报送科室（汇总名单为空）")
    period_start: date
    period_end: date
    version: int
    replaces: str | None
    correction_reason: str
    note: str
    current: bool = Field(description="现行版本（未被更正）")
    superseded_by: str | None
    submitted_by: str
    submitted_by_name: str
    submitted_at: str
    total: int = Field(description="检查对象数")
    xlsx_sha256: str
    csv_sha256: str
    sources: list[NotInspectedReportRef] = Field(description="汇总名单：所汇总的科室名单")
    items: list[NotInspectedReportItem]

    @classmethod
    def of(cls, r: Report, with_items: bool = True) -> ReportOut:
        return cls(
            report_id=r.report_id,
            kind=r.kind,
            kind_label=KIND_LABELS[r.kind],
            department=r.department,
            period_start=r.period.start,
            period_end=r.period.end,
            version=r.version,
            replaces=r.replaces or None,
            correction_reason=r.correction_reason,
            note=r.note,
            current=not r.superseded_by,
            superseded_by=r.superseded_by or None,
            submitted_by=r.submitted_by,
            submitted_by_name=r.submitted_by_name,
            submitted_at=r.submitted_at.isoformat(),
            total=len(r.items),
            xlsx_sha256=r.xlsx_sha256,
            csv_sha256=r.csv_sha256,
            sources=list(r.sources),
            items=list(r.items) if with_items else [],
        )


class ReportList(BaseModel):
    total: int
    items: list[ReportOut] = Field(description="各版本（不含名单明细），最新报送的在前")


class DepartmentDraft(BaseModel):
    """What the department's report of the period would hold if submitted now."""

    department: str
    period_start: date
    period_end: date
    current: ReportOut | None = Field(description="本期已报送的现行版本（若有）")
    total: int
    items: list[NotInspectedReportItem]


class ConsolidationDraft(BaseModel):
    """What the consolidated report of the period would hold, and what stops it."""

    period_start: date
    period_end: date
    current: ReportOut | None = Field(description="本期已汇总上报的现行版本（若有）")
    reports: list[ReportOut] = Field(description="纳入汇总的各科室现行名单（不含明细）")
    unreported: dict[str, int] = Field(
        description="本期有视为完成抽查的检查对象、尚未报送的科室 → 对象数（非空时不能汇总）"
    )
    total: int
    items: list[NotInspectedReportItem]

    @classmethod
    def of(cls, c: Consolidation, current: Report | None) -> ConsolidationDraft:
        return cls(
            period_start=c.period.start,
            period_end=c.period.end,
            current=ReportOut.of(current, with_items=False) if current else None,
            reports=[ReportOut.of(r, with_items=False) for r in c.reports],
            unreported=c.unreported,
            total=len(c.items),
            items=list(c.items),
        )
