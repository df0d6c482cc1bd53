"""The scan of a paper objection: what is kept (PDF, JPEG, PNG by their content; a safe name;
the size limit; SHA-256; who and when by the server's clock), that a paper application is never
registered without it and an online objection never has one, and that a changed content is
never served. Domain rules and use cases on fakes."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import pytest

from objections.domain import model, scans
from objections.entrypoints.schemas import ObjectionOut
from objections.service_layer import services, views
from spotcheck_common.clock import parse_instant
from spotcheck_common.errors import Corrupted, DomainError, Invalid, NotFound, TooLarge
from spotcheck_common.events.objections import ObjectionFiled
from spotcheck_common.http import status_of
from spotcheck_common.testing import TEST_NOW, FakeUnitOfWork

from . import samples
from .fakes import FakeObjectionsRepository
from .test_objections_services import USCC, repo_with_record, with_repo

AT = datetime(2026, 3, 16, 1, tzinfo=UTC)
RECEIVED = date(2025, 9, 25)
TODAY = date(2026, 3, 16)


def scan_of(filename: str, content: bytes, max_bytes: int = scans.MAX_BYTES) -> scans.Scan:
    return scans.new_scan("obj-1", scans.Upload(filename, content), "xinyong-1", AT, max_bytes)


# ------------------------------------------------------------------------------ the domain


@pytest.mark.parametrize(
    ("content", "media_type"),
    [(samples.PDF, scans.PDF), (samples.PNG, scans.PNG), (samples.JPEG_HEAD, scans.JPEG)],
    ids=["pdf", "png", "jpeg"],
)
def test_a_scan_is_recognised_by_its_content(content: bytes, media_type: str) -> None:
    assert scans.detect(content) == media_type


@pytest.mark.parametrize(
    "content",
    [
        samples.HTML,  # a web page renamed 申请书.pdf
        b"GIF89a\x01\x00\x01\x00",  # an image, but not one of the three
        b"PK\x03\x04 a word document",
        b" %PDF-1.4 not at the start",
        samples.PNG[:4],  # a truncated signature
    ],
    ids=["html-renamed-pdf", "gif", "zip", "pdf-not-at-start", "truncated-png"],
)
def test_anything_else_is_refused_whatever_its_name(content: bytes) -> None:
    with pytest.raises(Invalid, match="PDF、JPEG、PNG") as refused:
        scan_of("申请书.pdf", content)
    assert status_of(refused.value) == 422 and refused.value.details["field"] == "file"


def test_a_scan_keeps_its_hash_size_recorder_and_time() -> None:
    kept = scan_of("异议申请书.pdf", samples.PDF)
    assert kept == scans.Scan(
        owner_id="obj-1",
        filename="异议申请书.pdf",
        media_type=scans.PDF,
        size=len(samples.PDF),
        sha256=scans.sha256_hex(samples.PDF),
        recorded_by="xinyong-1",
        recorded_at=AT,
    )
    assert len(kept.sha256) == 64


def test_size_limit_and_empty_content() -> None:
    assert scan_of("a.png", samples.PNG, max_bytes=len(samples.PNG)).size == len(samples.PNG)
    with pytest.raises(TooLarge) as refused:
        scan_of("a.png", samples.PNG, max_bytes=len(samples.PNG) - 1)
    assert status_of(refused.value) == 413
    with pytest.raises(Invalid, match="为空"):
        scan_of("a.pdf", b"")


@pytest.mark.parametrize(
    ("sent", "content", "kept"),
    [
        ("异议申请书.pdf", samples.PDF, "异议申请书.pdf"),
        ("  SCAN.PDF ", samples.PDF, "SCAN.PDF"),  # the extension in any case
        ("photo.JPEG", samples.JPEG_HEAD, "photo.JPEG"),
        ("申请书", samples.PDF, "申请书.pdf"),  # no extension: the content's
        ("申请书.html", samples.PDF, "申请书.html.pdf"),  # an unrelated one: still opens as PDF
        ("v1.2 申请", samples.PNG, "v1.2 申请.png"),
        ("", samples.PNG, "书面异议申请书.png"),  # sent without a name
    ],
)
def test_the_stored_name_says_what_the_content_is(sent: str, content: bytes, kept: str) -> None:
    assert scan_of(sent, content).filename == kept


@pytest.mark.parametrize(
    ("sent", "content", "reason"),
    [
        ("申请书.png", samples.PDF, "表明是 PNG，内容却是 PDF"),
        ("申请书.jpg", samples.PNG, "表明是 JPEG，内容却是 PNG"),
        ("../../etc/申请书.pdf", samples.PDF, "路径"),
        ("C:\\扫描\\申请书.pdf", samples.PDF, "路径"),
        ("CON.pdf", samples.PDF, "保留"),
        ("申请书\u202efdp.exe", samples.PDF, "双向文本控制符"),
        ("申请书\x00.pdf", samples.PDF, "控制字符"),
        ("长" * 197 + ".pdf", samples.PDF, "不能超过 200"),
    ],
    ids=[
        "png-name",
        "jpg-name",
        "relative-path",
        "windows-path",
        "reserved",
        "bidi",
        "nul",
        "long",
    ],
)
def test_unsafe_or_misleading_names_are_refused(sent: str, content: bytes, reason: str) -> None:
    with pytest.raises(Invalid, match=reason):
        scan_of(sent, content)


def test_a_changed_content_is_never_served() -> None:
    kept = scan_of("a.pdf", samples.PDF)
    assert scans.verified(kept, samples.PDF) == samples.PDF
    forged = samples.PDF.replace(b"72 72", b"99 99")
    with pytest.raises(Corrupted, match="SHA-256 不符") as refused:
        scans.verified(kept, forged)
    assert status_of(refused.value) == 500


@pytest.mark.parametrize(
    ("paper", "received_on", "upload", "reason"),
    [
        (True, RECEIVED, None, "须上传申请书的扫描件"),
        (True, None, None, "须上传申请书的扫描件"),
        (False, RECEIVED, None, "以系统收到之日为准"),
        (False, None, scans.Upload("a.pdf", samples.PDF), "不附扫描件"),
    ],
)
def test_paper_needs_its_scan_and_online_has_neither_date_nor_scan(
    paper: bool, received_on: date | None, upload: scans.Upload | None, reason: str
) -> None:
    with pytest.raises(Invalid, match=reason):
        model.check_channel(paper, received_on, upload)


def test_what_each_channel_may_carry() -> None:
    model.check_channel(True, RECEIVED, scans.Upload("a.pdf", samples.PDF))
    model.check_channel(True, None, scans.Upload("a.pdf", samples.PDF))  # received today
    model.check_channel(False, None, None)


# ------------------------------------------------------------------------- the use cases


async def file_paper(
    repo: FakeObjectionsRepository, upload: scans.Upload | None, record_id: str = "rec-1"
) -> tuple[model.Objection, FakeUnitOfWork]:
    uow = FakeUnitOfWork(actor="xinyong-1")
    objection = await services.file_objection(
        with_repo(uow, repo),
        record_id,
        USCC,
        "年报已按期公示，见所附申请书",
        RECEIVED,
        TODAY,
        paper=True,
        upload=upload,
    )
    return objection, uow


async def test_a_paper_objection_keeps_its_scan_recorded_by_whom_and_when() -> None:
    repo = await repo_with_record()
    objection, uow = await file_paper(repo, scans.Upload("申请书.png", samples.PNG))
    kept = objection.scan
    assert kept is not None and kept.owner_id == objection.objection_id
    assert (kept.filename, kept.media_type, kept.size) == (
        "申请书.png",
        scans.PNG,
        len(samples.PNG),
    )
    assert kept.sha256 == scans.sha256_hex(samples.PNG)
    # The recorder is the acting user, the time the server's (injected) clock.
    assert kept.recorded_by == "xinyong-1" == objection.filed_by
    assert kept.recorded_at == parse_instant(TEST_NOW) == objection.filed_at
    assert repo.scans[objection.objection_id] == (kept, samples.PNG)
    stored = await repo.get(objection.objection_id)
    assert stored is not None and stored.scan == kept and stored.received_on == RECEIVED
    # The event is the kernel's schema, unchanged: the scan is in the read model and the API.
    (filed,) = uow.events
    assert isinstance(filed, ObjectionFiled)
    assert not any("scan" in name or "sha256" in name for name in filed.model_dump())


async def test_the_api_shows_the_scan_and_where_to_download_it() -> None:
    repo = await repo_with_record()
    objection, _ = await file_paper(repo, scans.Upload("申请书.pdf", samples.PDF))
    shown = ObjectionOut.of(objection, TODAY).model_dump(mode="json")["scan"]
    assert shown == {
        "filename": "申请书.pdf",
        "media_type": "application/pdf",
        "size": len(samples.PDF),
        "sha256": scans.sha256_hex(samples.PDF),
        "recorded_by": "xinyong-1",
        "recorded_at": "2026-03-16T01:00:00Z",
        "href": f"/api/objections/objections/{objection.objection_id}/scan",
    }


@pytest.mark.parametrize(
    ("upload", "status"),
    [
        (None, 422),  # a paper application without its scan
        (scans.Upload("申请书.pdf", samples.HTML), 422),  # a web page renamed .pdf
        (scans.Upload("../申请书.pdf", samples.PDF), 422),
    ],
)
async def test_refused_paper_objections_write_nothing(
    upload: scans.Upload | None, status: int
) -> None:
    repo = await repo_with_record()
    uow = FakeUnitOfWork(actor="xinyong-1")
    with pytest.raises(DomainError) as refused:
        await services.file_objection(
            with_repo(uow, repo), "rec-1", USCC, "r", RECEIVED, TODAY, paper=True, upload=upload
        )
    assert status_of(refused.value) == status
    assert repo.objections == {} and repo.scans == {} and uow.events == []


async def test_a_scan_for_an_unknown_record_writes_nothing() -> None:
    repo = FakeObjectionsRepository()
    with pytest.raises(NotFound):
        await file_paper(repo, scans.Upload("a.pdf", samples.PDF))
    assert repo.objections == {} and repo.scans == {}


async def test_an_online_objection_has_no_scan() -> None:
    repo = await repo_with_record()
    uow = FakeUnitOfWork(actor="entity")
    objection = await services.file_objection(with_repo(uow, repo), "rec-1", USCC, "r", None, TODAY)
    assert objection.scan is None and repo.scans == {}
    assert ObjectionOut.of(objection, TODAY).scan is None
    with pytest.raises(NotFound, match="没有扫描件"):
        await views.scan(with_repo(FakeUnitOfWork(), repo), objection.objection_id)


async def test_the_scan_is_read_back_checked() -> None:
    repo = await repo_with_record()
    objection, _ = await file_paper(repo, scans.Upload("a.pdf", samples.PDF))
    reader = with_repo(FakeUnitOfWork(actor="suo-1"), repo)
    kept, content = await views.scan(reader, objection.objection_id)
    assert content == samples.PDF and kept == objection.scan
    with pytest.raises(NotFound, match="异议 nope 不存在"):
        await views.scan(reader, "nope")
    # A content changed behind the service's back (the database guard refuses it; a restore
    # or a disk might not) is refused, never served.
    assert kept is not None
    repo.scans[objection.objection_id] = (kept, samples.PDF + b"\n% appended")
    with pytest.raises(Corrupted):
        await views.scan(reader, objection.objection_id)


async def test_a_decision_keeps_the_scan() -> None:
    repo = await repo_with_record()
    objection, _ = await file_paper(repo, scans.Upload("a.pdf", samples.PDF))
    decided = dataclasses.replace(objection, status=model.Status.UPHELD, decided_on=TODAY)
    assert await repo.update(decided) is True
    stored = await repo.get(objection.objection_id)
    assert stored is not None and stored.scan == objection.scan
