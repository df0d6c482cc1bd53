"""Districts are isolated on one broker by SCRAM users and the StandardAuthorizer's ACLs, exactly
as spotcheck_common.kafka_admin sets them up; topics have the specs events.txt gives them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    KafkaError,
    TopicAuthorizationFailedError,
)

from spotcheck_common.kafka_admin import (
    DistrictCredentials,
    Region,
    admin_client,
    apply_district,
    describe_acls,
)

pytestmark = pytest.mark.integration

AddDistrict = Callable[[str, Sequence[str]], Awaitable[DistrictCredentials]]
TIMEOUT_MS = 8000  # a refusal comes at once; this only bounds a hang


@dataclass
class Trio:
    lingang: DistrictCredentials
    huancui: DistrictCredentials
    wendeng: DistrictCredentials


@pytest.fixture
async def trio(unique_district: str, add_kafka_district: AddDistrict) -> Trio:
    """lingang and huancui are neighbours; wendeng is nobody's (as in deploy/helm/values)."""
    names = [f"{unique_district}-{d}" for d in ("lg", "hc", "wd")]
    lingang = await add_kafka_district(names[0], [names[1]])
    huancui = await add_kafka_district(names[1], [names[0]])
    wendeng = await add_kafka_district(names[2], [])
    return Trio(lingang, huancui, wendeng)


def _client(who: DistrictCredentials) -> dict[str, Any]:
    return {
        "bootstrap_servers": who.bootstrap,
        "request_timeout_ms": TIMEOUT_MS,
        **who.security().client_options(),
    }


async def _produce(who: DistrictCredentials, topic: str, value: bytes) -> None:
    producer = AIOKafkaProducer(**_client(who))
    try:
        await producer.start()
        async with asyncio.timeout(TIMEOUT_MS / 1000 * 3):
            await producer.send_and_wait(topic, value, key=b"k")
    finally:
        await producer.stop()


@pytest.fixture
async def consumer_of() -> AsyncIterator[Any]:
    consumers: list[AIOKafkaConsumer] = []

    async def make(who: DistrictCredentials, topic: str, group: str) -> AIOKafkaConsumer:
        consumer = AIOKafkaConsumer(
            topic, group_id=group, auto_offset_reset="earliest", **_client(who)
        )
        consumers.append(consumer)
        await consumer.start()
        return consumer

    yield make
    for consumer in consumers:
        await consumer.stop()


async def _first(consumer: AIOKafkaConsumer) -> bytes | None:
    async with asyncio.timeout(TIMEOUT_MS / 1000 * 3):
        message = await consumer.getone()
    return message.value


async def test_a_neighbour_reads_only_the_shared_topics_and_writes_none(
    trio: Trio, consumer_of: Any
) -> None:
    lg = trio.lingang.district
    shared = f"{lg}.draws.draw-manifest-frozen.v1"
    private = f"{lg}.registry.entities-imported.v1"
    await _produce(trio.lingang, shared, b"frozen")
    await _produce(trio.lingang, private, b"entities")

    # huancui, lingang's neighbour, reads lingang's shared topic with a group of its own.
    hc = trio.huancui.district
    reader = await consumer_of(trio.huancui, shared, f"{hc}.draws.manifest-frozen")
    assert await _first(reader) == b"frozen"

    # ... but not lingang's own topics,
    with pytest.raises(TopicAuthorizationFailedError):
        await _first(await consumer_of(trio.huancui, private, f"{hc}.registry.x"))
    # writes no lingang topic, shared or not,
    for topic in (shared, private):
        with pytest.raises(TopicAuthorizationFailedError):
            await _produce(trio.huancui, topic, b"forged")
    # and uses no consumer group outside its prefix, not even on its own topic.
    own = f"{hc}.registry.entities-imported.v1"
    with pytest.raises(GroupAuthorizationFailedError):
        await _first(await consumer_of(trio.huancui, own, f"{lg}.registry.x"))

    # wendeng is not lingang's neighbour: not even the shared topic.
    wd = trio.wendeng.district
    with pytest.raises(TopicAuthorizationFailedError):
        await _first(await consumer_of(trio.wendeng, shared, f"{wd}.draws.x"))


async def test_a_district_creates_no_topic_and_a_wrong_password_gets_nothing(
    trio: Trio,
) -> None:
    hc = trio.huancui
    admin = AIOKafkaAdminClient(**_client(hc))
    await admin.start()
    try:
        answer = await admin.create_topics([NewTopic(f"{hc.district}.made.up.v1", 1, 1)])
    finally:
        await admin.close()
    assert [error for _, error, *_ in answer.topic_errors] == [TopicAuthorizationFailedError.errno]

    impostor = DistrictCredentials(hc.district, hc.bootstrap, password="not-" + hc.password)
    with pytest.raises(KafkaError) as refused:
        await _produce(impostor, f"{hc.district}.registry.entity-updated.v1", b"x")
    assert isinstance(refused.value, KafkaConnectionError) or "uthentication" in str(refused.value)


async def test_the_broker_holds_the_topics_as_events_txt_specifies(
    trio: Trio, kafka_admin_password: str
) -> None:
    """Partitions, retention and compaction as the lines of events.txt say (single node: one
    replica, min.insync.replicas 1). Read as admin: a district may not read topic configs."""
    lg = trio.lingang
    compacted = {e.name: e for e in Region.load().events if e.cleanup_policy == "compact"}
    assert set(compacted) == {"draws.inspector-roster", "inspections.joint-inspection-state"}
    expected = {
        compacted["draws.inspector-roster"].topic(lg.district): ("3", "compact", "2592000000"),
        compacted["inspections.joint-inspection-state"].topic(lg.district): (
            "3",
            "compact",
            "2592000000",
        ),
        f"{lg.district}.registry.calendar-year-recorded.v1": ("1", "delete", "-1"),
        f"{lg.district}.draws.draw-completed.v1": ("3", "delete", "2592000000"),
    }
    admin = admin_client(lg.bootstrap, kafka_admin_password)
    await admin.start()
    try:
        names = sorted(expected)
        described = await admin.describe_topics(names)
        configs = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, name) for name in names]
        )
    finally:
        await admin.close()
    partitions = {t["topic"]: str(len(t["partitions"])) for t in described}
    settings: dict[str, dict[str, str]] = {}
    for response in configs:
        for _, _, _, name, entries in response.resources:
            settings[name] = {entry[0]: entry[1] for entry in entries}
    got = {
        name: (partitions[name], s["cleanup.policy"], s["retention.ms"])
        for name, s in settings.items()
    }
    assert got == expected
    district = AIOKafkaAdminClient(**_client(lg))
    await district.start()
    try:
        listed = set(await district.list_topics())
    finally:
        await district.close()
    # Every event type of events.txt has its topic; of other districts' topics lingang sees
    # exactly its neighbour's shared ones (wendeng's and other tests' are invisible to it).
    events = Region.load().events
    assert {e.topic(lg.district) for e in events} <= listed
    foreign = {t for t in listed if not t.startswith((f"{lg.district}.", "__"))}
    assert foreign == {e.topic(trio.huancui.district) for e in events if e.shared}


async def test_a_former_neighbour_loses_its_grants(
    trio: Trio, kafka_admin_password: str, consumer_of: Any
) -> None:
    """Setting a district up again with fewer neighbours removes the stale grants at once."""
    lg, hc = trio.lingang, trio.huancui
    shared = f"{hc.district}.draws.draw-completed.v1"
    await _produce(hc, shared, b"done")
    assert await _first(await consumer_of(lg, shared, f"{lg.district}.a")) == b"done"
    admin = admin_client(lg.bootstrap, kafka_admin_password)
    await admin.start()
    try:
        events = Region.load().events
        kept = await apply_district(admin, lg.district, lg.password, [], events)
        assert await describe_acls(admin, f"User:{lg.district}") == kept
    finally:
        await admin.close()
    assert {a.name for a in kept} == {f"{lg.district}."}
    with pytest.raises(TopicAuthorizationFailedError):
        await _first(await consumer_of(lg, shared, f"{lg.district}.b"))
