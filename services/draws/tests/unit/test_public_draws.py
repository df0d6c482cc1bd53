"""The public list of a task's draws (``GET /public/draws?task_id=``): what the public site shows
on a task's page — status and digests, never a staff field."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from draws.entrypoints.routes.public import public_draws

from .fakes import FakeDrawsRepository, FakeDrawsUnitOfWork
from .test_service_layer import loaded, run_draw


@dataclass
class FakeDeps:
    repo: FakeDrawsRepository

    def uow(self, context: Any) -> FakeDrawsUnitOfWork:
        return FakeDrawsUnitOfWork(self.repo)


async def test_a_tasks_draws_are_listed_with_their_digests_only() -> None:
    repo = await loaded()
    draw_id, _ = await run_draw(repo)
    deps: Any = FakeDeps(repo)

    found = await public_draws(deps, task_id="T-1")
    assert found.total == 1
    (draw,) = found.items
    assert (draw.draw_id, draw.task_id, draw.status) == (draw_id, "T-1", "completed")
    assert len(draw.manifest_sha256) == 64 and draw.result_sha256
    assert set(draw.model_dump()) == {
        "draw_id",
        "task_id",
        "task_no",
        "task_title",  # as the public manifest names it
        "status",
        "status_label",
        "manifest_sha256",
        "result_sha256",
        "created_at",
        "matching",  # drawn or assigned (第六条): public, like the rest of the summary
    }
    assert draw.matching.model_dump(exclude_none=True) == {"assigned": False}
    assert (await public_draws(deps, task_id="T-other")).total == 0
