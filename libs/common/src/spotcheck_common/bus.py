"""The event bus: Apache Kafka through FastStream, or in-process delivery for embedded runs.

Both are fed by the same outbox relay and deliver through the same idempotent consumer, so the
all-in-one process behaves like the distributed system, minus the broker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, cast

from spotcheck_common import lag
from spotcheck_common.events.envelope import Envelope, Event

if TYPE_CHECKING:
    from faststream.security import BaseSecurity

    from spotcheck_common.settings import Settings

log = logging.getLogger(__name__)

Deliver = Callable[[Envelope[Any], dict[str, str]], Awaitable[None]]


class EventBus(Protocol):
    def subscribe(self, topic: str, group: str, event: type[Event], deliver: Deliver) -> None: ...

    def declare_publisher(self, topic: str, event: type[Event], service: str) -> None: ...

    async def publish(
        self, topic: str, key: str, value: bytes, headers: dict[str, str]
    ) -> None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def ready(self) -> bool: ...


class InProcessBus:
    """Delivers each published event to every local subscriber of its topic, in order."""

    # No message size limit, and no refusal is for good: a subscriber's failure is retried.
    max_message_bytes: int | None = None

    @staticmethod
    def permanent(exc: BaseException) -> bool:
        return False

    def __init__(self) -> None:
        self._subscribers: dict[str, list[Deliver]] = defaultdict(list)
        self._lock = asyncio.Lock()

    def subscribe(self, topic: str, group: str, event: type[Event], deliver: Deliver) -> None:
        self._subscribers[topic].append(deliver)

    def declare_publisher(self, topic: str, event: type[Event], service: str) -> None:
        return None

    async def publish(self, topic: str, key: str, value: bytes, headers: dict[str, str]) -> None:
        envelope = Envelope.from_bytes(value)
        errors: list[BaseException] = []
        async with self._lock:  # one delivery at a time, like one partition
            for deliver in self._subscribers.get(topic, []):
                try:
                    await deliver(envelope, headers)
                except Exception as exc:  # the others still get it; the relay retries all
                    errors.append(exc)
        if errors:
            raise RuntimeError(f"{len(errors)} subscriber(s) of {topic} failed: {errors[0]!r}")

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def ready(self) -> bool:
        return True


MAX_BATCH_BYTES = 960 * 1024  # under the broker's message.max.bytes (1 MiB + 12 bytes)
MAX_MESSAGE_BYTES = 1024 * 1024  # the producer's max_request_size and the broker's limit


def refused_for_good(exc: BaseException) -> bool:
    """Whether Kafka refuses this message however often it is sent again: larger than the
    producer's or the broker's limit, or a topic name the broker can never accept. Not the
    broker's absence, timeouts or a missing authorisation (an ACL can be mended): those pass."""
    from aiokafka import errors

    return isinstance(
        exc,
        (
            errors.MessageSizeTooLargeError,  # the producer's check, or the broker's
            errors.RecordTooLargeError,
            errors.RecordListTooLargeError,
            errors.InvalidTopicError,
        ),
    )


@dataclass(frozen=True)
class KafkaSecurity:
    """How a client signs in to Kafka: SASL (SCRAM) and/or TLS, as Settings' ``kafka_*`` say.
    The broker, publisher, consumers and admin client of a process all use the same."""

    protocol: str = "PLAINTEXT"  # PLAINTEXT | SASL_PLAINTEXT | SASL_SSL | SSL
    mechanism: str = "SCRAM-SHA-512"  # or SCRAM-SHA-256, PLAIN
    username: str = ""
    password: str = ""
    ca_file: str = ""  # empty: the system's trust store
    cert_file: str = ""  # client certificate and key: mutual TLS
    key_file: str = ""

    @classmethod
    def from_settings(cls, settings: Settings) -> KafkaSecurity:
        return cls(
            protocol=settings.kafka_security_protocol,
            mechanism=settings.kafka_sasl_mechanism,
            username=settings.kafka_sasl_username or settings.district,
            password=settings.kafka_sasl_password,
            ca_file=settings.kafka_ssl_cafile,
            cert_file=settings.kafka_ssl_certfile,
            key_file=settings.kafka_ssl_keyfile,
        )

    @property
    def sasl(self) -> bool:
        return self.protocol.startswith("SASL_")

    @property
    def tls(self) -> bool:
        return self.protocol.endswith("SSL")

    def ssl_context(self) -> ssl.SSLContext | None:
        if not self.tls:
            return None
        context = ssl.create_default_context(cafile=self.ca_file or None)
        if self.cert_file:
            context.load_cert_chain(self.cert_file, self.key_file or None)
        return context

    def client_options(self) -> dict[str, Any]:
        """aiokafka's keyword arguments (producer, consumer, admin client)."""
        options: dict[str, Any] = {"security_protocol": self.protocol}
        if self.tls:
            options["ssl_context"] = self.ssl_context()
        if self.sasl:
            options.update(
                sasl_mechanism=self.mechanism,
                sasl_plain_username=self.username,
                sasl_plain_password=self.password,
            )
        return options

    def faststream(self) -> BaseSecurity | None:
        """FastStream's security object for KafkaBroker (None: plaintext, no sign-in)."""
        from faststream.security import (
            BaseSecurity,
            SASLPlaintext,
            SASLScram256,
            SASLScram512,
        )

        context = self.ssl_context()
        if not self.sasl:
            return BaseSecurity(ssl_context=context, use_ssl=True) if self.tls else None
        kind = {"SCRAM-SHA-512": SASLScram512, "SCRAM-SHA-256": SASLScram256}.get(
            self.mechanism, SASLPlaintext
        )
        return kind(self.username, self.password, ssl_context=context, use_ssl=self.tls)


class DeliveryFailed(Exception):
    """A consumer failed on a message it could decode: redelivered (``consumer.deliver``
    counts the attempts)."""


def _skip_undecodable() -> Any:
    """The consumers' middleware: a message that is no envelope of its topic's event
    (FastStream refuses it before the consumer runs) can never be handled, however often it
    comes again. It is skipped — logged with where it lies, counted, acknowledged — instead of
    blocking its partition for ever; the message itself stays in the topic for an operator to
    read. A consumer's own failures are ``DeliveryFailed``: redelivered as before."""
    from faststream import Context, ExceptionMiddleware
    from pydantic import ValidationError

    from spotcheck_common.metrics import EVENTS_UNDECODABLE

    async def skip(exc: ValidationError, message: Any = Context()) -> None:
        raw = getattr(message, "raw_message", None)
        topic = str(getattr(raw, "topic", ""))
        EVENTS_UNDECODABLE.labels(topic).inc()
        log.error(
            "undecodable message skipped",
            extra={
                "fields": {
                    "topic": topic,
                    "partition": getattr(raw, "partition", None),
                    "offset": getattr(raw, "offset", None),
                    "error": str(exc)[:2000],
                }
            },
        )

    return ExceptionMiddleware(handlers={ValidationError: skip})


class KafkaBus:
    """FastStream's Kafka broker: typed subscribers (one consumer group per service) and
    publishers, so the AsyncAPI document names every topic and its payload schema."""

    # Sends may overlap: the producer batches them per partition and keeps each partition's
    # order (the relay still waits for one row of an aggregate before sending the next).
    pipelined = True
    permanent = staticmethod(refused_for_good)

    def __init__(
        self,
        bootstrap: str,
        client_id: str = "spotcheck",
        replication: int = 1,
        batch_bytes: int | None = None,
        security: KafkaSecurity | None = None,
        create_topics: bool = False,
        lag_interval_s: float = 0.0,
        max_message_bytes: int = MAX_MESSAGE_BYTES,
    ) -> None:
        """``security``: None signs in as the process's settings say (``SPOTCHECK_KAFKA_*``).
        ``create_topics``: make missing topics at start (embedded, test and dev brokers only:
        on the regional cluster topics are code and a district may not create any).
        ``max_message_bytes``: the largest message the producer sends (its
        ``max_request_size``); the relay parks a larger outbox row instead of sending it."""
        from faststream.kafka import KafkaBroker

        from spotcheck_common.settings import Settings

        self.bootstrap = bootstrap
        self.lag_interval_s = lag_interval_s  # 0: lag measured only when asked
        self.security = security or KafkaSecurity.from_settings(Settings())
        self.create_topics = create_topics
        # Events sent together to a partition go in one batch up to ``batch_bytes`` (the
        # producer's default, 16 KiB, holds one event of an import, ~250 KiB, a batch: a round
        # trip to the broker for each). The broker refuses a batch over 1 MiB.
        options: dict[str, Any] = {}
        if batch_bytes:
            options["max_batch_size"] = min(batch_bytes, MAX_BATCH_BYTES)
        self.max_message_bytes = max_message_bytes
        self.broker = KafkaBroker(
            bootstrap,
            client_id=client_id,
            logger=log,
            security=self.security.faststream(),
            max_request_size=max_message_bytes,
            middlewares=[_skip_undecodable()],
            **options,
        )
        self.replication = replication
        self._topics: set[str] = set()
        self._groups: set[tuple[str, str]] = set()  # (group, topic) subscribed here
        self._started = False
        self._lag: asyncio.Task[None] | None = None
        self._stop_lag = asyncio.Event()

    def subscribe(self, topic: str, group: str, event: type[Event], deliver: Deliver) -> None:
        from faststream import AckPolicy
        from faststream.kafka import KafkaMessage, Topic

        self._topics.add(topic)
        self._groups.add((group, topic))
        # The envelope parameterised by this event's class (a runtime type).
        message_type = cast(Any, Envelope)[event]

        async def consume(body: Any, message: KafkaMessage) -> None:
            headers = {
                k: v.decode() if isinstance(v, bytes) else str(v)
                for k, v in message.headers.items()
            }
            try:
                await deliver(body, headers)
            except Exception as exc:
                await asyncio.sleep(1.0)  # the message is redelivered; do not spin
                raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc

        # Real objects, not strings: FastStream reads the payload type from the signature.
        consume.__annotations__ = {"body": message_type, "message": KafkaMessage, "return": None}
        consume.__name__ = f"{group}:{topic}"
        self.broker.subscriber(
            # declare=False: FastStream would create a missing topic with one partition; the
            # topics are code (ensure_topics where the settings allow it, kafka_admin elsewhere).
            Topic(topic, declare=False),
            group_id=group,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,
            title=f"{group}:{topic}",
            description=event.__doc__,
        )(consume)

    def declare_publisher(self, topic: str, event: type[Event], service: str) -> None:
        self._topics.add(topic)
        self.broker.publisher(
            topic,
            schema=cast(Any, Envelope)[event],
            title=f"{service}:{topic}",
            description=event.__doc__,
        )

    async def publish(self, topic: str, key: str, value: bytes, headers: dict[str, str]) -> None:
        await self.broker.publish(value, topic, key=key.encode(), headers=headers)

    async def start(self) -> None:
        if self.create_topics:
            await ensure_topics(
                self.bootstrap,
                sorted(self._topics),
                replication=self.replication,
                security=self.security,
            )
        await self.broker.start()
        self._started = True
        if self._groups and self.lag_interval_s:
            self._stop_lag.clear()
            options = self.security.client_options()
            self._lag = asyncio.create_task(
                lag.watch(
                    self.bootstrap, options, self._groups, self.lag_interval_s, self._stop_lag
                ),
                name="consumer-lag",
            )

    async def measure_lag(self) -> dict[tuple[str, str], int]:
        """The lag of every (group, topic) this bus consumes, now (``spotcheck_common.lag``)."""
        return await lag.measure(self.bootstrap, self.security.client_options(), self._groups)

    async def stop(self) -> None:
        if self._lag is not None:
            self._stop_lag.set()
            await self._lag
            self._lag = None
        if self._started:
            await self.broker.stop()
            self._started = False

    async def ready(self) -> bool:
        try:
            return bool(await self.broker.ping(timeout=2.0))
        except Exception:
            return False


async def ensure_topics(
    bootstrap: str,
    topics: list[str],
    partitions: int = 3,
    replication: int = 1,
    security: KafkaSecurity | None = None,
) -> None:
    """Create missing topics (a no-op where they exist), so consumers never wait on them. Only
    where the settings allow it (``kafka_create_topics``): the regional cluster's topics are
    made by spotcheck_common.kafka_admin, with their specs, as admin."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic
    from aiokafka.errors import TopicAlreadyExistsError

    if not topics:
        return
    options = (security or KafkaSecurity()).client_options()
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **options)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t not in existing]
        if missing:
            # Services starting together race to create the same topics: losing is fine.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(
                    [
                        NewTopic(t, num_partitions=partitions, replication_factor=replication)
                        for t in missing
                    ]
                )
    finally:
        await admin.close()
