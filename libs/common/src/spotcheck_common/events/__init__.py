"""Event contract shared by all services: the envelope and versioned payload schemas."""

# Importing the schema modules registers every event type.
from spotcheck_common.events import (  # noqa: F401
    calendar,
    draws,
    inspections,
    objections,
    planning,
    publication,
    registry,
)
from spotcheck_common.events.envelope import (
    Envelope,
    Event,
    event_class,
    registered_events,
    topic_for,
)

__all__ = ["Envelope", "Event", "event_class", "registered_events", "topic_for"]
