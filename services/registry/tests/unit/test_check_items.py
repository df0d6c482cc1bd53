"""The spot-check item list (抽查事项清单, 第四条): parsing, versions, the current list."""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from registry.adapters import demo, files
from registry.domain import check_items, imports
from registry.domain.check_items import ListVersion, VersionRefused
from registry.domain.imports import ImportRejected
from registry.service_layer.imports import ImportJob, ImportParams, run_import
from spotcheck_common.clock import FixedClock
from spotcheck_common.events.envelope import Envelope, event_class
from spotcheck_common.events.registry import CheckItem, CheckItemListPublished

from .fakes import FakeJobs, FakeRegistryRepository, FakeRegistryUnitOfWork

HEADER = "事项编号,抽查类别,抽查事项,检查对象,事项类别(一般/重点),检查方式,检查主体,检查依据"
GOOD = (
    HEADER
    + ",抽查比例,抽查频次,检查人员要求\n"
    + "GS-01,企业公示信息,企业公示信息抽查,企业,一般,书面检查,区局,"
    + "《企业信息公示暂行条例》,3%,每年1次,\n"
    + "SP-01,食品经营,食品经营者检查,食品经营者,重点,现场检查,区局,"
    + "《食品安全法》,,,具备食品执法资格\n"
).encode()
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def parse_check_items(data: bytes) -> list[CheckItem]:
    _, rows = files.validate_file("check-items", data)
    return [CheckItem(**imports.as_record(imports.CHECK_ITEMS, r)) for r in rows]


def test_a_good_list_parses_with_its_optional_columns() -> None:
    first, second = parse_check_items(GOOD)
    assert (first.code, first.item_class, first.ratio, first.frequency) == (
        "GS-01",
        "general",
        "3%",
        "每年1次",
    )
    assert (second.item_class, second.inspector_requirements) == ("key", "具备食品执法资格")


def test_the_optional_columns_may_be_absent_and_the_header_may_say_just_the_name() -> None:
    data = (
        "事项编号,抽查类别,抽查事项,检查对象,事项类别,检查方式,检查主体,检查依据\n"
        "GS-01,企业公示信息,企业公示信息抽查,企业,重点,书面检查,区局,条例\n"
    ).encode()
    (item,) = parse_check_items(data)
    assert item.item_class == "key" and item.ratio == "" and item.inspector_requirements == ""


def test_a_bad_row_is_reported_with_its_line_and_field_and_nothing_is_kept() -> None:
    data = (
        GOOD
        + (
            "GS-01,企业公示信息,重复的编号,企业,一般,书面检查,区局,条例,,,\n"
            "XX-01,类别,,企业,普通,书面检查,区局,条例,,,\n"
            "XX-02,类别,事项\n"
        ).encode()
    )
    with pytest.raises(ImportRejected) as exc:
        parse_check_items(data)
    found = {(e.line, e.field, e.reason) for e in exc.value.errors}
    assert (4, "事项编号", "与第2行重复") in found
    assert (5, "抽查事项", "不能为空") in found
    assert (5, "事项类别", "应为 一般 或 重点") in found
    assert any(line == 6 and field == "(整行)" for line, field, _ in found)


def test_a_missing_required_column_is_named() -> None:
    with pytest.raises(ImportRejected) as exc:
        parse_check_items("事项编号,抽查事项\nA,B\n".encode())
    assert {e.field for e in exc.value.errors} >= {"抽查类别", "检查依据", "事项类别"}


def test_the_demo_list_is_valid_and_the_demo_inspectors_may_check_every_item() -> None:
    items = parse_check_items(demo.demo_check_items())
    assert len(items) == 6 and {i.item_class for i in items} == {"general", "key"}
    rows = demo.demo_inspectors(count=10).decode().splitlines()[1:]
    assert all(demo.QUALIFY_ALL in row.split(",")[3].split(";") for row in rows)


def _v(n: int, since: str) -> ListVersion:
    return ListVersion(
        n, "lingang:check-items", date.fromisoformat(since), "r", 1, "f", "h", "u", NOW
    )


def test_the_current_version_is_the_newest_in_effect() -> None:
    versions = [_v(1, "2025-01-01"), _v(2, "2026-01-01"), _v(3, "2026-07-01")]
    today = date(2026, 3, 2)
    current = check_items.current(versions, today)
    assert current is not None and current.version == 2
    assert [check_items.status(v, versions, today) for v in versions] == [
        "superseded",
        "current",
        "scheduled",
    ]
    assert check_items.current(versions, date(2024, 12, 31)) is None


def test_a_new_version_needs_a_reason_and_cannot_take_effect_before_the_last() -> None:
    versions = [_v(1, "2026-01-01")]
    assert check_items.check_new_version([], date(2026, 1, 1), "首次发布") == 1
    assert check_items.check_new_version(versions, date(2026, 1, 1), "调整") == 2
    with pytest.raises(VersionRefused, match="理由"):
        check_items.check_new_version(versions, date(2026, 2, 1), " ")
    with pytest.raises(VersionRefused, match="早于第 1 版"):
        check_items.check_new_version(versions, date(2025, 12, 31), "调整")


async def _import(
    repo: FakeRegistryRepository, data: bytes, reason: str, effective_from: date | None = None
) -> tuple[FakeRegistryUnitOfWork, FakeJobs, dict[str, object]]:
    uow = FakeRegistryUnitOfWork(repo, actor="xinyong", clock=FixedClock(NOW))
    jobs = FakeJobs()
    job = ImportJob(
        "job-1",
        "check-items",
        "list.csv",
        "h",
        ImportParams(reason=reason, effective_from=effective_from),
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "list.csv"
        path.write_bytes(data)
        report = await run_import(uow, jobs, job, path, staging=None)
    return uow, jobs, report


async def test_each_import_is_a_new_version_and_publishes_the_whole_list() -> None:
    repo = FakeRegistryRepository()
    _, _, first = await _import(repo, GOOD, "2026年清单", date(2026, 1, 1))
    assert first["version"] == 1 and first["imported"] == 2 and first["new"] == 2
    changed = GOOD.replace("书面检查,区局".encode(), "实地核查,区局".encode())
    uow2, jobs, second = await _import(repo, changed, "省局调整")
    assert second["version"] == 2 and second["effective_from"] == "2026-03-02"  # today in China
    # Compared with version 1: GS-01's method changed, SP-01 did not.
    assert (second["new"], second["updated"], second["unchanged"]) == (0, 1, 1)
    assert second["updated_fields"] == {"method": 1} and second["removed"] == 0
    assert [v.version for v in repo.versions] == [1, 2]  # the old version is kept
    (event,) = uow2.events
    assert isinstance(event, CheckItemListPublished)
    assert event.list_version == 2 and event.reason == "省局调整"
    assert [i.code for i in event.items] == ["GS-01", "SP-01"]
    assert event.aggregate_id() == "lingang:check-items"
    assert jobs.last("finish")["state"] == "succeeded" and jobs.last("finish")["now"] == NOW
    assert repo.batches[-1]["imported_at"] == NOW and repo.batches[-1]["rows"] == 2


async def test_a_rejected_import_writes_and_emits_nothing_and_the_job_says_why(
    tmp_path: Path,
) -> None:
    repo = FakeRegistryRepository()
    with pytest.raises(ImportRejected):
        await _import(repo, b"", "r")
    with pytest.raises(VersionRefused):
        await _import(repo, GOOD, "  ")
    assert repo.versions == [] and repo.batches == []
    uow, jobs = FakeRegistryUnitOfWork(repo), FakeJobs()
    job = ImportJob("j", "check-items", "x.csv", "h", ImportParams(reason=" "))
    with pytest.raises(VersionRefused):
        (tmp_path / "x.csv").write_bytes(GOOD)
        await run_import(uow, jobs, job, tmp_path / "x.csv", None)
    assert uow.events == [] and not uow.committed
    failed = jobs.last("finish")
    assert failed["state"] == "failed" and "理由" in failed["failure"]
    assert failed["errors"][0]["field"] == "reason"


def test_the_list_version_travels_as_version_and_keeps_the_schema_version_apart() -> None:
    """A field named ``version`` would become the envelope's schema version: version 2 of the
    list could then not be read back by any consumer."""
    event = CheckItemListPublished(
        list_id="l", version=2, effective_from=date(2026, 1, 1), items=[], reason="r"
    )
    payload = event.model_dump(mode="json")
    assert payload["version"] == 2 and "list_version" not in payload
    assert CheckItemListPublished.version == 1 and event.version == 1
    envelope = Envelope[dict](  # type: ignore[type-var]
        event_id="e",
        event_type=event.event_type(),
        schema_version=event.version,
        district="lingang",
        occurred_at=NOW,
        actor="x",
        aggregate_id=event.aggregate_id(),
        correlation_id="e",
        payload=payload,
    )
    again = envelope.event()
    assert isinstance(again, CheckItemListPublished) and again.list_version == 2
    assert event_class(event.event_type(), 1) is CheckItemListPublished
