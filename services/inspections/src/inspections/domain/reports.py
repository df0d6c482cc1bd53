"""The "counted as done" report (第八条): objects not inspected for the article's reasons
(unreachable at the registered address, serious refusal, deregistered / revoked / cancelled /
moved out before the deadline) are "由各监管科室汇总后将名单报信用监管科，由信用监管科统一汇总并按
市局要求上报，视为完成抽查". Pure rules, no I/O.

- A department's report: the lead department of the tasks (a supervising department, a station,
  or the credit department for its own tasks) lists the objects of its tasks whose record form
  was submitted, not inspected, in a period. Submitting freezes the list and the exported files.
- The consolidated report: the credit department takes the current department reports lying
  within a period; it is refused while an object counted as done in the period is in none of
  them (a department has not reported it), and it names those departments.
- Every report is final: a correction is a new version of the same department and period (or
  of the same consolidated period) naming the version it replaces, with the reason.

The period is by the day the record form was submitted (China time): a form is submitted once,
so periods that follow one another report every object exactly once, a late form included.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from inspections.domain.model import Inspection, NotAllowed
from spotcheck_common.clock import CHINA_TZ, china_date
from spotcheck_common.errors import Conflict, Forbidden, Invalid
from spotcheck_common.events.inspections import (
    NotInspectedReportConsolidated,
    NotInspectedReportItem,
    NotInspectedReportRef,
    NotInspectedReportSubmitted,
)
from spotcheck_common.roles import Role

Item = NotInspectedReportItem
MAX_PERIOD_DAYS = 366
MAX_NOTE = 500

# Who compiles and submits a department's report: the lead department of the tasks, by the
# department its token names (the credit department leads tasks too).
REPORTING_ROLES = frozenset({Role.SUPERVISING_DEPT, Role.STATION, Role.CREDIT_DEPT})
# Who reads every department's reports and the consolidated ones: the credit department, which
# receives them, and the leadership.
BUREAU_WIDE = frozenset({Role.CREDIT_DEPT, Role.DEPUTY_DIRECTOR, Role.DIRECTOR_MEETING})


class ReportKind(StrEnum):
    DEPARTMENT = "department"  # 科室报送的名单
    CONSOLIDATED = "consolidated"  # 信用监管科汇总上报市局的名单


KIND_LABELS = {ReportKind.DEPARTMENT: "科室名单", ReportKind.CONSOLIDATED: "汇总名单"}


class ReportInvalid(Invalid):
    """The period, note or correction breaks a rule (422)."""


class VersionRefused(Conflict):
    """The report exists already and the request does not correct its current version (409)."""


class Unreported(Conflict):
    """Objects counted as done in the period are in no department's report yet (409)."""


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    def check(self, today: date) -> None:
        """A closed period, not longer than a year, ended by today (a period not over yet
        would miss what is still to come)."""
        if self.end < self.start:
            raise ReportInvalid("报送期间的结束日期早于开始日期")
        if (self.end - self.start).days >= MAX_PERIOD_DAYS:
            raise ReportInvalid(f"报送期间不能超过 {MAX_PERIOD_DAYS} 天")
        if self.end > today:
            raise ReportInvalid(f"报送期间尚未结束（结束日期 {self.end} 晚于今天 {today}）")

    def within(self, other: Period) -> bool:
        return other.start <= self.start and self.end <= other.end

    def instants(self) -> tuple[datetime, datetime]:
        """[from, until) in aware instants: the period's days in China."""
        return (
            datetime.combine(self.start, time(), CHINA_TZ),
            datetime.combine(self.end + timedelta(days=1), time(), CHINA_TZ),
        )

    @property
    def label(self) -> str:
        return f"{self.start.isoformat()} 至 {self.end.isoformat()}"


@dataclass(frozen=True)
class Submitter:
    user: str
    name: str = ""


@dataclass(frozen=True)
class Report:
    """A submitted report: what it held, who submitted it and when, its files' hashes."""

    report_id: str
    kind: ReportKind
    department: str  # the reporting department; "" for a consolidated one (the bureau's)
    period: Period
    version: int
    items: tuple[Item, ...]
    submitted_by: str
    submitted_at: datetime
    replaces: str = ""
    correction_reason: str = ""
    note: str = ""
    sources: tuple[NotInspectedReportRef, ...] = ()
    submitted_by_name: str = ""
    xlsx_sha256: str = ""
    csv_sha256: str = ""
    # The version that corrected this one ("" while it is current); read side only.
    superseded_by: str = ""

    @property
    def task_ids(self) -> list[str]:
        return sorted({i.task_id for i in self.items})

    @property
    def title(self) -> str:
        return (
            f"“双随机、一公开”抽查视为完成抽查对象{KIND_LABELS[self.kind]}（{self.period.label}）"
        )

    def sealed(self, xlsx_sha256: str, csv_sha256: str) -> Report:
        return replace(self, xlsx_sha256=xlsx_sha256, csv_sha256=csv_sha256)

    def ref(self) -> NotInspectedReportRef:
        return NotInspectedReportRef(
            report_id=self.report_id,
            department=self.department,
            version=self.version,
            items=len(self.items),
            xlsx_sha256=self.xlsx_sha256,
        )

    def event(self) -> NotInspectedReportSubmitted | NotInspectedReportConsolidated:
        common = {
            "report_id": self.report_id,
            "period_start": self.period.start,
            "period_end": self.period.end,
            "report_version": self.version,
            "replaces": self.replaces,
            "correction_reason": self.correction_reason,
            "note": self.note,
            "items": list(self.items),
            "task_ids": self.task_ids,
            "xlsx_sha256": self.xlsx_sha256,
            "csv_sha256": self.csv_sha256,
            "submitted_by": self.submitted_by,
            "submitted_by_name": self.submitted_by_name,
            "submitted_at": self.submitted_at,
        }
        if self.kind is ReportKind.DEPARTMENT:
            return NotInspectedReportSubmitted(department=self.department, **common)
        return NotInspectedReportConsolidated(sources=list(self.sources), **common)


def item_of(inspection: Inspection) -> Item:
    """The report's line for a submitted inspection that counted as done."""
    if inspection.not_inspected_reason is None or inspection.submitted_at is None:
        raise ValueError(f"inspection {inspection.inspection_id} did not count as done")
    if inspection.completed_on is None:
        raise ValueError(f"inspection {inspection.inspection_id} has no completion date")
    remarks = dict.fromkeys(r.remark for r in inspection.results if r.remark)
    return Item(
        inspection_id=inspection.inspection_id,
        task_id=inspection.task_id,
        task_no=inspection.task_no,
        task_title=inspection.task_title,
        uscc=inspection.uscc,
        entity_name=inspection.entity_name,
        area=inspection.area,
        reason=str(inspection.not_inspected_reason),
        reason_label=inspection.not_inspected_label,
        occurred_on=inspection.not_inspected_on,
        completed_on=inspection.completed_on,
        submitted_on=china_date(inspection.submitted_at),
        leader_id=inspection.leader.inspector_id,
        leader_name=inspection.leader.name,
        department=inspection.inspecting_authority,
        remark="；".join(remarks),
    )


def ordered(items: list[Item]) -> tuple[Item, ...]:
    """By department, task and object; one line per inspection."""
    unique = {i.inspection_id: i for i in items}
    return tuple(sorted(unique.values(), key=lambda i: (i.department, i.task_no, i.uscc)))


def reporting_department(roles: set[str], department: str) -> str:
    """The department a token reports for: its own, and only with a reporting role."""
    if not roles & REPORTING_ROLES or not department.strip():
        raise NotAllowed(
            "只有承办检查任务的科室（监管科室、市场监管所、信用监管科）可以汇总报送本科室的名单，"
            "且令牌须写明所在科室"
        )
    return department.strip()


def may_read(roles: set[str], department: str, report: Report) -> None:
    """The credit department and the leadership read every report; a department its own."""
    if roles & BUREAU_WIDE:
        return
    if report.kind is ReportKind.DEPARTMENT and department and department == report.department:
        return
    raise Forbidden("科室只能查看本科室报送的名单", report_id=report.report_id)


def read_scope(roles: set[str], department: str, asked: str | None) -> str | None:
    """Which department's reports a listing shows: any for the bureau-wide readers, else the
    reader's own (asking for another's is refused)."""
    if roles & BUREAU_WIDE:
        return asked
    if not roles & REPORTING_ROLES or not department:
        raise Forbidden("缺少角色，或令牌未写明所在科室")
    if asked and asked != department:
        raise Forbidden(f"科室只能查看本科室（{department}）报送的名单")
    return department


def next_version(current: Report | None, replaces: str, reason: str) -> int:
    """1 for a first report; a correction names the current version and says why."""
    if current is None:
        if replaces or reason:
            raise ReportInvalid("本期尚未报送，无可更正的版本（首次报送不填 replaces 和更正原因）")
        return 1
    if not replaces:
        raise VersionRefused(
            f"本期名单已报送（第 {current.version} 版 {current.report_id}），不能修改；"
            "更正须报送新版本，写明所替换的版本及更正原因",
            current=current.report_id,
        )
    if replaces != current.report_id:
        raise VersionRefused(
            f"只能更正现行版本（第 {current.version} 版 {current.report_id}）",
            current=current.report_id,
        )
    if not reason.strip():
        raise ReportInvalid("更正须写明更正原因")
    return current.version + 1


@dataclass(frozen=True)
class Consolidation:
    """What a consolidated report of a period would hold: the current department reports
    within it, their objects, and the departments with objects in no report yet."""

    period: Period
    reports: tuple[Report, ...]
    items: tuple[Item, ...]
    unreported: dict[str, int]

    def check_complete(self) -> None:
        if self.unreported:
            named = "、".join(f"{d}（{n} 个）" for d, n in sorted(self.unreported.items()))
            raise Unreported(
                f"以下科室在本期有视为完成抽查的检查对象尚未报送：{named}；报送后再汇总",
                unreported=self.unreported,
            )


def consolidation(period: Period, reports: list[Report], counted: list[Item]) -> Consolidation:
    """``reports``: current department reports; ``counted``: every object counted as done in
    the period (from the record forms), to find what no report holds."""
    taken = tuple(
        sorted(
            (r for r in reports if r.kind is ReportKind.DEPARTMENT and r.period.within(period)),
            key=lambda r: (r.department, r.period.start, r.report_id),
        )
    )
    held = {i.inspection_id for r in taken for i in r.items}
    missing = Counter(i.department for i in counted if i.inspection_id not in held)
    return Consolidation(period, taken, ordered([i for r in taken for i in r.items]), dict(missing))
