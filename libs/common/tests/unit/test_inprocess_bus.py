import pytest

from spotcheck_common.bus import InProcessBus
from spotcheck_common.events import Envelope
from spotcheck_common.events.registry import ConflictDeclared


def envelope() -> Envelope[dict]:
    return Envelope[dict](
        event_type="registry.conflict-declared",
        schema_version=1,
        district="lingang",
        actor="u",
        aggregate_id="i1",
        correlation_id="c",
        payload={"inspector_id": "i1", "uscc": "914403001922038216", "reason": "亲属"},
    )


async def test_every_subscriber_gets_the_event_and_a_failure_is_reported() -> None:
    bus = InProcessBus()
    seen: list[str] = []

    async def ok(env: Envelope[dict], headers: dict[str, str]) -> None:
        seen.append(env.event_id)

    async def broken(env: Envelope[dict], headers: dict[str, str]) -> None:
        raise RuntimeError("db down")

    topic = ConflictDeclared.topic("lingang")
    bus.subscribe(topic, "g1", ConflictDeclared, broken)
    bus.subscribe(topic, "g2", ConflictDeclared, ok)
    env = envelope()
    with pytest.raises(RuntimeError, match="1 subscriber"):
        await bus.publish(topic, "i1", env.to_bytes(), {})
    assert seen == [env.event_id]  # the healthy subscriber was not starved by the broken one


async def test_topics_nobody_subscribes_to_are_dropped_quietly() -> None:
    await InProcessBus().publish("lingang.x.y.v1", "k", envelope().to_bytes(), {})
