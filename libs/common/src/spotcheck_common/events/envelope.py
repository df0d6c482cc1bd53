"""The event envelope and the base class of every versioned event schema.

Topics carry the district: ``<district>.<service>.<event>.v<version>``; a district writes only
its own. A ``shared`` event's topics may be read by the district's neighbours (joint draws,
ADR 0010); every other topic is the district's alone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar, Generic, TypeVar
from uuid import uuid4

from pydantic import BaseModel, ConfigDict, Field

_REGISTRY: dict[tuple[str, int], type[Event]] = {}


class Event(BaseModel):
    """A domain event payload. Subclasses name their service, event and schema version."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    service: ClassVar[str]
    name: ClassVar[str]
    version: ClassVar[int] = 1
    # A schema version its producer no longer emits, kept so consumers can read what the
    # topic still holds (the AsyncAPI document lists only what is produced).
    retired: ClassVar[bool] = False
    # The district's neighbours may read it (the ``shared`` flag of its line in
    # infra/regional/events.txt, which grants the ACLs; a test holds the two equal).
    shared: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            key = (cls.event_type(), cls.version)
            if key in _REGISTRY and _REGISTRY[key] is not cls:
                raise TypeError(f"event {key} defined twice")
            _REGISTRY[key] = cls

    @classmethod
    def event_type(cls) -> str:
        return f"{cls.service}.{cls.name}"

    @classmethod
    def topic(cls, district: str) -> str:
        return topic_for(district, cls.service, cls.name, cls.version)

    def aggregate_id(self) -> str:
        """Partition key: events of one aggregate keep their order."""
        raise NotImplementedError


def topic_for(district: str, service: str, name: str, version: int) -> str:
    return f"{district}.{service}.{name}.v{version}"


def event_class(event_type: str, version: int) -> type[Event]:
    try:
        return _REGISTRY[(event_type, version)]
    except KeyError:
        raise LookupError(f"unknown event {event_type} v{version}") from None


def registered_events() -> list[type[Event]]:
    return sorted(_REGISTRY.values(), key=lambda c: (c.event_type(), c.version))


def new_id() -> str:
    return str(uuid4())


def utcnow() -> datetime:
    return datetime.now(UTC)


P = TypeVar("P")


class Envelope(BaseModel, Generic[P]):
    """What travels on the bus. ``payload`` is the event; the rest is metadata."""

    model_config = ConfigDict(frozen=True)

    event_id: str = Field(default_factory=new_id)
    event_type: str
    schema_version: int
    district: str
    occurred_at: datetime = Field(default_factory=utcnow)
    actor: str
    aggregate_id: str
    correlation_id: str
    causation_id: str | None = None
    traceparent: str | None = None
    tracestate: str | None = None
    payload: P

    def event(self) -> Event:
        cls = event_class(self.event_type, self.schema_version)
        if isinstance(self.payload, cls):  # a typed subscriber validated it already
            return self.payload
        raw = self.payload.model_dump() if isinstance(self.payload, BaseModel) else self.payload
        return cls.model_validate(raw)

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Envelope[Any]:
        return Envelope[dict[str, Any]].model_validate_json(data)
