"""Event contract shared by all services: the envelope and versioned payload schemas."""

from spotcheck_common.events.envelope import (
    Envelope,
    Event,
    event_class,
    registered_events,
    topic_for,
)

# Importing the schema modules registers every event type.
from spotcheck_common.events import (  # noqa: E402, F401
    draws,
    inspections,
    objections,
    planning,
    publication,
    registry,
)

__all__ = ["Envelope", "Event", "event_class", "registered_events", "topic_for"]
