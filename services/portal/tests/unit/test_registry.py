"""The registry pages' logic: an upload streamed to the import with the right type and asked to
answer at once, a job's progress, a page of a list the registry answers whole."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from portal.adapters.api import ApiError
from portal.domain import registry as rules
from portal.service_layer import registry


class FakeApi:
    """Records each call; answers what the test gave it."""

    def __init__(self, answers: dict[str, Any] | None = None) -> None:
        self.answers = answers or {}
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    async def get(self, path: str, **params: Any) -> Any:
        self.calls.append(("GET", path, params))
        answer = self.answers[path]
        if isinstance(answer, ApiError):
            raise answer
        return answer

    async def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        if "content" in kwargs:
            kwargs["content"] = b"".join([c async for c in kwargs["content"]])
        self.calls.append(("POST", path, {"body": body, **kwargs}))
        return self.answers[path]


class FakeUpload:
    def __init__(self, filename: str, data: bytes) -> None:
        self.filename = filename
        self._data = data

    async def read(self, size: int = -1) -> bytes:
        size = size if size > 0 else len(self._data)
        chunk, self._data = self._data[:size], self._data[size:]
        return chunk


def test_an_upload_streams_the_whole_file_and_asks_for_the_job_at_once() -> None:
    api = FakeApi({"/api/registry/entities/import": {"import_id": "i1", "state": "queued"}})
    data = b"x" * (registry.CHUNK * 2 + 5)
    job = asyncio.run(registry.upload(api, "entities", FakeUpload("主体.csv", data)))  # type: ignore[arg-type]
    assert job["import_id"] == "i1"
    _, path, sent = api.calls[0]
    assert path == "/api/registry/entities/import"
    assert sent["content"] == data
    assert sent["headers"] == {"content-type": "text/csv", "prefer": "respond-async"}
    assert sent["params"] == {"filename": "主体.csv"}


def test_a_workbook_is_sent_as_one_and_the_item_list_carries_its_reason() -> None:
    api = FakeApi({"/api/registry/check-items/import": {"import_id": "i2"}})
    upload = FakeUpload("清单.XLSX", b"PK\x03\x04")
    asyncio.run(registry.upload(api, "check-items", upload, {"reason": "年度清单"}))  # type: ignore[arg-type]
    sent = api.calls[0][2]
    assert sent["headers"]["content-type"] == rules.XLSX_TYPE
    assert sent["params"] == {"filename": "清单.XLSX", "reason": "年度清单"}


@pytest.mark.parametrize(
    ("job", "percent", "running"),
    [
        ({"state": "queued", "rows_read": 0, "rows_total": None}, None, True),
        ({"state": "running", "rows_read": 250, "rows_total": 1000}, 25, True),
        ({"state": "succeeded", "rows_read": 1000, "rows_total": 1000}, 100, False),
        ({"state": "failed", "rows_read": 3, "rows_total": 0}, None, False),
    ],
)
def test_a_jobs_progress(job: dict[str, Any], percent: int | None, running: bool) -> None:
    assert rules.percent_done(job) == percent
    assert rules.is_running(job) is running


def test_a_list_the_registry_answers_whole_is_shown_a_page_at_a_time() -> None:
    rows = list(range(120))
    page = rules.page_of(rows, 100)
    assert page.items == list(range(100, 120)) and page.total == 120 and page.offset == 100
    assert rules.page_of(rows, 9999).items == [119]  # past the end: the last page's last row
    assert rules.page_of([], 50).items == []


def test_the_departments_are_those_of_the_inspectors_once_each() -> None:
    inspectors = {
        "items": [{"department": d} for d in ("信用监管科", "市场规范管理科", "信用监管科")]
    }
    api = FakeApi({"/api/registry/inspectors": inspectors})
    assert asyncio.run(registry.departments(api)) == ["信用监管科", "市场规范管理科"]  # type: ignore[arg-type]


def test_before_the_first_item_list_there_is_none_to_show() -> None:
    api = FakeApi({"/api/registry/check-items": ApiError(404, "尚无清单")})
    assert asyncio.run(registry.item_list(api, None)) is None  # type: ignore[arg-type]
    with pytest.raises(ApiError):
        asyncio.run(registry.item_list(api, 3))  # type: ignore[arg-type]
