"""第九条 on fakes: a confirmed error is requested of the city bureau by the credit department;
only the city's grant lets publication correct; a refusal is answered to the entity; the
correction clock (5 working days) stops while the city holds a request sent in time.

The review of the sample objection is decided on Tue 2025-09-30: the correction is due 5
working days later across National Day (Oct 1-8 off, Sat Oct 11 worked) = Tue 2025-10-14.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import pytest

from objections.domain import model, requests, scans
from objections.domain.model import Objection
from objections.domain.requests import CorrectionRequest, RequestStatus
from objections.service_layer import corrections, services
from spotcheck_common.errors import Conflict, DomainError, Invalid, NotFound
from spotcheck_common.events.objections import (
    CorrectionGranted,
    CorrectionRefused,
    CorrectionRequested,
    ObjectionDeadlinesSet,
    ObjectionDecided,
    ObjectionFeedbackGiven,
)
from spotcheck_common.events.publication import ResultCorrected
from spotcheck_common.events.types import ObjectionDecision, ResultCategory
from spotcheck_common.testing import FakeUnitOfWork

from . import samples
from .fakes import FakeObjectionsRepository
from .test_objections_services import (
    TODAY,
    USCC,
    decide_corrected,
    file,
    item,
    repo_with_record,
    shown,
    with_repo,
)

DUE = date(2025, 10, 14)


async def corrected_objection() -> tuple[FakeObjectionsRepository, Objection]:
    repo = await repo_with_record()
    objection, _ = await file(repo)
    await decide_corrected(repo, objection)
    return repo, repo.objections[objection.objection_id]


async def ask_city(
    repo: FakeObjectionsRepository, objection_id: str, on: date, no: str = "临市监信〔2025〕12号"
) -> tuple[CorrectionRequest, FakeUnitOfWork]:
    uow = FakeUnitOfWork(actor="xinyong-1")
    r = await corrections.request_objection_correction(
        with_repo(uow, repo), objection_id, no, on, "请予更正", TODAY
    )
    return r, uow


async def reply(
    repo: FakeObjectionsRepository,
    request_id: str,
    granted: bool,
    on: date,
    reason: str = "",
    upload: scans.Upload | None = None,
    today: date = TODAY,
) -> tuple[CorrectionRequest, FakeUnitOfWork]:
    uow = FakeUnitOfWork(actor="xinyong-2")
    r = await corrections.record_city_reply(
        with_repo(uow, repo), request_id, granted, "威市监函〔2025〕88号", on, reason, today, upload
    )
    return r, uow


async def test_a_decision_waits_for_the_credit_departments_request_to_the_city() -> None:
    """Whoever reviews, the decision publishes nothing and requests nothing: the request to the
    city needs a document the decision does not have."""
    for credit in (False, True):
        repo = await repo_with_record()
        objection, _ = await file(repo)
        uow = await decide_corrected(repo, objection, actor="xinyong-1", credit=credit)
        assert [type(e) for e in uow.events] == [ObjectionDecided]
        shown_ = shown(repo.objections[objection.objection_id], TODAY)
        assert shown_["awaiting_credit_department"] is True and shown_["city_request_id"] is None


async def test_a_request_names_its_document_and_stops_the_clock() -> None:
    repo, objection = await corrected_objection()
    request, uow = await ask_city(repo, objection.objection_id, date(2025, 10, 10))
    (event,) = uow.events
    assert isinstance(event, CorrectionRequested) and uow.committed
    assert event.request_no == "临市监信〔2025〕12号" and event.requested_on == date(2025, 10, 10)
    assert event.task_id == "task-1" and event.objection_id == objection.objection_id
    assert event.source == "objection" and event.requested_by == "xinyong-1"
    assert [r.check_item_code for r in event.corrected_results] == ["A02"]
    assert event.correction_due_on == DUE and event.clock_suspended is True
    assert repo.requests[request.request_id].status == RequestStatus.REQUESTED
    stored = repo.objections[objection.objection_id]
    assert stored.correction_submitted_by == "xinyong-1"
    # A year later the city still holds it: the bureau is not late.
    assert model.overdue(stored, TODAY)["correction"] is False
    assert model.KIND_CORRECTION not in model.outstanding_overdue(stored, TODAY)
    out = shown(stored, TODAY)
    assert out["awaiting_credit_department"] is False and out["correction_clock_stopped"] is True


async def test_a_grant_runs_the_clock_again_from_the_reply_with_the_days_it_had_left() -> None:
    repo, objection = await corrected_objection()
    request, _ = await ask_city(repo, objection.objection_id, date(2025, 10, 10))
    # Oct 9 and 10 used (2 of 5); the city replies Fri Oct 24: 3 left -> Mon 27, Tue 28, Wed 29.
    granted, uow = await reply(repo, request.request_id, True, date(2025, 10, 24), "同意")
    new_due = date(2025, 10, 29)
    grant, moved = uow.events
    assert isinstance(grant, CorrectionGranted) and grant.correction_due_on == new_due
    assert grant.reply_no == "威市监函〔2025〕88号" and grant.replied_on == date(2025, 10, 24)
    assert grant.request_no == request.request_no and grant.recorded_by == "xinyong-2"
    assert grant.corrected_results == request.corrected_results and grant.task_id == "task-1"
    assert isinstance(moved, ObjectionDeadlinesSet) and moved.changed == ["correction"]
    assert moved.correction_due_on == new_due and moved.calendar_version
    assert granted.status == RequestStatus.GRANTED
    stored = repo.objections[objection.objection_id]
    assert stored.correction_due_on == new_due and model.correction_stopped(stored) is False
    assert model.KIND_CORRECTION not in model.outstanding_overdue(stored, new_due)
    assert model.KIND_CORRECTION in model.outstanding_overdue(stored, date(2025, 10, 30))
    await publish_correction(repo, objection.objection_id, datetime(2025, 10, 29, 2, tzinfo=UTC))
    assert model.overdue(repo.objections[objection.objection_id], TODAY)["correction"] is False


async def publish_correction(
    repo: FakeObjectionsRepository, objection_id: str, at: datetime
) -> None:
    """Publication's version for the objection, as objections reads it back."""
    event = ResultCorrected(
        record_id="rec-1",
        record_version=2,
        supersedes_version=1,
        task_id="task-1",
        uscc=USCC,
        results=[item("A01"), item("A02", ResultCategory.PROBLEM_CORRECTED)],
        reason="确有错误",
        objection_id=objection_id,
        published_at=at,
    )
    await services.record_published(with_repo(FakeUnitOfWork(), repo), event)


async def test_a_request_on_the_last_day_leaves_the_reply_day_itself() -> None:
    repo, objection = await corrected_objection()
    request, _ = await ask_city(repo, objection.objection_id, DUE)
    _, uow = await reply(repo, request.request_id, True, date(2025, 10, 24))
    assert repo.objections[objection.objection_id].correction_due_on == date(2025, 10, 24)
    assert isinstance(uow.events[1], ObjectionDeadlinesSet)


async def test_a_request_after_the_clock_ran_out_stops_nothing() -> None:
    repo, objection = await corrected_objection()
    request, uow = await ask_city(repo, objection.objection_id, date(2025, 10, 15))
    (event,) = uow.events
    assert isinstance(event, CorrectionRequested) and event.clock_suspended is False
    stored = repo.objections[objection.objection_id]
    assert model.overdue(stored, date(2025, 10, 16))["correction"] is True
    assert model.outstanding_overdue(stored, date(2025, 10, 16)) == [model.KIND_CORRECTION]

    _, granted = await reply(repo, request.request_id, True, date(2025, 10, 24))
    assert [type(e) for e in granted.events] == [CorrectionGranted]  # the due date stays
    assert repo.objections[objection.objection_id].correction_due_on == DUE


async def test_a_refusal_is_answered_to_the_entity_and_ends_the_clock() -> None:
    repo, objection = await corrected_objection()
    request, _ = await ask_city(repo, objection.objection_id, date(2025, 10, 10))
    refused_on, recorded_on = date(2025, 10, 20), date(2025, 10, 21)
    _, uow = await reply(
        repo, request.request_id, False, refused_on, "原检查结果无误", today=recorded_on
    )
    refusal, answer = uow.events
    assert isinstance(refusal, CorrectionRefused) and refusal.reason == "原检查结果无误"
    assert refusal.reply_no == "威市监函〔2025〕88号" and refusal.task_id == "task-1"
    assert isinstance(answer, ObjectionFeedbackGiven)
    assert answer.correction_request_id == request.request_id and answer.given_on == recorded_on
    assert "原检查结果无误" in answer.note and "威市监函〔2025〕88号" in answer.note
    stored = repo.objections[objection.objection_id]
    assert stored.feedback_given_on == recorded_on and stored.city_granted is False
    assert model.overdue(stored, TODAY) == {
        "review": False,
        "feedback": False,
        "correction": False,
        "any": False,
    }
    assert model.outstanding_overdue(stored, TODAY) == []


async def test_a_refusal_after_the_feedback_is_answered_again() -> None:
    repo, objection = await corrected_objection()
    given = date(2025, 10, 9)
    await services.give_feedback(
        with_repo(FakeUnitOfWork(), repo),
        objection.objection_id,
        given,
        "已告知",
        TODAY,
        credit_department=True,
    )
    request, _ = await ask_city(repo, objection.objection_id, date(2025, 10, 10))
    _, uow = await reply(repo, request.request_id, False, date(2025, 10, 20), "无误")
    assert isinstance(uow.events[1], ObjectionFeedbackGiven)
    assert repo.objections[objection.objection_id].feedback_given_on == given  # the first


async def test_a_late_request_refused_stays_late() -> None:
    repo, objection = await corrected_objection()
    request, _ = await ask_city(repo, objection.objection_id, date(2025, 10, 20))
    await reply(repo, request.request_id, False, date(2025, 10, 24), "无误")
    stored = repo.objections[objection.objection_id]
    assert model.overdue(stored, TODAY)["correction"] is True
    assert model.outstanding_overdue(stored, TODAY) == []  # nothing left to do


async def test_a_refusal_needs_a_reason_and_a_reply_is_recorded_once() -> None:
    repo, objection = await corrected_objection()
    request, _ = await ask_city(repo, objection.objection_id, date(2025, 10, 10))
    before = dataclasses.replace(repo.requests[request.request_id])
    for on, reason, refused in (
        (date(2025, 10, 20), "", DomainError),  # a refusal without its reason
        (date(2025, 10, 9), "x", Invalid),  # before the request
        (date(2026, 11, 27), "x", Invalid),  # after today
    ):
        with pytest.raises(DomainError) as raised:
            await reply(repo, request.request_id, False, on, reason)
        assert type(raised.value) is refused
    assert repo.requests[request.request_id] == before
    await reply(repo, request.request_id, True, date(2025, 10, 24))
    with pytest.raises(Conflict):
        await reply(repo, request.request_id, False, date(2025, 10, 25), "改为不同意")
    with pytest.raises(NotFound):
        await reply(repo, "nope", True, date(2025, 10, 24))


async def test_the_city_document_is_kept_with_its_hash() -> None:
    repo, objection = await corrected_objection()
    request, _ = await ask_city(repo, objection.objection_id, date(2025, 10, 10))
    with pytest.raises(Invalid):
        await reply(
            repo,
            request.request_id,
            True,
            date(2025, 10, 24),
            upload=scans.Upload("批复.pdf", samples.HTML),
        )
    assert repo.requests[request.request_id].status == RequestStatus.REQUESTED
    done, uow = await reply(
        repo, request.request_id, True, date(2025, 10, 24), upload=scans.Upload("", samples.PDF)
    )
    kept, content = repo.documents[request.request_id]
    assert content == samples.PDF and kept.filename == f"{requests.DOCUMENT_NAME}.pdf"
    assert done.document == kept and kept.recorded_by == "xinyong-2"
    assert isinstance(uow.events[0], CorrectionGranted)
    assert uow.events[0].document_sha256 == scans.sha256_hex(samples.PDF)


@pytest.mark.parametrize("state", ["pending", "upheld", "unknown", "early"])
async def test_only_a_confirmed_error_is_requested_after_its_review(state: str) -> None:
    repo = await repo_with_record()
    objection, _ = await file(repo)
    if state in ("upheld", "early"):
        decision = ObjectionDecision.UPHELD if state == "upheld" else ObjectionDecision.CORRECTED
        await services.decide_objection(
            with_repo(FakeUnitOfWork(), repo),
            objection.objection_id,
            decision,
            "复查",
            [item("A02", ResultCategory.PROBLEM_CORRECTED)] if state == "early" else [],
            date(2025, 9, 30),
            TODAY,
            reviewer_department="食品经营监管科",
        )
    before = dataclasses.replace(repo.objections[objection.objection_id])
    expected: type[Exception] = {
        "pending": Conflict,
        "upheld": DomainError,
        "unknown": NotFound,
        "early": Invalid,  # dated before the review result
    }[state]
    uow = FakeUnitOfWork(actor="xinyong-1")
    with pytest.raises(DomainError) as refused:
        await corrections.request_objection_correction(
            with_repo(uow, repo),
            objection.objection_id if state != "unknown" else "nope",
            "文号",
            date(2025, 9, 29) if state == "early" else date(2025, 10, 10),
            "",
            TODAY,
        )
    assert type(refused.value) is expected
    assert uow.events == [] and repo.objections[objection.objection_id] == before
    assert repo.requests == {}


async def test_one_request_per_objection_and_one_waiting_per_record() -> None:
    repo, objection = await corrected_objection()
    request, _ = await ask_city(repo, objection.objection_id, date(2025, 10, 10))
    with pytest.raises(Conflict):
        await ask_city(repo, objection.objection_id, date(2025, 10, 11))
    own = FakeUnitOfWork(actor="xinyong-1")
    with pytest.raises(Conflict, match="临市监信〔2025〕12号"):
        await bureau_request(own, repo)
    await reply(repo, request.request_id, False, date(2025, 10, 20), "无误")
    with pytest.raises(Conflict):  # refused: the objection's request is over
        await ask_city(repo, objection.objection_id, date(2025, 10, 21))
    assert (await bureau_request(own, repo)).source == requests.SOURCE_CREDIT_DEPARTMENT


async def bureau_request(uow: FakeUnitOfWork, repo: FakeObjectionsRepository) -> CorrectionRequest:
    return await corrections.request_correction(
        with_repo(uow, repo),
        "rec-1",
        [item("A01", ResultCategory.NO_ACTIVITY)],
        "录入时选错结果",
        "临市监信〔2025〕20号",
        date(2025, 11, 3),
        "",
        TODAY,
    )


async def test_an_error_the_bureau_found_goes_through_the_same_request() -> None:
    repo = await repo_with_record()
    uow = FakeUnitOfWork(actor="xinyong-1")
    request = await bureau_request(uow, repo)
    (event,) = uow.events
    assert isinstance(event, CorrectionRequested) and event.objection_id is None
    assert event.source == "credit_department" and event.reason == "录入时选错结果"
    assert event.record_version == 1 and event.clock_suspended is False
    _, granted = await reply(repo, request.request_id, True, date(2025, 11, 10))
    (grant,) = granted.events
    assert isinstance(grant, CorrectionGranted) and grant.objection_id is None
    assert [r.category for r in grant.corrected_results] == [ResultCategory.NO_ACTIVITY]
    refused = FakeUnitOfWork(actor="xinyong-1")
    with pytest.raises(DomainError, match="相同"):  # unchanged: nothing to correct
        await corrections.request_correction(
            with_repo(refused, repo), "rec-1", [item("A01")], "x", "文号", None, "", TODAY
        )
    with pytest.raises(Invalid):  # dated before the result was published (2025-09-01)
        await corrections.request_correction(
            with_repo(refused, repo),
            "rec-1",
            [item("A01", ResultCategory.NO_ACTIVITY)],
            "x",
            "文号",
            date(2025, 8, 31),
            "",
            TODAY,
        )
    assert refused.events == []


async def test_an_objection_submitted_before_city_requests_is_requested_like_any_other() -> None:
    """Submitted under the old flow (ObjectionCorrectionSubmitted) and never published: the
    credit department now requests it of the city."""
    repo, objection = await corrected_objection()
    repo.objections[objection.objection_id] = dataclasses.replace(
        objection, correction_submitted_by="xinyong-0", correction_submitted_on=date(2025, 10, 9)
    )
    request, uow = await ask_city(repo, objection.objection_id, date(2025, 10, 10))
    assert isinstance(uow.events[0], CorrectionRequested) and request.objection_id
    # One already published then is not requested again.
    repo2, published = await corrected_objection()
    await publish_correction(repo2, published.objection_id, datetime(2025, 10, 9, 2, tzinfo=UTC))
    with pytest.raises(Conflict):
        await ask_city(repo2, published.objection_id, date(2025, 10, 10))
