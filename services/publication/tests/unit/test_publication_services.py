"""Publication use cases on fakes: versions, redelivery, corrections, the public view,
withheld results, plans and tasks, the deadline and the export rows."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from publication.domain import model
from publication.domain.model import (
    ResultRecord,
)
from publication.entrypoints.schemas import OverdueOut, PlanOut, ResultDetailOut, TaskOut
from publication.service_layer import services
from spotcheck_common.events.draws import TeamMember
from spotcheck_common.events.inspections import InspectionSubmitted, ItemResult
from spotcheck_common.events.objections import CorrectionGranted
from spotcheck_common.events.publication import (
    CorrectionSource,
    PublishDueSet,
    ResultCorrected,
    ResultPublished,
    ResultWithheld,
)
from spotcheck_common.events.types import (
    PendingReason,
    ResultCategory,
    TeamRole,
)
from spotcheck_common.testing import calendar_event
from spotcheck_common.workdays import WorkCalendar

from .fakes import FakePublicationRepository, FakePublicationUnitOfWork

USCC = "91371000MA3C000011"


def item(code: str, category: ResultCategory = ResultCategory.NO_PROBLEM, **kw: Any) -> ItemResult:
    names = {"A01": "营业执照公示情况", "A02": "年度报告公示情况", "B07": "食品经营许可"}
    return ItemResult(check_item_code=code, check_item_name=names[code], category=category, **kw)


def submitted(
    inspection_id: str = "insp-1", completed_on: date = date(2025, 9, 25)
) -> InspectionSubmitted:
    return InspectionSubmitted(
        inspection_id=inspection_id,
        task_id="task-1",
        task_no="LG-2025-007",
        task_title="2025年食品经营者双随机抽查",
        draw_id="draw-1",
        uscc=USCC,
        entity_name="威海临港某某食品有限公司",
        inspecting_authority="威海临港经济技术开发区市场监督管理局",
        team=[
            TeamMember(inspector_id="i1", name="张三", department="食品科", role=TeamRole.LEADER),
            TeamMember(inspector_id="i2", name="李四", department="食品科", role=TeamRole.MEMBER),
        ],
        results=[item("A01"), item("A02"), item("B07")],
        completed_on=completed_on,
        submitted_by="i1",
    )


def granted(
    request_id: str = "req-1",
    record_id: str = "",
    objection_id: str | None = "obj-1",
    **kw: object,
) -> CorrectionGranted:
    """The city bureau granted the credit department's request (第九条)."""
    values: dict[str, object] = {
        "request_id": request_id,
        "record_id": record_id,
        "task_id": "task-1",
        "uscc": USCC,
        "objection_id": objection_id,
        "source": "objection" if objection_id else "credit_department",
        "reason": "年报已按期公示，原记录有误",
        "corrected_results": [item("A02")],
        "request_no": "临市监信〔2025〕12号",
        "requested_on": date(2025, 10, 21),
        "requested_by": "credit-1",
        "reply_no": "威市监函〔2025〕88号",
        "replied_on": date(2025, 10, 24),
        "recorded_by": "credit-2",
    }
    values.update(kw)
    return CorrectionGranted.model_validate(values)


async def _published(repo: FakePublicationRepository) -> str:
    uow = FakePublicationUnitOfWork(repo, actor="i1")
    event = await services.publish_inspection(uow, submitted())
    assert event is not None
    return event.record_id


async def test_publishes_version_one_at_once_with_due_date() -> None:
    repo = FakePublicationRepository()
    uow = FakePublicationUnitOfWork(repo, actor="i1")
    event = await services.publish_inspection(uow, submitted())
    await uow.commit()
    assert event is not None and uow.events == [event]
    assert event.record_version == 1
    # Completed Thu 2025-09-25: 20 working days across National Day 2025 (Oct 1-8 off,
    # Sun Sep 28 and Sat Oct 11 worked) end on Oct 29.
    assert event.publish_due_on == date(2025, 10, 29)
    record = repo.records[event.record_id]
    assert record.publish_due_on == date(2025, 10, 29)
    assert record.task_no == "LG-2025-007" and record.uscc == USCC
    assert [v.version for v in await repo.versions(event.record_id)] == [1]


async def test_same_inspection_again_publishes_nothing() -> None:
    repo = FakePublicationRepository()
    await _published(repo)
    uow = FakePublicationUnitOfWork(repo)
    assert await services.publish_inspection(uow, submitted()) is None
    await uow.commit()
    assert uow.events == [] and len(repo.records) == 1 and len(repo.versions_) == 1


async def test_a_result_formed_before_next_years_calendar_is_published_with_a_pending_date() -> (
    None
):
    repo = FakePublicationRepository()
    uow = FakePublicationUnitOfWork(repo)
    # Formed Thu 2026-12-10: 20 working days reach into 2027, not yet recorded.
    event = await services.publish_inspection(uow, submitted(completed_on=date(2026, 12, 10)))
    assert event is not None and event.publish_due_on is None and event.calendar_version is None
    (record,) = repo.records.values()
    assert record.publish_deadline.status == "pending_calendar"
    assert record.publish_due_pending == 2027
    view = ResultDetailOut.of(record, await repo.versions(record.record_id)).model_dump(mode="json")
    assert view["publish_due_status"] == "pending_calendar" and not view["published_late"]
    assert "2027 年的节假日安排" in view["publish_due_reason"]
    # The general office records 2027 (made-up schedule: Jan 1-3 off): due Fri 2027-01-08.
    recorder = FakePublicationUnitOfWork(repo)
    with_2027 = WorkCalendar([calendar_event().schedule()])
    (changed,) = await services.calendar_recorded(recorder, with_2027, 2027)
    assert changed.publish_due_on == date(2027, 1, 8)
    assert repo.records[record.record_id].publish_due_calendar == "2026/holidays-0.109,2027/v1"
    (due_set,) = recorder.uncommitted
    assert isinstance(due_set, PublishDueSet) and due_set.publish_due_on == date(2027, 1, 8)
    assert due_set.inspection_id == record.inspection_id
    # Nothing reads 2028: recording it changes nothing.
    assert await services.calendar_recorded(FakePublicationUnitOfWork(repo), with_2027, 2028) == []


async def test_objection_correction_is_a_new_version_that_keeps_the_old() -> None:
    repo = FakePublicationRepository()
    record_id = await _published(repo)
    uow = FakePublicationUnitOfWork(repo, actor="reviewer-1")
    change = item("A02", ResultCategory.PROBLEM_CORRECTED, remark="已责令改正")
    corrected = await services.correct_on_grant(
        uow, granted(record_id=record_id, corrected_results=[change])
    )
    await uow.commit()
    assert isinstance(corrected, ResultCorrected) and uow.events == [corrected]
    assert (corrected.record_version, corrected.supersedes_version) == (2, 1)
    assert corrected.objection_id == "obj-1" and corrected.source == CorrectionSource.OBJECTION
    assert corrected.submitted_by == "credit-1"  # 第九条: through the credit department
    v1, v2 = await repo.versions(record_id)
    assert [r.category for r in v1.results] == [ResultCategory.NO_PROBLEM] * 3  # untouched
    assert [r.category for r in v2.results] == [
        ResultCategory.NO_PROBLEM,
        ResultCategory.PROBLEM_CORRECTED,
        ResultCategory.NO_PROBLEM,
    ]
    assert v2.reason == "年报已按期公示，原记录有误" and "异议复查更正" in v2.remark
    assert "威市监函〔2025〕88号" in v2.remark  # the city's grant, in public
    assert v2.submitted_by == "credit-1" and v1.submitted_by is None
    assert v2.request_id == "req-1" and v1.request_id is None


async def test_same_grant_twice_adds_one_version() -> None:
    repo = FakePublicationRepository()
    record_id = await _published(repo)
    event = granted(
        record_id=record_id, corrected_results=[item("A02", ResultCategory.NO_ACTIVITY)]
    )
    assert await services.correct_on_grant(FakePublicationUnitOfWork(repo), event) is not None
    uow = FakePublicationUnitOfWork(repo)
    assert await services.correct_on_grant(uow, event) is None
    # A grant for an objection corrected before city requests existed adds nothing either.
    other = event.model_copy(update={"request_id": "req-2"})
    assert await services.correct_on_grant(uow, other) is None
    await uow.commit()
    assert uow.events == [] and len(await repo.versions(record_id)) == 2


def test_publication_acts_on_the_citys_grant_only() -> None:
    """第九条: not on the review's decision, nor the request, nor a refusal, nor a submission
    of the flow before city requests."""
    from publication.entrypoints.consumers import subscriptions
    from spotcheck_common.events import objections

    events = {s.event for s in subscriptions}
    assert CorrectionGranted in events
    for never in (
        objections.ObjectionDecided,
        objections.CorrectionRequested,
        objections.CorrectionRefused,
        objections.ObjectionCorrectionSubmitted,
    ):
        assert never not in events


async def test_an_error_the_bureau_found_is_published_on_the_grant() -> None:
    repo = FakePublicationRepository()
    record_id = await _published(repo)
    uow = FakePublicationUnitOfWork(repo, actor="system")
    change = item("B07", ResultCategory.PROBLEM_PENDING, pending_reason=PendingReason.NOT_DISCLOSED)
    grant = granted(
        record_id=record_id, objection_id=None, corrected_results=[change], reason="录入错误"
    )
    corrected = await services.correct_on_grant(uow, grant)
    assert corrected is not None and uow.uncommitted == [corrected]
    assert corrected.source == CorrectionSource.CREDIT_DEPARTMENT and corrected.objection_id is None
    versions = await repo.versions(record_id)
    assert versions[-1].version == 2 and versions[-1].submitted_by == "credit-1"
    assert corrected.submitted_by == "credit-1"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ([], "至少一个"),
        (
            [
                ItemResult(
                    check_item_code="Z99", check_item_name="x", category=ResultCategory.NO_PROBLEM
                )
            ],
            "不在",
        ),
        ([item("A01", ResultCategory.NO_ACTIVITY), item("A01")], "重复"),
        (
            [
                ItemResult(
                    check_item_code="A01",
                    check_item_name="别的名称",
                    category=ResultCategory.NO_ACTIVITY,
                )
            ],
            "名称",
        ),
        ([item("A01", pending_reason=PendingReason.OTHER)], "后续处理原因"),
    ],
)
async def test_invalid_corrections_write_nothing(changes: list[ItemResult], message: str) -> None:
    repo = FakePublicationRepository()
    record_id = await _published(repo)
    uow = FakePublicationUnitOfWork(repo)
    with pytest.raises(model.InvalidCorrection, match=message):
        await services.correct_on_grant(
            uow, granted(record_id=record_id, objection_id=None, corrected_results=changes)
        )
    assert uow.events == [] and len(repo.versions_) == 1


async def test_unknown_record_is_refused() -> None:
    with pytest.raises(services.RecordNotFound):
        await services.correct_on_grant(FakePublicationUnitOfWork(), granted(record_id="nope"))


async def test_public_view_marks_current_and_superseded() -> None:
    repo = FakePublicationRepository()
    record_id = await _published(repo)
    for n, category in enumerate([ResultCategory.NO_ACTIVITY, ResultCategory.PROBLEM_CORRECTED]):
        await services.correct_on_grant(
            FakePublicationUnitOfWork(repo),
            granted(
                request_id=f"r{n}",
                objection_id=f"o{n}",
                record_id=record_id,
                corrected_results=[item("A01", category)],
            ),
        )
    view = ResultDetailOut.of(repo.records[record_id], await repo.versions(record_id)).model_dump(
        mode="json"
    )
    assert [(v["version"], v["status"], v["superseded_by_version"]) for v in view["versions"]] == [
        (1, "superseded", 2),
        (2, "superseded", 3),
        (3, "current", None),
    ]
    assert view["current_version"] == 3 and view["corrected"] is True
    assert view["results"][0]["category"] == ResultCategory.PROBLEM_CORRECTED.value
    for key in (
        "plan_no",
        "plan_name",
        "task_no",
        "task_name",
        "check_type",
        "inspecting_authority",
        "completed_on",
        "results",
        "remark",
        "uscc",
    ):
        assert key in view


async def test_changed_resubmission_is_not_republished(caplog: pytest.LogCaptureFixture) -> None:
    repo = FakePublicationRepository()
    await _published(repo)
    changed = submitted().model_copy(update={"results": [item("A01", ResultCategory.NO_ACTIVITY)]})
    uow = FakePublicationUnitOfWork(repo)
    assert await services.publish_inspection(uow, changed) is None
    await uow.commit()
    assert uow.events == [] and len(repo.versions_) == 1
    assert "not republished" in caplog.text


async def test_check_type_from_the_inspection_is_published() -> None:
    repo = FakePublicationRepository()
    uow = FakePublicationUnitOfWork(repo)
    event = submitted().model_copy(update={"check_type": "定向抽查"})
    published = await services.publish_inspection(uow, event)
    assert published is not None and published.check_type == "定向抽查"
    assert repo.records[published.record_id].check_type == "定向抽查"


# -- withheld results (第九条: 依法依规不予公开的除外) ---------------------------------------------


async def test_withheld_result_is_recorded_not_published() -> None:
    repo = FakePublicationRepository()
    uow = FakePublicationUnitOfWork(repo, actor="i1")
    event = submitted().model_copy(update={"withhold_reason": "涉及国家秘密，依法不予公开"})
    out = await services.publish_inspection(uow, event)
    await uow.commit()
    assert isinstance(out, ResultWithheld) and uow.events == [out]
    assert out.reason == "涉及国家秘密，依法不予公开" and out.inspection_id == "insp-1"
    assert repo.records == {} and repo.versions_ == []
    kept = repo.withheld["insp-1"]
    assert kept.reason == out.reason and len(kept.results) == 3
    assert kept.lead_department == "食品科"  # the team leader's, no task published


async def test_withheld_result_redelivered_or_resubmitted_stays_withheld() -> None:
    repo = FakePublicationRepository()
    event = submitted().model_copy(update={"withhold_reason": "商业秘密"})
    await services.publish_inspection(FakePublicationUnitOfWork(repo), event)
    for again in (event, submitted()):  # the same, and once more without the reason
        uow = FakePublicationUnitOfWork(repo)
        assert await services.publish_inspection(uow, again) is None
        await uow.commit()
        assert uow.events == []
    assert repo.records == {} and len(repo.withheld) == 1


async def test_withhold_reason_after_publication_does_not_unpublish() -> None:
    repo = FakePublicationRepository()
    await _published(repo)
    uow = FakePublicationUnitOfWork(repo)
    late = submitted().model_copy(update={"withhold_reason": "商业秘密"})
    assert await services.publish_inspection(uow, late) is None
    assert repo.withheld == {} and len(repo.records) == 1


# -- plans and tasks (第四条, 第六条) ------------------------------------------------------------


def plan_event(version: int, **kw: Any) -> Any:
    from spotcheck_common.events.planning import AnnualPlanPublished

    values: dict[str, Any] = {
        "plan_id": "plan-1",
        "plan_no": "LG-JH-2025-01",
        "plan_name": "2025年度食品经营监管科随机抽查工作计划",
        "department": "食品经营监管科",
        "year": 2025,
        "plan_version": version,
        "supersedes_version": version - 1 if version > 1 else None,
        "adjustment_reason": "市局新增抽查事项" if version > 1 else "",
        "items": [
            {
                "check_item_code": "A01",
                "check_item_name": "营业执照公示情况",
                "scope": "辖区食品经营者",
                "period_from": "2025-03-01",
                "period_to": "2025-11-30",
                "ratio_bp": {"A": 300, "E": 5000},
            }
        ],
        "signed_by": "fuju",
        "consolidated_by": "xinyong",
        "approved_by": "juzhang-bangonghui",
        "filed_on": "2025-02-20",
        "published_at": f"2025-0{2 + version}-01T02:00:00+00:00",
    }
    values.update(kw)
    return AnnualPlanPublished.model_validate(values)


def task_event(**kw: Any) -> Any:
    from spotcheck_common.events.planning import TaskPublished

    values: dict[str, Any] = {
        "task_id": "task-1",
        "task_no": "LG-2025-007",
        "title": "2025年食品经营者双随机抽查",
        "plan_no": "LG-JH-2025-01",
        "plan_name": "2025年度食品经营监管科随机抽查工作计划",
        "lead_department": "食品经营监管科",
        "co_lead_departments": ["市场规范管理科"],
        "check_items": [{"code": "A01", "name": "营业执照公示情况"}],
        "target_filter": {"industries": ["餐饮业"]},
        "ratio_bp": {"A": 250, "E": 5000},
        "methods": ["现场检查"],
        "deadline": "2025-11-30",
        "source": "city",
        "published_at": "2025-04-01T02:00:00+00:00",
    }
    values.update(kw)
    return TaskPublished.model_validate(values)


async def test_every_plan_version_is_kept_once() -> None:
    repo = FakePublicationRepository()
    assert await services.record_plan(FakePublicationUnitOfWork(repo), plan_event(1))
    assert await services.record_plan(FakePublicationUnitOfWork(repo), plan_event(2))
    assert not await services.record_plan(FakePublicationUnitOfWork(repo), plan_event(1))
    assert [p.plan_version for p in repo.plans] == [1, 2]
    v1, v2 = (PlanOut.of(p, 2).model_dump(mode="json") for p in repo.plans)
    assert (v1["status"], v1["status_label"]) == ("superseded", "已调整（被新版本取代）")
    assert (v2["status"], v2["supersedes_version"]) == ("current", 1)
    assert v2["adjustment_reason"] == "市局新增抽查事项"
    assert v2["items"][0]["ratio"] == "A类 3%；E类 50%"


async def test_task_is_kept_and_its_lead_department_answers_for_results() -> None:
    repo = FakePublicationRepository()
    assert await services.record_task(FakePublicationUnitOfWork(repo), task_event())
    older = task_event(title="旧标题", published_at="2025-03-01T00:00:00+00:00")
    assert not await services.record_task(FakePublicationUnitOfWork(repo), older)
    view = TaskOut.of(repo.tasks["task-1"]).model_dump(mode="json")
    assert view["title"] == "2025年食品经营者双随机抽查"
    assert view["source_label"] == "市局下派" and view["ratio"] == "A类 2.5%；E类 50%"
    assert view["target_scope"] == "行业：餐饮业"
    published = await services.publish_inspection(FakePublicationUnitOfWork(repo), submitted())
    assert isinstance(published, ResultPublished)
    assert published.lead_department == "食品经营监管科"  # the task's, not the leader's 食品科


# -- the 20-working-day deadline and the export -------------------------------------------------


async def test_late_publication_is_overdue_across_national_day() -> None:
    from datetime import UTC, datetime

    repo = FakePublicationRepository()
    # Formed Thu 2025-09-25; due Wed 2025-10-29 (Oct 1-8 off, Sep 28 and Oct 11 worked).
    on_time = submitted(completed_on=date(2025, 9, 25))
    published = await services.publish_inspection(FakePublicationUnitOfWork(repo), on_time)
    assert isinstance(published, ResultPublished)
    record = repo.records[published.record_id]

    def at(day: datetime) -> ResultRecord:
        return ResultRecord(**{**record.__dict__, "published_at": day})

    # 23:59 Beijing on the due day is in time; 00:00 Beijing the next day is late.
    assert not model.publication_overdue(at(datetime(2025, 10, 29, 15, 59, tzinfo=UTC)))
    late = at(datetime(2025, 10, 29, 16, 0, tzinfo=UTC))
    assert model.publication_overdue(late)
    view = OverdueOut.of(late, WorkCalendar()).model_dump(mode="json")
    assert view["publish_due_on"] == "2025-10-29" and view["published_on"] == "2025-10-30"
    assert view["workdays_late"] == 1 and view["department"] == "食品科"


def test_gauge_counts_per_department_and_zeroes_what_is_gone() -> None:
    from datetime import UTC, datetime

    from prometheus_client import REGISTRY

    from publication.entrypoints import periodic as overdue

    def rec(n: int, dept: str) -> ResultRecord:
        return ResultRecord(
            record_id=f"r{n}",
            inspection_id=f"i{n}",
            task_id="t",
            task_no="T",
            task_title="t",
            plan_no="",
            plan_name="",
            check_type="",
            inspecting_authority="局",
            uscc=USCC,
            entity_name="e",
            completed_on=date(2025, 9, 1),
            publish_due_on=date(2025, 9, 29),
            published_at=datetime(2025, 11, 1, tzinfo=UTC),
            published_by="x",
            lead_department=dept,
        )

    def value(dept: str) -> float | None:
        return REGISTRY.get_sample_value(
            "spotcheck_overdue_items",
            {"source": "publication", "kind": "result_publication", "department": dept},
        )

    overdue.set_gauge([rec(1, "食品科"), rec(2, "食品科"), rec(3, "")])
    assert value("食品科") == 2 and value("未指定") == 1
    overdue.set_gauge([rec(3, "")])
    assert value("食品科") == 0 and value("未指定") == 1  # 0, not absent: alerts compare
    overdue.set_gauge([])
    assert value("未指定") == 0


async def test_export_rows_follow_the_national_fields_and_mark_corrections() -> None:
    repo = FakePublicationRepository()
    event = submitted().model_copy(
        update={"plan_no": "LG-JH-2025-01", "plan_name": "年度计划", "check_type": "定向抽查"}
    )
    published = await services.publish_inspection(FakePublicationUnitOfWork(repo), event)
    assert isinstance(published, ResultPublished)
    record = repo.records[published.record_id]
    (v1,) = await repo.versions(record.record_id)
    rows = model.export_rows(record, v1)
    assert [list(r) for r in rows] == [model.EXPORT_COLUMNS] * 3
    assert rows[0]["抽查计划编号"] == "LG-JH-2025-01" and rows[0]["抽查类型"] == "定向抽查"
    assert rows[0]["完成日期"] == "2025-09-25" and rows[0]["统一社会信用代码"] == USCC
    assert rows[0]["检查结果"] == "未发现问题" and rows[0]["备注"] == ""
    change = item("B07", ResultCategory.PROBLEM_PENDING, pending_reason=PendingReason.NOT_DISCLOSED)
    grant = granted(
        record_id=record.record_id, objection_id=None, corrected_results=[change], reason="录入错误"
    )
    await services.correct_on_grant(FakePublicationUnitOfWork(repo, actor="credit-1"), grant)
    current = (await repo.versions(record.record_id))[-1]
    rows = model.export_rows(record, current)
    assert rows[2]["检查结果"] == "发现问题待后续处理（未按规定公示应当公示的信息）"
    grant = "经市局 2025-10-24 批复同意更正，威市监函〔2025〕88号"
    assert all(r["备注"].startswith(f"更正（第2版，更正第1版，{grant}）：录入错误") for r in rows)


async def test_not_inspected_reason_is_the_public_remark_and_exported() -> None:
    repo = FakePublicationRepository()
    event = submitted().model_copy(
        update={
            "not_inspected_reason": "通过登记的住所（经营场所）无法联系",
            "results": [
                item(
                    "A01", ResultCategory.PROBLEM_PENDING, pending_reason=PendingReason.UNREACHABLE
                )
            ],
        }
    )
    published = await services.publish_inspection(FakePublicationUnitOfWork(repo), event)
    assert isinstance(published, ResultPublished)
    assert published.remark == "未实施检查，视为完成抽查：通过登记的住所（经营场所）无法联系"
    (v1,) = await repo.versions(published.record_id)
    (row,) = model.export_rows(repo.records[published.record_id], v1)
    assert row["备注"] == published.remark
    assert row["检查结果"] == "发现问题待后续处理（通过登记的住所（经营场所）无法联系）"
