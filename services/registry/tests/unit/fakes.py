"""Fakes for the registry's service layer: the item list's repository and the job store."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from registry.domain.check_items import ListVersion
from spotcheck_common.events.registry import CheckItem


class FakeRepo:
    def __init__(self) -> None:
        self.versions: list[ListVersion] = []
        self.items: dict[int, list[CheckItem]] = {}
        self.batches: list[dict[str, Any]] = []

    async def list_versions(self) -> list[ListVersion]:
        return list(self.versions)

    async def add_list_version(self, version: ListVersion, items: Sequence[CheckItem]) -> None:
        self.versions.append(version)
        self.items[version.version] = list(items)

    async def check_items(self, version: int) -> list[CheckItem]:
        return list(self.items[version])

    async def record_batch(self, **values: Any) -> None:
        self.batches.append(values)

    async def inspector_ids(self) -> set[str]:
        return set()

    async def expert_ids(self) -> set[str]:
        return set()


class FakeJobs:
    """Every call, in order: (method, import_id, values)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def last(self, method: str) -> dict[str, Any]:
        return [values for name, values in self.calls if name == method][-1]

    async def start(self, import_id: str, now: datetime) -> None:
        self.calls.append(("start", {"now": now}))

    async def opened(self, import_id: str, **values: Any) -> None:
        self.calls.append(("opened", values))

    async def progress(
        self,
        import_id: str,
        rows_read: int,
        rows_total: int | None,
        errors_total: int,
        now: datetime,
    ) -> None:
        self.calls.append(
            ("progress", {"rows_read": rows_read, "rows_total": rows_total, "now": now})
        )

    async def finish(self, import_id: str, now: datetime, **values: Any) -> None:
        self.calls.append(("finish", {"now": now, **values}))
