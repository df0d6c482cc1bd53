"""Publication use cases on fakes: versions, redelivery, corrections, the public view."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from publication.domain import model
from publication.domain.model import ResultRecord, ResultVersion
from publication.service_layer import services
from spotcheck_common.events.draws import TeamMember
from spotcheck_common.events.inspections import InspectionSubmitted, ItemResult
from spotcheck_common.events.objections import ObjectionDecided
from spotcheck_common.events.publication import CorrectionSource, ResultCorrected
from spotcheck_common.events.types import (
    ObjectionDecision,
    PendingReason,
    ResultCategory,
    TeamRole,
)
from spotcheck_common.testing import FakeUnitOfWork

USCC = "91371000MA3C000011"


class FakeRepo:
    def __init__(self) -> None:
        self.records: dict[str, ResultRecord] = {}
        self.versions_: list[ResultVersion] = []

    async def get_record(self, record_id: str, lock: bool = False) -> ResultRecord | None:
        return self.records.get(record_id)

    async def get_record_by_inspection(self, inspection_id: str) -> ResultRecord | None:
        return next((r for r in self.records.values() if r.inspection_id == inspection_id), None)

    async def versions(self, record_id: str) -> list[ResultVersion]:
        return sorted(
            (v for v in self.versions_ if v.record_id == record_id), key=lambda v: v.version
        )

    async def version_for_objection(self, objection_id: str) -> ResultVersion | None:
        return next((v for v in self.versions_ if v.objection_id == objection_id), None)

    async def add_record(self, record: ResultRecord) -> None:
        assert record.record_id not in self.records
        self.records[record.record_id] = record

    async def add_version(self, version: ResultVersion) -> None:
        assert all(
            (v.record_id, v.version) != (version.record_id, version.version) for v in self.versions_
        )
        self.versions_.append(version)


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


def decided(objection_id: str = "obj-1", record_id: str = "", **kw: object) -> ObjectionDecided:
    values: dict[str, object] = {
        "objection_id": objection_id,
        "record_id": record_id,
        "task_id": "task-1",
        "uscc": USCC,
        "decision": ObjectionDecision.CORRECTED,
        "reason": "年报已按期公示，原记录有误",
        "reviewer": "reviewer-1",
        "corrected_results": [item("A02")],
        "decided_on": date(2025, 10, 20),
    }
    values.update(kw)
    return ObjectionDecided.model_validate(values)


async def _published(repo: FakeRepo) -> str:
    uow = FakeUnitOfWork(actor="i1")
    event = await services.publish_inspection(uow, repo, submitted())
    assert event is not None
    return event.record_id


async def test_publishes_version_one_at_once_with_due_date() -> None:
    repo, uow = FakeRepo(), FakeUnitOfWork(actor="i1")
    event = await services.publish_inspection(uow, repo, submitted())
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
    repo = FakeRepo()
    await _published(repo)
    uow = FakeUnitOfWork()
    assert await services.publish_inspection(uow, repo, submitted()) is None
    await uow.commit()
    assert uow.events == [] and len(repo.records) == 1 and len(repo.versions_) == 1


async def test_publish_due_on_is_none_outside_the_calendar() -> None:
    repo, uow = FakeRepo(), FakeUnitOfWork()
    event = await services.publish_inspection(uow, repo, submitted(completed_on=date(2099, 6, 1)))
    assert event is not None and event.publish_due_on is None


async def test_objection_correction_is_a_new_version_that_keeps_the_old() -> None:
    repo = FakeRepo()
    record_id = await _published(repo)
    uow = FakeUnitOfWork(actor="reviewer-1")
    change = item("A02", ResultCategory.PROBLEM_CORRECTED, remark="已责令改正")
    corrected = await services.correct_from_objection(
        uow, repo, decided(record_id=record_id, corrected_results=[change])
    )
    await uow.commit()
    assert isinstance(corrected, ResultCorrected) and uow.events == [corrected]
    assert (corrected.record_version, corrected.supersedes_version) == (2, 1)
    assert corrected.objection_id == "obj-1" and corrected.source == CorrectionSource.OBJECTION
    v1, v2 = await repo.versions(record_id)
    assert [r.category for r in v1.results] == [ResultCategory.NO_PROBLEM] * 3  # untouched
    assert [r.category for r in v2.results] == [
        ResultCategory.NO_PROBLEM,
        ResultCategory.PROBLEM_CORRECTED,
        ResultCategory.NO_PROBLEM,
    ]
    assert v2.reason == "年报已按期公示，原记录有误" and "异议复查更正" in v2.remark


async def test_same_objection_twice_adds_one_version() -> None:
    repo = FakeRepo()
    record_id = await _published(repo)
    event = decided(
        record_id=record_id, corrected_results=[item("A02", ResultCategory.NO_ACTIVITY)]
    )
    assert await services.correct_from_objection(FakeUnitOfWork(), repo, event) is not None
    uow = FakeUnitOfWork()
    assert await services.correct_from_objection(uow, repo, event) is None
    await uow.commit()
    assert uow.events == [] and len(await repo.versions(record_id)) == 2


async def test_upheld_decision_changes_nothing() -> None:
    repo = FakeRepo()
    record_id = await _published(repo)
    uow = FakeUnitOfWork()
    event = decided(record_id=record_id, decision=ObjectionDecision.UPHELD, corrected_results=[])
    assert await services.correct_from_objection(uow, repo, event) is None
    assert len(await repo.versions(record_id)) == 1


async def test_credit_department_correction_commits_a_version() -> None:
    repo = FakeRepo()
    record_id = await _published(repo)
    uow = FakeUnitOfWork(actor="credit-dept")
    change = item("B07", ResultCategory.PROBLEM_PENDING, pending_reason=PendingReason.NOT_DISCLOSED)
    corrected = await services.correct_by_credit_department(
        uow, repo, record_id, [change], "录入错误"
    )
    assert uow.committed and uow.events == [corrected]
    assert corrected.source == CorrectionSource.CREDIT_DEPARTMENT and corrected.objection_id is None
    versions = await repo.versions(record_id)
    assert versions[-1].published_by == "credit-dept" and versions[-1].version == 2


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
        ([item("A01")], "相同"),
        ([item("A01", pending_reason=PendingReason.OTHER)], "后续处理原因"),
    ],
)
async def test_invalid_corrections_write_nothing(changes: list[ItemResult], message: str) -> None:
    repo = FakeRepo()
    record_id = await _published(repo)
    uow = FakeUnitOfWork()
    with pytest.raises(model.InvalidCorrection, match=message):
        await services.correct_by_credit_department(uow, repo, record_id, changes, "理由")
    assert not uow.committed and len(repo.versions_) == 1


async def test_unknown_record_is_refused() -> None:
    with pytest.raises(services.RecordNotFound):
        await services.correct_by_credit_department(
            FakeUnitOfWork(), FakeRepo(), "nope", [item("A01", ResultCategory.NO_ACTIVITY)], "r"
        )


async def test_public_view_marks_current_and_superseded() -> None:
    repo = FakeRepo()
    record_id = await _published(repo)
    for n, category in enumerate([ResultCategory.NO_ACTIVITY, ResultCategory.PROBLEM_CORRECTED]):
        await services.correct_from_objection(
            FakeUnitOfWork(),
            repo,
            decided(
                objection_id=f"o{n}", record_id=record_id, corrected_results=[item("A01", category)]
            ),
        )
    view = model.public_view(repo.records[record_id], await repo.versions(record_id))
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
    repo = FakeRepo()
    await _published(repo)
    changed = submitted().model_copy(update={"results": [item("A01", ResultCategory.NO_ACTIVITY)]})
    uow = FakeUnitOfWork()
    assert await services.publish_inspection(uow, repo, changed) is None
    await uow.commit()
    assert uow.events == [] and len(repo.versions_) == 1
    assert "not republished" in caplog.text


async def test_check_type_from_the_inspection_is_published() -> None:
    repo, uow = FakeRepo(), FakeUnitOfWork()
    event = submitted().model_copy(update={"check_type": "定向抽查"})
    published = await services.publish_inspection(uow, repo, event)
    assert published is not None and published.check_type == "定向抽查"
    assert repo.records[published.record_id].check_type == "定向抽查"
