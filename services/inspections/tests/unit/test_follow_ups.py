"""Follow-up (第十条) on fakes: opened on submission, the lead department's outcomes, the
state machine, the transfer clock across the National Day holiday (第十三条), attachments after
the visit while the follow-up is open."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from inspections.domain import attachments as att
from inspections.domain.follow_ups import (
    FollowUp,
    FollowUpAction,
    FollowUpStatus,
    OutcomeIn,
    follow_up_id_for,
)
from inspections.domain.model import (
    NotAllowed,
    NotInspected,
    NotInspectedReason,
    ResultsInvalid,
    StateRefused,
)
from inspections.service_layer import services
from spotcheck_common.events.inspections import (
    AttachmentAdded,
    AttachmentKind,
    FollowUpKind,
    FollowUpOpened,
    FollowUpRecorded,
    InspectionSubmitted,
    TransferDueSet,
)
from spotcheck_common.testing import calendar_event
from spotcheck_common.workdays import WorkCalendar

from .factories import (
    EXPERT,
    LEADER,
    MEMBER,
    NOW,
    all_clear,
    entry,
    inspection,
)
from .fakes import FakeInspectionRepository, FakeInspectionsUnitOfWork

CALENDAR = WorkCalendar()

PROBLEM = [
    entry("SD-01", "发现问题待后续处理", pending_reason="未按规定公示应当公示的信息"),
    entry("SD-02"),
]
LEAD = "信用监管科"  # the factories' task is led by the credit department
LATER = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)


async def _submit(
    repo: FakeInspectionRepository, entries: list, not_inspected: NotInspected | None = None
) -> FakeInspectionsUnitOfWork:  # type: ignore[type-arg]
    await services.record_results(
        FakeInspectionsUnitOfWork(repo), "i-1", LEADER, entries, NOW, not_inspected
    )
    for who in (LEADER, MEMBER):
        await services.sign(FakeInspectionsUnitOfWork(repo), "i-1", who, NOW)
    uow = FakeInspectionsUnitOfWork(repo, actor=LEADER)
    await services.submit(uow, "i-1", LEADER, now=NOW)
    return uow


@pytest.mark.parametrize(
    ("entries", "not_inspected", "kind"),
    [
        (PROBLEM, None, FollowUpKind.PROBLEM),
        ([], NotInspected(reason=NotInspectedReason.UNREACHABLE), FollowUpKind.PROBLEM),
        ([], NotInspected(reason=NotInspectedReason.SERIOUS_REFUSAL), FollowUpKind.REFUSAL),
    ],
)
async def test_submission_opens_a_follow_up_for_the_lead_department(
    entries: list, not_inspected: NotInspected | None, kind: FollowUpKind
) -> None:  # type: ignore[type-arg]
    repo = FakeInspectionRepository(inspection())
    uow = await _submit(repo, entries, not_inspected)
    submitted, opened = uow.events
    assert isinstance(submitted, InspectionSubmitted) and isinstance(opened, FollowUpOpened)
    assert opened.kind is kind and opened.lead_department == LEAD
    assert opened.follow_up_id == follow_up_id_for("i-1") and opened.inspection_id == "i-1"
    assert opened.opened_on == date(2026, 4, 1) and opened.reason
    assert repo.follow_ups[opened.follow_up_id].status is FollowUpStatus.OPEN


@pytest.mark.parametrize(
    "not_inspected",
    [None, NotInspected(reason=NotInspectedReason.DEREGISTERED, occurred_on=date(2026, 3, 1))],
)
async def test_nothing_to_follow_up_opens_nothing(not_inspected: NotInspected | None) -> None:
    repo = FakeInspectionRepository(inspection())
    uow = await _submit(repo, [] if not_inspected else all_clear(), not_inspected)
    assert [type(e) for e in uow.events] == [InspectionSubmitted] and repo.follow_ups == {}


def follow_up(kind: FollowUpKind = FollowUpKind.PROBLEM) -> FollowUp:
    i = inspection()
    i.record_results(LEADER, PROBLEM, NOW)
    i.sign(LEADER, NOW)
    i.sign(MEMBER, NOW)
    i.submit(LEADER, NOW)
    f = FollowUp.open_for(i, NOW)
    assert f is not None
    f.kind = kind
    return f


def out(action: str, **extra: object) -> OutcomeIn:
    return OutcomeIn.model_validate({"action": action, "outcome": "已处理完毕", **extra})


def test_rectified_closes_an_open_follow_up() -> None:
    f = follow_up()
    event = f.record(out("rectified"), "keyuan", NOW, CALENDAR)
    assert isinstance(event, FollowUpRecorded) and event.closed and event.action == "rectified"
    assert f.status is FollowUpStatus.CLOSED and f.closed_on == date(2026, 4, 1)
    with pytest.raises(StateRefused, match="已办结"):
        f.record(out("closed"), "keyuan", NOW, CALENDAR)
    assert len(f.outcomes) == 1


def test_a_case_needs_its_number_and_a_crime_must_be_transferred_before_closing() -> None:
    f = follow_up()
    with pytest.raises(ResultsInvalid, match="案件编号"):
        f.record(out("case_filed"), "keyuan", LATER, CALENDAR)
    with pytest.raises(ResultsInvalid, match="suspected_crime"):
        f.record(out("rectified", suspected_crime=True), "keyuan", LATER, CALENDAR)
    assert f.outcomes == [] and f.status is FollowUpStatus.OPEN
    # Filed on Friday 2026-09-25: 10 working days run across the National Day holiday
    # (10-01..10-07 off, Saturday 10-10 a make-up working day) to Thursday 10-15.
    event = f.record(
        out(
            "case_filed",
            case_no="临市监立〔2026〕88号",
            suspected_crime=True,
            recorded_on="2026-09-25",
        ),
        "keyuan",
        LATER,
        CALENDAR,
    )
    assert f.kind is FollowUpKind.SUSPECTED_CRIME and f.status is FollowUpStatus.CASE_FILED
    assert f.transfer_due_on == date(2026, 10, 15) == event.transfer_due_on
    assert event.suspected_crime and not event.closed and event.case_no == "临市监立〔2026〕88号"
    assert not f.overdue(date(2026, 10, 15)) and f.overdue(date(2026, 10, 16))
    with pytest.raises(StateRefused, match="移送司法机关"):
        f.record(out("closed"), "keyuan", LATER, CALENDAR)
    with pytest.raises(StateRefused):
        f.record(out("case_filed", case_no="x"), "keyuan", LATER, CALENDAR)
    # Rectification during a case is noted; the case goes on.
    f.record(out("rectified"), "keyuan", LATER, CALENDAR)
    assert f.status is FollowUpStatus.CASE_FILED and f.rectified_on == date(2026, 9, 30)
    late = LATER.replace(month=10, day=20)
    f.record(out("transferred", recorded_on="2026-10-16"), "keyuan", late, CALENDAR)
    assert f.status is FollowUpStatus.TRANSFERRED and f.transferred_late
    assert not f.overdue(date(2026, 10, 20))
    closed = f.record(out("closed"), "keyuan", late, CALENDAR)
    assert closed.closed and f.status is FollowUpStatus.CLOSED
    assert [o["action"] for o in f.outcomes] == ["case_filed", "rectified", "transferred", "closed"]


def test_a_case_filed_before_next_years_calendar_is_recorded_gets_its_date_later() -> None:
    f = follow_up()
    december = datetime(2026, 12, 24, 2, 0, tzinfo=UTC)
    # Filed Thursday 2026-12-24: 10 working days reach into 2027, whose schedule is unknown.
    # The filing is recorded all the same; the transfer deadline is pending, never overdue.
    event = f.record(
        out("case_filed", case_no="临市监立〔2026〕99号", suspected_crime=True),
        "keyuan",
        december,
        CALENDAR,
    )
    assert f.status is FollowUpStatus.CASE_FILED and f.kind is FollowUpKind.SUSPECTED_CRIME
    assert f.transfer_due_on is None and event.transfer_due_on is None
    assert f.transfer_deadline is not None and f.transfer_deadline.pending_year == 2027
    assert not f.overdue(date(2027, 3, 1))
    # The general office records 2027 (made-up schedule: Jan 1-3 off): Dec 25, 28-31 and
    # Jan 4-8 are the 10 working days.
    with_2027 = WorkCalendar([calendar_event().schedule()])
    assert f.recompute(CALENDAR, 2027, 10) is False  # still unknown: nothing changes
    assert f.recompute(with_2027, 2027, 10) is True
    assert f.transfer_due_on == date(2027, 1, 8)
    assert f.transfer_due_calendar == "2026/holidays-0.109,2027/v1"
    assert f.overdue(date(2027, 1, 11)) and not f.overdue(date(2027, 1, 8))
    assert f.recompute(with_2027, 2027, 10) is False  # recording the same again changes nothing


def test_a_direct_transfer_is_a_suspected_crime_transferred_on_time() -> None:
    f = follow_up()
    event = f.record(out("transferred"), "keyuan", NOW, CALENDAR)
    assert event.kind is FollowUpKind.SUSPECTED_CRIME and f.transferred_on == date(2026, 4, 1)
    assert not f.transferred_late and not f.overdue(date(2026, 12, 31))


def test_outcome_dates_are_checked() -> None:
    f = follow_up()
    for when in ["2026-04-02", "2026-03-31"]:  # tomorrow; before the follow-up opened
        with pytest.raises(ResultsInvalid, match="recorded_on"):
            f.record(out("rectified", recorded_on=when), "keyuan", NOW, CALENDAR)
    assert f.status is FollowUpStatus.OPEN


@pytest.mark.parametrize(
    ("roles", "department", "allowed"),
    [
        ({"credit_dept"}, "", True),
        ({"supervising_dept"}, LEAD, True),
        ({"supervising_dept"}, "食品经营监管科", False),
        ({"inspector"}, LEAD, False),
    ],
)
async def test_only_the_lead_department_or_the_credit_department_records(
    roles: set[str], department: str, allowed: bool
) -> None:
    repo = FakeInspectionRepository(inspection())
    await _submit(repo, PROBLEM)
    (fid,) = repo.follow_ups
    uow = FakeInspectionsUnitOfWork(repo)
    outcome = out("rectified")
    if allowed:
        await services.record_follow_up(uow, fid, "u", roles, department, outcome, NOW)
        assert [e.action for e in uow.events] == ["rectified"]  # type: ignore[attr-defined]
    else:
        with pytest.raises(NotAllowed, match="牵头监管科室"):
            await services.record_follow_up(uow, fid, "u", roles, department, outcome, NOW)
        assert uow.events == [] and repo.follow_ups[fid].outcomes == []


async def test_attachments_until_the_follow_up_is_closed() -> None:
    repo = FakeInspectionRepository(inspection(expert=True))
    content = b"%PDF-1.7 rectification notice"

    async def attach(who: str, kind: AttachmentKind = AttachmentKind.RECTIFICATION_NOTICE) -> None:
        uow = FakeInspectionsUnitOfWork(repo, actor=who)
        a = await services.add_attachment(
            uow, "i-1", who, kind, "整改通知书.pdf", "application/pdf", content, NOW
        )
        (event,) = uow.events
        assert isinstance(event, AttachmentAdded) and event.sha256 == att.sha256_hex(content)
        assert a.size == len(content) and repo.attachments[a.attachment_id][1] == content

    await attach(EXPERT, AttachmentKind.PHOTO)  # experts on the team may attach
    with pytest.raises(NotAllowed):
        await attach("LG-999")
    await _submit(repo, PROBLEM)
    await attach(MEMBER)  # after submission, while the follow-up is open
    (fid,) = repo.follow_ups
    await services.record_follow_up(
        FakeInspectionsUnitOfWork(repo), fid, "u", {"credit_dept"}, "", out("rectified"), NOW
    )
    uow = FakeInspectionsUnitOfWork(repo)
    with pytest.raises(StateRefused, match="没有未办结的后续处理"):
        await services.add_attachment(
            uow, "i-1", LEADER, AttachmentKind.SERVICE_RECEIPT, "回证.jpg", "", content, NOW
        )
    assert uow.events == [] and len(repo.attachments) == 2


async def test_no_attachment_after_submission_without_follow_up() -> None:
    repo = FakeInspectionRepository(inspection())
    await _submit(repo, all_clear())
    with pytest.raises(StateRefused):
        await services.add_attachment(
            FakeInspectionsUnitOfWork(repo),
            "i-1",
            LEADER,
            AttachmentKind.PHOTO,
            "a.jpg",
            "",
            b"x",
            NOW,
        )


def test_attachment_names_content_and_hash_check() -> None:
    i = inspection()
    for name in [
        "",
        "../etc/passwd",
        "a\x00b",
        "x" * 201,
        "..",
        "CON",
        "nul.jpg",
        "照片\u202egpj.exe",
    ]:
        with pytest.raises(ResultsInvalid, match="文件名"):
            att.new_attachment(i, AttachmentKind.PHOTO, name, "", b"x", LEADER, NOW)
    with pytest.raises(ResultsInvalid, match="为空"):
        att.new_attachment(i, AttachmentKind.PHOTO, "a.jpg", "", b"", LEADER, NOW)
    a = att.new_attachment(i, AttachmentKind.PHOTO, "a.jpg", "image/jpeg; q=1", b"abc", LEADER, NOW)
    assert a.media_type == "image/jpeg"
    assert a.sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert att.verified(a, b"abc") == b"abc"
    with pytest.raises(att.AttachmentTampered):
        att.verified(a, b"abd")


@pytest.mark.parametrize(
    ("uploaded", "served"),
    [
        ("application/pdf", "application/pdf"),
        ("image/jpeg", "image/jpeg"),
        ("text/html", "application/octet-stream"),
        ("image/svg+xml", "application/octet-stream"),
        ("application/javascript", "application/octet-stream"),
        ("TEXT/HTML; charset=utf-8", "application/octet-stream"),
    ],
)
def test_an_attachment_is_served_as_an_inert_type_or_as_bytes(uploaded: str, served: str) -> None:
    assert att.served_type(uploaded) == served


def test_actions_cover_the_event_contract() -> None:
    assert {str(a) for a in FollowUpAction} == {"rectified", "case_filed", "transferred", "closed"}


async def test_recording_next_years_calendar_sends_the_transfer_deadline() -> None:
    repo = FakeInspectionRepository(inspection())
    await _submit(repo, PROBLEM)
    (fid,) = repo.follow_ups
    filing = out("case_filed", case_no="临市监立〔2026〕99号", suspected_crime=True)
    december = datetime(2026, 12, 24, 2, 0, tzinfo=UTC)
    await services.record_follow_up(
        FakeInspectionsUnitOfWork(repo), fid, "u", {"credit_dept"}, "", filing, december
    )
    assert repo.follow_ups[fid].transfer_due_pending == 2027
    uow = FakeInspectionsUnitOfWork(repo)
    # Another year recorded: the pending deadline still waits, nothing is sent.
    assert await services.calendar_recorded(uow, CALENDAR, 2028) == []
    with_2027 = WorkCalendar([calendar_event().schedule()])
    (changed,) = await services.calendar_recorded(uow, with_2027, 2027)
    (event,) = uow.uncommitted  # the consumer's transaction commits, not the handler
    assert isinstance(event, TransferDueSet) and event.transfer_due_on == date(2027, 1, 8)
    assert event.calendar_version == "2026/holidays-0.109,2027/v1"
    assert repo.follow_ups[fid].transfer_due_on == date(2027, 1, 8) == changed.transfer_due_on
    assert repo.follow_ups[fid].transfer_due_pending is None
