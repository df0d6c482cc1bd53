"""What a service reads from its neighbours' topics, and the envelope-district check every
consumer makes (issue 10): an event counts only if it names the district whose topic carried
it, and that district is this one or a neighbour."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from spotcheck_common.bus import Deliver
from spotcheck_common.consumer import PROCESSED, Subscription
from spotcheck_common.db import Database
from spotcheck_common.events import Envelope
from spotcheck_common.events.envelope import Event
from spotcheck_common.events.registry import ConflictDeclared
from spotcheck_common.metrics import EVENTS_CONSUMED
from spotcheck_common.service import ServiceDefinition, ServiceRuntime
from spotcheck_common.settings import Settings
from spotcheck_common.uow import UnitOfWork

from ..helpers import conflict, create_schema


class RecordingBus:
    """Keeps what was subscribed; delivers by hand."""

    def __init__(self) -> None:
        self.subscribed: dict[str, tuple[str, Deliver]] = {}

    def subscribe(self, topic: str, group: str, event: type[Event], deliver: Deliver) -> None:
        self.subscribed[topic] = (group, deliver)

    def declare_publisher(self, topic: str, event: type[Event], service: str) -> None:
        return None

    async def publish(self, topic: str, key: str, value: bytes, headers: dict[str, str]) -> None:
        return None

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def ready(self) -> bool:
        return True


seen: list[tuple[str, str]] = []


async def own(event: Any, envelope: Envelope[Any], uow: UnitOfWork) -> None:
    seen.append(("own", envelope.district))


async def theirs(event: Any, envelope: Envelope[Any], uow: UnitOfWork) -> None:
    seen.append(("theirs", envelope.district))


@pytest.fixture
async def runtime(tmp_path: Path) -> tuple[ServiceRuntime, RecordingBus]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'svc.db'}", "svc")
    await create_schema(db)
    definition = ServiceDefinition(
        "draws",
        "draws",
        sa.MetaData(),
        Path("."),
        subscriptions=[
            Subscription(ConflictDeclared, own),
            Subscription(ConflictDeclared, theirs, neighbours=True),
        ],
    )
    bus = RecordingBus()
    settings = Settings(district="lingang", neighbours="huancui,wendeng")
    rt = ServiceRuntime(definition, settings, db, bus)
    rt.bind()
    seen.clear()
    return rt, bus


def envelope(district: str) -> Envelope[Any]:
    event = conflict("HC0001", 1)
    return Envelope(
        event_type=event.event_type(),
        schema_version=event.version,
        district=district,
        actor="someone",
        aggregate_id=event.aggregate_id(),
        correlation_id="c",
        payload=event,
    )


def refused() -> float:
    return EVENTS_CONSUMED.labels("draws", "registry.conflict-declared", "refused")._value.get()


async def test_neighbour_topics_get_their_own_groups_prefixed_with_this_district(
    runtime: tuple[ServiceRuntime, RecordingBus],
) -> None:
    _, bus = runtime
    groups = {topic: group for topic, (group, _) in bus.subscribed.items()}
    assert groups == {
        "lingang.registry.conflict-declared.v1": "lingang.draws.registry.conflict-declared",
        "huancui.registry.conflict-declared.v1": (
            "lingang.draws.registry.conflict-declared.from.huancui"
        ),
        "wendeng.registry.conflict-declared.v1": (
            "lingang.draws.registry.conflict-declared.from.wendeng"
        ),
    }


async def test_each_topic_reaches_only_its_own_handlers(
    runtime: tuple[ServiceRuntime, RecordingBus],
) -> None:
    _, bus = runtime
    await bus.subscribed["huancui.registry.conflict-declared.v1"][1](envelope("huancui"), {})
    await bus.subscribed["lingang.registry.conflict-declared.v1"][1](envelope("lingang"), {})
    assert seen == [("theirs", "huancui"), ("own", "lingang")]


@pytest.mark.parametrize(
    ("topic_district", "claimed"),
    [
        ("huancui", "lingang"),  # a neighbour forging this district's own events
        ("huancui", "wendeng"),  # a neighbour speaking for another neighbour
        ("lingang", "huancui"),  # this district's topic carrying a neighbour's envelope
    ],
)
async def test_an_envelope_whose_district_is_not_its_topics_is_refused_and_counted(
    runtime: tuple[ServiceRuntime, RecordingBus], topic_district: str, claimed: str
) -> None:
    rt, bus = runtime
    before = refused()
    forged = envelope(claimed)
    await bus.subscribed[f"{topic_district}.registry.conflict-declared.v1"][1](forged, {})
    assert seen == []
    assert refused() == before + 1
    async with rt.db.sessions() as s:  # not even remembered as processed: nothing happened
        assert (await s.execute(sa.select(PROCESSED))).all() == []
