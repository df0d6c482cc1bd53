"""A product's inspection (ADR 0011 decision 5): its fields from the draw, its samples (抽样),
and a submission that needs a sample, the sampling form and the lab report."""

from __future__ import annotations

from datetime import timedelta

import pytest

from inspections.domain.model import (
    InspectionStatus,
    NotAllowed,
    NotInspected,
    ResultsInvalid,
    StateRefused,
)
from inspections.service_layer import services
from spotcheck_common.events.inspections import AttachmentKind, InspectionSubmitted
from spotcheck_common.objects import ObjectKind

from .factories import (
    DETAILS,
    LEADER,
    MEMBER,
    NOW,
    PRODUCT,
    TODAY,
    USCC_1,
    all_clear,
    draw_completed,
    product_inspection,
    sample,
    target,
    task_approved,
)
from .fakes import FakeInspectionRepository, FakeInspectionsUnitOfWork

FILES = (AttachmentKind.SAMPLING_FORM, AttachmentKind.LAB_REPORT)


async def opened(repo: FakeInspectionRepository, uscc: str = PRODUCT) -> str:
    """A product drawn in a task: its inspection, opened as the draw's consumer opens it."""
    await services.task_approved(FakeInspectionsUnitOfWork(repo), task_approved(), NOW)
    drawn = target(uscc).model_copy(update={"details": DETAILS if uscc == PRODUCT else {}})
    (found,) = await services.draw_completed(
        FakeInspectionsUnitOfWork(repo), draw_completed("task-1", drawn), NOW
    )
    return found.inspection_id


async def signed(repo: FakeInspectionRepository, inspection_id: str) -> None:
    await services.record_results(
        FakeInspectionsUnitOfWork(repo), inspection_id, LEADER, all_clear(), NOW
    )
    for who in (LEADER, MEMBER):
        await services.sign(FakeInspectionsUnitOfWork(repo), inspection_id, who, NOW)


async def attach(repo: FakeInspectionRepository, inspection_id: str, kind: AttachmentKind) -> None:
    await services.add_attachment(
        FakeInspectionsUnitOfWork(repo),
        inspection_id,
        MEMBER,
        kind,
        f"{kind}.pdf",
        "application/pdf",
        b"%PDF scan",
        NOW,
    )


def reasons(exc: pytest.ExceptionInfo[ResultsInvalid]) -> dict[str, str]:
    return {e.field: e.reason for e in exc.value.errors}


# -- the object's fields --------------------------------------------------------------------


async def test_the_inspection_keeps_the_products_fields_from_the_draw() -> None:
    repo = FakeInspectionRepository()
    inspection_id = await opened(repo)
    kept = repo.inspections[inspection_id]
    assert kept.details == DETAILS and kept.object_kind is ObjectKind.PRODUCT
    assert kept.samples == []


# -- recording samples ----------------------------------------------------------------------


async def test_the_leader_records_the_samples_and_may_replace_them() -> None:
    repo = FakeInspectionRepository()
    inspection_id = await opened(repo)
    uow = FakeInspectionsUnitOfWork(repo)
    await services.record_samples(uow, inspection_id, LEADER, [sample(), sample("YP-002")], NOW)
    assert uow.committed
    assert [s.sample_no for s in repo.inspections[inspection_id].samples] == ["YP-001", "YP-002"]
    await services.record_samples(
        FakeInspectionsUnitOfWork(repo), inspection_id, LEADER, [sample("YP-009")], NOW
    )
    assert [s.sample_no for s in repo.inspections[inspection_id].samples] == ["YP-009"]
    recorded = [h for h in repo.histories[inspection_id] if h["action"] == "samples_recorded"]
    assert [h["detail"]["samples"][0]["sample_no"] for h in recorded] == ["YP-001", "YP-009"]
    # The same list again is not a change: nothing written, nothing logged.
    again = FakeInspectionsUnitOfWork(repo)
    await services.record_samples(again, inspection_id, LEADER, [sample("YP-009")], NOW)
    assert not again.committed


async def test_only_the_leader_records_samples() -> None:
    repo = FakeInspectionRepository()
    inspection_id = await opened(repo)
    for who in (MEMBER, "LG-050"):
        with pytest.raises(NotAllowed):
            await services.record_samples(
                FakeInspectionsUnitOfWork(repo), inspection_id, who, [sample()], NOW
            )
    assert repo.inspections[inspection_id].samples == []


async def test_samples_are_a_products_only() -> None:
    repo = FakeInspectionRepository()
    inspection_id = await opened(repo, USCC_1)
    with pytest.raises(ResultsInvalid) as refused:
        await services.record_samples(
            FakeInspectionsUnitOfWork(repo), inspection_id, LEADER, [sample()], NOW
        )
    assert reasons(refused) == {"samples": "只有产品的检查登记抽样，本检查对象为市场主体"}
    assert refused.value.reason.startswith("不能登记抽样")


def test_each_sample_is_numbered_once_sealed_with_a_seal_number_and_taken_in_the_window() -> None:
    i = product_inspection()
    before_the_draw = TODAY - timedelta(days=1)
    with pytest.raises(ResultsInvalid) as refused:
        i.record_samples(
            LEADER,
            [
                sample("YP-001"),
                sample("YP-001", seal_no="FT-2"),
                sample("YP-003", seal_no=" "),
                sample("YP-004", sealed=False),
                sample("YP-005", taken_on=TODAY + timedelta(days=1)),
                sample("YP-006", taken_on=before_the_draw),
                sample("YP-007", quantity=" ", testing_body=" "),
            ],
            NOW,
        )
    assert reasons(refused) == {
        "samples[0].sample_no": "样品编号「YP-001」重复",
        "samples[1].sample_no": "样品编号「YP-001」重复",
        "samples[2].seal_no": "已封样的须填写封条编号",
        "samples[3].seal_no": "未封样的不填写封条编号",
        "samples[4].taken_on": "抽样日期不能晚于今天（2026-04-01）",
        "samples[5].taken_on": "抽样日期不能早于抽取完成、检查任务下达之日",
        "samples[6].quantity": "不能为空",
        "samples[6].testing_body": "不能为空",
    }
    assert i.samples == [] and [e.action for e in i.new_log] == ["opened"]
    # Not sealed, no seal number: a sample like any other.
    i.record_samples(LEADER, [sample("YP-008", sealed=False, seal_no="")], NOW)
    assert i.samples[0].sealed is False


def test_changing_the_samples_clears_the_signatures_they_confirmed() -> None:
    i = product_inspection()
    i.record_samples(LEADER, [sample()], NOW)
    i.record_results(LEADER, all_clear(), NOW)
    i.sign(LEADER, NOW)
    i.sign(MEMBER, NOW)
    assert i.status is InspectionStatus.SIGNED
    assert i.record_samples(LEADER, [sample(), sample("YP-002")], NOW) is True
    assert i.signatures == {} and i.status is InspectionStatus.RECORDED
    assert i.new_log[-1].detail["signatures_cleared"] == [LEADER, MEMBER]


async def test_no_samples_after_submission() -> None:
    repo = FakeInspectionRepository()
    inspection_id = await opened(repo)
    await services.record_samples(
        FakeInspectionsUnitOfWork(repo), inspection_id, LEADER, [sample()], NOW
    )
    for kind in FILES:
        await attach(repo, inspection_id, kind)
    await signed(repo, inspection_id)
    await services.submit(FakeInspectionsUnitOfWork(repo), inspection_id, LEADER, now=NOW)
    with pytest.raises(StateRefused):
        await services.record_samples(
            FakeInspectionsUnitOfWork(repo), inspection_id, LEADER, [], NOW
        )
    assert len(repo.inspections[inspection_id].samples) == 1


# -- submission -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("missing", "reason"),
    [
        ("samples", "至少登记一个样品"),
        (AttachmentKind.SAMPLING_FORM, "缺少抽样单（sampling_form）附件"),
        (AttachmentKind.LAB_REPORT, "缺少检验报告（lab_report）附件"),
    ],
)
async def test_a_product_is_not_submitted_without_each_of_the_three(
    missing: str, reason: str
) -> None:
    repo = FakeInspectionRepository()
    inspection_id = await opened(repo)
    if missing != "samples":
        await services.record_samples(
            FakeInspectionsUnitOfWork(repo), inspection_id, LEADER, [sample()], NOW
        )
    for kind in FILES:
        if kind != missing:
            await attach(repo, inspection_id, kind)
    await signed(repo, inspection_id)
    uow = FakeInspectionsUnitOfWork(repo)
    with pytest.raises(ResultsInvalid) as refused:
        await services.submit(uow, inspection_id, LEADER, now=NOW)
    assert [e.reason for e in refused.value.errors] == [reason]
    assert refused.value.reason.startswith("产品抽样检测材料不全，不能提交")
    assert repo.inspections[inspection_id].status is InspectionStatus.SIGNED
    assert uow.events == [] and uow.uncommitted == []


async def test_a_product_with_its_samples_and_both_files_is_submitted_with_them() -> None:
    repo = FakeInspectionRepository()
    inspection_id = await opened(repo)
    await services.record_samples(
        FakeInspectionsUnitOfWork(repo), inspection_id, LEADER, [sample()], NOW
    )
    await attach(repo, inspection_id, AttachmentKind.SAMPLING_FORM)
    await attach(repo, inspection_id, AttachmentKind.LAB_REPORT)
    await signed(repo, inspection_id)
    uow = FakeInspectionsUnitOfWork(repo)
    await services.submit(uow, inspection_id, LEADER, now=NOW)
    (sent,) = [e for e in uow.events if isinstance(e, InspectionSubmitted)]
    assert sent.uscc == PRODUCT and sent.details == DETAILS
    assert sent.samples == [sample()]
    assert repo.inspections[inspection_id].status is InspectionStatus.SUBMITTED


async def test_a_product_not_inspected_counts_as_done_without_sampling() -> None:
    repo = FakeInspectionRepository()
    inspection_id = await opened(repo)
    await services.record_results(
        FakeInspectionsUnitOfWork(repo),
        inspection_id,
        LEADER,
        [],
        NOW,
        not_inspected=NotInspected(reason="unreachable"),
    )
    for who in (LEADER, MEMBER):
        await services.sign(FakeInspectionsUnitOfWork(repo), inspection_id, who, NOW)
    uow = FakeInspectionsUnitOfWork(repo)
    await services.submit(uow, inspection_id, LEADER, now=NOW)
    (sent,) = [e for e in uow.events if isinstance(e, InspectionSubmitted)]
    assert sent.samples == [] and sent.not_inspected_reason


async def test_other_objects_are_submitted_as_before_without_samples_or_files() -> None:
    repo = FakeInspectionRepository()
    inspection_id = await opened(repo, USCC_1)
    await signed(repo, inspection_id)
    uow = FakeInspectionsUnitOfWork(repo)
    await services.submit(uow, inspection_id, LEADER, now=NOW)
    (sent,) = [e for e in uow.events if isinstance(e, InspectionSubmitted)]
    assert sent.details == {} and sent.samples == []


def test_a_neighbours_copy_leaves_the_files_to_the_drawing_district() -> None:
    i = product_inspection()
    i.record_results(LEADER, all_clear(), NOW)
    i.sign(LEADER, NOW)
    i.sign(MEMBER, NOW)
    with pytest.raises(ResultsInvalid):
        i.submit(LEADER, NOW)  # by default nothing is attached: refused
    i.submit(LEADER, NOW, attached=None)
    assert i.status is InspectionStatus.SUBMITTED
