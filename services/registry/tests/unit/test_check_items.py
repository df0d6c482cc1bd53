"""The spot-check item list (抽查事项清单, 第四条): parsing, versions, the current list."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

import pytest

from registry.adapters import demo
from registry.domain import check_items
from registry.domain.check_items import ListVersion, VersionRefused
from registry.domain.model import ImportRejected, parse_check_items
from registry.service_layer import services
from spotcheck_common.events.envelope import Envelope, event_class
from spotcheck_common.events.registry import CheckItem, CheckItemListPublished
from spotcheck_common.testing import FakeUnitOfWork

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


class FakeRepo:
    def __init__(self) -> None:
        self.versions: list[ListVersion] = []
        self.items: dict[int, list[CheckItem]] = {}

    async def list_versions(self) -> list[ListVersion]:
        return list(self.versions)

    async def add_list_version(self, version: ListVersion, items: Sequence[CheckItem]) -> None:
        self.versions.append(version)
        self.items[version.version] = list(items)


async def test_each_import_is_a_new_version_and_publishes_the_whole_list() -> None:
    repo = FakeRepo()
    uow = FakeUnitOfWork(actor="xinyong")
    first = await services.import_check_items(
        uow,
        repo,
        GOOD,
        "list.csv",
        "2026年清单",
        date(2026, 1, 1),
        now=NOW,  # type: ignore[arg-type]
    )
    assert first["version"] == 1 and first["imported"] == 2
    uow2 = FakeUnitOfWork(actor="xinyong")
    second = await services.import_check_items(
        uow2,
        repo,
        GOOD,
        "list2.csv",
        "省局调整",
        None,
        now=NOW,  # type: ignore[arg-type]
    )
    assert second["version"] == 2 and second["effective_from"] == "2026-03-02"  # today in China
    assert [v.version for v in repo.versions] == [1, 2]  # the old version is kept
    (event,) = uow2.events
    assert isinstance(event, CheckItemListPublished)
    assert event.list_version == 2 and event.reason == "省局调整"
    assert [i.code for i in event.items] == ["GS-01", "SP-01"]
    assert event.aggregate_id() == "lingang:check-items"


async def test_a_rejected_import_writes_and_emits_nothing() -> None:
    repo, uow = FakeRepo(), FakeUnitOfWork()
    with pytest.raises(ImportRejected):
        await services.import_check_items(uow, repo, b"", "x.csv", "r")  # type: ignore[arg-type]
    with pytest.raises(VersionRefused):
        await services.import_check_items(uow, repo, GOOD, "x.csv", "  ")  # type: ignore[arg-type]
    assert repo.versions == [] and uow.events == [] and not uow.committed


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
