"""The "counted as done" report (第八条) on fakes: what a department's list holds, versions
and corrections, the credit department's consolidation, who may do what, and the files in the
city bureau's format (parsed back)."""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from inspections.domain import report_files
from inspections.domain.model import (
    Inspection,
    NotAllowed,
    NotInspected,
    NotInspectedReason,
)
from inspections.domain.reports import (
    Period,
    ReportInvalid,
    ReportKind,
    Submitter,
    Unreported,
    VersionRefused,
    may_read,
    read_scope,
    reporting_department,
)
from inspections.service_layer import reports as service
from spotcheck_common.clock import FixedClock
from spotcheck_common.errors import Corrupted, Forbidden, StaleWrite
from spotcheck_common.events.inspections import (
    NotInspectedReportConsolidated,
    NotInspectedReportSubmitted,
)

from .factories import LEADER, MEMBER, NOW, USCC_1, USCC_2, all_clear, inspection
from .fakes import FakeInspectionRepository, FakeInspectionsUnitOfWork

GUIFAN, ZHILIANG = "市场规范管理科", "产品质量安全监督管理科"
USCC_3 = "91371000MA3C000033"
APRIL = Period(date(2026, 4, 1), date(2026, 4, 30))
TODAY = "2026-05-06T10:00:00+08:00"
CHIEF = Submitter("zhao.reg", "赵规范")
CREDIT = Submitter("zhang.credit", "张信用")


def done(
    inspection_id: str,
    uscc: str,
    department: str,
    at: datetime,
    reason: NotInspectedReason = NotInspectedReason.UNREACHABLE,
    task_no: str = "LG-2026-001",
    **outcome: object,
) -> Inspection:
    """A submitted record form of a target not inspected (counted as done) at ``at``."""
    i = inspection()
    i.inspection_id, i.uscc, i.inspecting_authority, i.task_no = (
        inspection_id,
        uscc,
        department,
        task_no,
    )
    i.task_id = f"task-{task_no}"
    i.record_results(LEADER, [], at, NotInspected.model_validate({"reason": reason, **outcome}))
    i.sign(LEADER, at)
    i.sign(MEMBER, at)
    i.submit(LEADER, at)
    return i


def inspected(inspection_id: str, department: str, at: datetime) -> Inspection:
    i = inspection()
    i.inspection_id, i.uscc, i.inspecting_authority = inspection_id, USCC_3, department
    i.record_results(LEADER, all_clear(), at)
    i.sign(LEADER, at)
    i.sign(MEMBER, at)
    i.submit(LEADER, at)
    return i


def china(day: int, hour: int = 10, month: int = 4) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC) - timedelta(hours=8)


def bureau() -> FakeInspectionRepository:
    """April: two of 规范科's targets not inspected, one of 质量科's; one inspected; one of
    规范科's submitted on 1 May (China time: next period); one still open."""
    still_open = inspection()
    still_open.inspection_id, still_open.inspecting_authority = "i-open", GUIFAN
    return FakeInspectionRepository(
        done("i-b", USCC_2, GUIFAN, china(20), NotInspectedReason.SERIOUS_REFUSAL),
        done(
            "i-a",
            USCC_1,
            GUIFAN,
            china(2),
            NotInspectedReason.DEREGISTERED,
            occurred_on=date(2026, 4, 1),
            remark="已于4月1日注销",
        ),
        done("i-c", USCC_3, ZHILIANG, china(30, hour=23), task_no="LG-2026-002"),
        done("i-may", USCC_3, GUIFAN, china(1, hour=0, month=5)),
        inspected("i-ok", GUIFAN, china(3)),
        still_open,
    )


def uow_of(repo: FakeInspectionRepository) -> FakeInspectionsUnitOfWork:
    return FakeInspectionsUnitOfWork(repo, clock=FixedClock(TODAY))


async def test_a_departments_list_holds_its_own_objects_counted_as_done_in_the_period() -> None:
    uow = uow_of(bureau())
    report = await service.submit_department_report(uow, GUIFAN, CHIEF, APRIL, note="4月名单")
    # Only 规范科's, only not inspected, only submitted in April (China days), by task, target.
    assert [i.inspection_id for i in report.items] == ["i-a", "i-b"]
    first = report.items[0]
    assert (first.reason, first.reason_label) == ("deregistered", "检查任务截止前已注销")
    assert (first.occurred_on, first.completed_on) == (date(2026, 4, 1), date(2026, 4, 2))
    assert (first.leader_id, first.leader_name, first.department) == (LEADER, "王组长", GUIFAN)
    assert first.remark == "已于4月1日注销" and first.area == "草庙子镇"
    assert (report.version, report.replaces, report.submitted_by) == (1, "", "zhao.reg")
    # Frozen with its files: the hashes are of the very bytes kept.
    files = uow.reports.reports[report.report_id][1]
    assert report.xlsx_sha256 == hashlib.sha256(files["xlsx"]).hexdigest()
    assert report.csv_sha256 == hashlib.sha256(files["csv"]).hexdigest()
    [event] = uow.events
    assert isinstance(event, NotInspectedReportSubmitted) and uow.committed
    assert event.items == list(report.items) and event.report_version == 1
    assert event.task_ids == ["task-LG-2026-001"] and event.department == GUIFAN
    assert event.xlsx_sha256 == report.xlsx_sha256 and event.submitted_by_name == "赵规范"
    # A form submitted later changes nothing already submitted.
    uow.inspections.inspections["i-late"] = done("i-late", USCC_3, GUIFAN, china(29, hour=1))
    kept = await service.report(uow, report.report_id)
    assert [i.inspection_id for i in kept.items] == ["i-a", "i-b"]


async def test_a_submitted_list_is_never_changed_only_corrected_by_a_new_version() -> None:
    uow = uow_of(bureau())
    first = await service.submit_department_report(uow, GUIFAN, CHIEF, APRIL)
    with pytest.raises(VersionRefused, match="不能修改"):
        await service.submit_department_report(uow, GUIFAN, CHIEF, APRIL)
    with pytest.raises(ReportInvalid, match="更正原因"):
        await service.submit_department_report(uow, GUIFAN, CHIEF, APRIL, replaces=first.report_id)
    with pytest.raises(ReportInvalid, match="尚未报送"):
        await service.submit_department_report(
            uow, ZHILIANG, CHIEF, APRIL, replaces="x", correction_reason="y"
        )
    assert len(uow.events) == 1 and len(uow.reports.reports) == 1
    uow.inspections.inspections["i-late"] = done("i-late", USCC_3, GUIFAN, china(29, hour=1))
    second = await service.submit_department_report(
        uow, GUIFAN, CHIEF, APRIL, replaces=first.report_id, correction_reason="漏报一户"
    )
    assert (second.version, second.replaces, second.correction_reason) == (
        2,
        first.report_id,
        "漏报一户",
    )
    assert [i.inspection_id for i in second.items] == ["i-a", "i-b", "i-late"]
    # The first version is kept as it was, marked corrected; only the current one is corrected.
    old = await service.report(uow, first.report_id)
    assert old.superseded_by == second.report_id and len(old.items) == 2
    with pytest.raises(VersionRefused, match="现行版本"):
        await service.submit_department_report(
            uow, GUIFAN, CHIEF, APRIL, replaces=first.report_id, correction_reason="再改"
        )
    assert [e.replaces for e in uow.events] == ["", first.report_id]


async def test_the_same_version_submitted_twice_at_once_keeps_one() -> None:
    uow = uow_of(bureau())
    report = await service.submit_department_report(uow, GUIFAN, CHIEF, APRIL)
    with pytest.raises(StaleWrite):
        await uow.reports.add(report, {"xlsx": b"", "csv": b""})


@pytest.mark.parametrize(
    ("start", "end", "refusal"),
    [
        (date(2026, 4, 30), date(2026, 4, 1), "早于开始日期"),
        (date(2026, 5, 1), date(2026, 5, 31), "尚未结束"),
        (date(2025, 1, 1), date(2026, 4, 30), "不能超过"),
    ],
)
async def test_a_period_not_over_reversed_or_too_long_is_refused(
    start: date, end: date, refusal: str
) -> None:
    uow = uow_of(bureau())
    with pytest.raises(ReportInvalid, match=refusal):
        await service.submit_department_report(uow, GUIFAN, CHIEF, Period(start, end))
    assert uow.events == [] and uow.reports.reports == {}


async def test_consolidation_waits_for_every_department_then_holds_all_their_lists() -> None:
    uow = uow_of(bureau())
    guifan = await service.submit_department_report(uow, GUIFAN, CHIEF, APRIL)
    draft = await service.consolidation_draft(uow, APRIL)
    assert draft.unreported == {ZHILIANG: 1}
    with pytest.raises(Unreported, match=f"{ZHILIANG}（1 个）"):
        await service.consolidate(uow, CREDIT, APRIL)
    assert not any(r.kind is ReportKind.CONSOLIDATED for r, _ in uow.reports.reports.values())
    zhiliang = await service.submit_department_report(uow, ZHILIANG, Submitter("sun"), APRIL)
    # A correction of 规范科's list: the consolidation takes the current version only.
    uow.inspections.inspections["i-late"] = done("i-late", USCC_3, GUIFAN, china(29, hour=1))
    with pytest.raises(Unreported, match=GUIFAN):
        await service.consolidate(uow, CREDIT, APRIL)
    corrected = await service.submit_department_report(
        uow, GUIFAN, CHIEF, APRIL, replaces=guifan.report_id, correction_reason="漏报"
    )
    report = await service.consolidate(uow, CREDIT, APRIL, note="4月汇总")
    assert report.kind is ReportKind.CONSOLIDATED and report.department == ""
    assert [(s.report_id, s.version, s.items) for s in report.sources] == [
        (zhiliang.report_id, 1, 1),
        (corrected.report_id, 2, 3),
    ]
    assert [s.xlsx_sha256 for s in report.sources] == [zhiliang.xlsx_sha256, corrected.xlsx_sha256]
    # By department, then task, then target.
    assert [(i.department, i.inspection_id) for i in report.items] == [
        (ZHILIANG, "i-c"),
        (GUIFAN, "i-a"),
        (GUIFAN, "i-b"),
        (GUIFAN, "i-late"),
    ]
    event = uow.events[-1]
    assert isinstance(event, NotInspectedReportConsolidated)
    assert event.sources == list(report.sources) and event.items == list(report.items)
    assert event.task_ids == ["task-LG-2026-001", "task-LG-2026-002"]
    with pytest.raises(VersionRefused):
        await service.consolidate(uow, CREDIT, APRIL)


async def test_a_department_list_beyond_the_period_is_not_taken_in() -> None:
    uow = uow_of(bureau())
    await service.submit_department_report(uow, ZHILIANG, CHIEF, APRIL)
    await service.submit_department_report(
        uow, GUIFAN, CHIEF, Period(date(2026, 4, 1), date(2026, 5, 1))
    )
    draft = await service.consolidation_draft(uow, APRIL)
    assert [r.department for r in draft.reports] == [ZHILIANG]
    assert draft.unreported == {GUIFAN: 2}


async def test_a_period_with_nothing_to_report_gives_an_empty_list() -> None:
    uow = uow_of(FakeInspectionRepository())
    report = await service.consolidate(uow, CREDIT, APRIL)
    assert report.items == () and report.sources == ()
    rows = list(
        csv.reader(io.StringIO(uow.reports.reports[report.report_id][1]["csv"].decode("utf-8-sig")))
    )
    assert rows == [list(report_files.HEADER)]


def test_who_reports_and_who_reads() -> None:
    assert reporting_department({"supervising_dept"}, GUIFAN) == GUIFAN
    assert reporting_department({"station"}, "草庙子市场监管所") == "草庙子市场监管所"
    with pytest.raises(NotAllowed):
        reporting_department({"supervising_dept"}, "")
    with pytest.raises(NotAllowed):
        reporting_department({"deputy_director", "inspector"}, GUIFAN)
    assert read_scope({"supervising_dept"}, GUIFAN, None) == GUIFAN
    with pytest.raises(Forbidden, match="本科室"):
        read_scope({"supervising_dept"}, GUIFAN, ZHILIANG)
    assert read_scope({"deputy_director"}, "", ZHILIANG) == ZHILIANG
    assert read_scope({"credit_dept"}, "信用监管科", None) is None
    with pytest.raises(Forbidden):
        read_scope({"inspector"}, GUIFAN, None)


async def test_a_department_reads_its_own_lists_the_credit_department_and_leaders_all() -> None:
    uow = uow_of(bureau())
    mine = await service.submit_department_report(uow, GUIFAN, CHIEF, APRIL)
    await service.submit_department_report(uow, ZHILIANG, CHIEF, APRIL)
    whole = await service.consolidate(uow, CREDIT, APRIL)
    may_read({"supervising_dept"}, GUIFAN, mine)
    for report in (mine, whole):
        may_read({"credit_dept"}, "信用监管科", report)
        may_read({"director_meeting"}, "", report)
    with pytest.raises(Forbidden):
        may_read({"supervising_dept"}, ZHILIANG, mine)
    with pytest.raises(Forbidden):
        may_read({"supervising_dept"}, GUIFAN, whole)


async def test_the_files_hold_exactly_the_report_in_the_city_bureaus_columns() -> None:
    uow = uow_of(bureau())
    odd = done("i-odd", USCC_3, GUIFAN, china(5), remark="门牌<3号>&后院\x07")
    odd.entity_name = "威海 “某某” 商贸有限公司"
    uow.inspections.inspections["i-odd"] = odd
    report = await service.submit_department_report(uow, GUIFAN, CHIEF, APRIL)
    files = uow.reports.reports[report.report_id][1]
    expected = [
        [
            str(n),
            i.uscc,
            i.entity_name,
            i.area,
            i.task_no,
            i.task_title,
            i.reason_label,
            i.occurred_on.isoformat() if i.occurred_on else "",
            i.completed_on.isoformat(),
            i.leader_name,
            i.department,
            i.remark,
        ]
        for n, i in enumerate(report.items, start=1)
    ]
    assert expected[2][2] == "威海 “某某” 商贸有限公司"

    assert files["csv"].startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(files["csv"].decode("utf-8-sig"))))
    assert table[0] == list(report_files.HEADER) and table[0][1] == "统一社会信用代码"
    clean = [[*row[:-1], row[-1].replace("\x07", "")] for row in expected]
    assert table[1:] == expected

    sheet = load_workbook(io.BytesIO(files["xlsx"])).active
    assert sheet is not None and sheet.title == "视为完成抽查名单"
    values = [[("" if c is None else c) for c in row] for row in sheet.iter_rows(values_only=True)]
    assert values[0][0] == report.title and "（2026-04-01 至 2026-04-30）" in values[0][0]
    assert f"填报单位：{GUIFAN}" in values[1][0] and report.report_id in values[1][0]
    assert "第 1 版" in values[1][0] and "共 3 个检查对象" in values[1][0]
    assert list(values[2]) == list(report_files.HEADER)
    # 序号 a number, every other cell text (a USCC never becomes 9.1E+17); characters XML
    # cannot carry are dropped, the rest escaped and read back as they were.
    assert [[str(row[0]), *row[1:]] for row in values[3:]] == clean
    assert sheet["B4"].data_type == "s" and sheet["B4"].number_format == "@"
    assert sheet.freeze_panes == "A4"


async def test_the_same_report_gives_the_same_bytes() -> None:
    uow = uow_of(bureau())
    report = await service.submit_department_report(uow, GUIFAN, CHIEF, APRIL)
    kept = uow.reports.reports[report.report_id][1]
    assert report_files.to_xlsx(report) == kept["xlsx"]
    assert report_files.to_csv(report) == kept["csv"]
    later = replace(report, submitted_at=report.submitted_at + timedelta(seconds=2))
    assert report_files.to_xlsx(later) != kept["xlsx"]


async def test_a_file_that_no_longer_matches_its_hash_is_refused() -> None:
    uow = uow_of(bureau())
    report = await service.submit_department_report(uow, GUIFAN, CHIEF, APRIL)
    assert (
        await service.report_file(uow, report, "csv")
        == uow.reports.reports[report.report_id][1]["csv"]
    )
    uow.reports.reports[report.report_id][1]["csv"] += b"x"
    with pytest.raises(Corrupted, match="SHA-256"):
        await service.report_file(uow, report, "csv")


def test_only_a_submitted_form_that_counted_as_done_makes_a_line() -> None:
    from inspections.domain.reports import item_of

    with pytest.raises(ValueError, match="did not count as done"):
        item_of(inspected("i-ok", GUIFAN, NOW))
