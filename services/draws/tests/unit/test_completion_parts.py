"""The countersigned draw leaves as parts (ADR 0012) when its completion would not fit one
message: the same targets, teams, unstaffed and reserve as one event would carry, in order."""

from __future__ import annotations

import pytest

from draws.service_layer import services
from spotcheck_common.events import draws as events
from spotcheck_common.events.draws import DrawCompleted

from .test_service_layer import loaded, run_draw


def completions(uow_events: list[object]) -> list[DrawCompleted]:
    return [e for e in uow_events if isinstance(e, DrawCompleted)]


async def test_a_draw_too_large_for_one_message_is_emitted_in_parts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(events, "PART_BYTES", 4_000)
    repo = await loaded()
    draw_id, uow = await run_draw(repo)
    parts = completions(uow.events)
    draw = await repo.get_draw(draw_id)
    assert draw is not None
    whole = await services.completed_event(repo, draw, parts[0].bundle_url)
    assert len(whole.targets) > 10
    assert len(parts) > 2
    assert [(p.part, p.parts) for p in parts] == [(i, len(parts)) for i in range(1, len(parts) + 1)]
    assert all(len(p.model_dump_json().encode()) <= 4_000 for p in parts)
    assert [t for p in parts for t in p.targets] == whole.targets
    assert [u for p in parts for u in p.unstaffed] == whole.unstaffed
    assert [r for p in parts for r in p.reserve] == whole.reserve
    assert {p.result_sha256 for p in parts} == {whole.result_sha256}
    assert uow.events[-len(parts) :] == parts  # the completion's parts end the draw, together
