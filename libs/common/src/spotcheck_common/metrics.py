"""Prometheus metrics shared by every service (exposed at ``/metrics``)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENTS_PUBLISHED = Counter(
    "spotcheck_events_published_total",
    "Events relayed from the outbox to the bus",
    ["service", "event_type"],
)
EVENTS_CONSUMED = Counter(
    "spotcheck_events_consumed_total",
    "Events delivered to a consumer, by outcome (processed, duplicate, failed; dead_lettered: "
    "its retry budget spent; refused: the envelope's district is not its topic's)",
    ["consumer", "event_type", "outcome"],
)
CONSUMER_PROCESSING = Histogram(
    "spotcheck_consumer_processing_seconds",
    "Time a consumer took to handle one event, its transaction's commit included (events "
    "handled; duplicates, waits and failures left out)",
    ["consumer", "event_type"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
EVENTS_UNDECODABLE = Counter(
    "spotcheck_events_undecodable_total",
    "Messages the consumers skipped because they are no envelope of the topic's event "
    "(logged with topic, partition and offset; the message stays in the topic)",
    ["topic"],
)
CONSUMER_LAG = Gauge(
    "spotcheck_consumer_lag",
    "Events a consumer group has yet to handle on a topic: the partitions' high watermarks "
    "minus the group's committed offsets, measured from the broker",
    ["group", "topic"],
)
DEAD_LETTERS = Gauge(
    "spotcheck_dead_letters",
    "Events a consumer gave up on after its retry budget, waiting for an operator's replay",
    ["service"],
)
WAITING_EVENTS = Gauge(
    "spotcheck_waiting_events",
    "Events received before what they depend on (and those of their aggregate behind them), "
    "waiting in the service's waiting room",
    ["service"],
)
WAITING_OLDEST_AGE = Gauge(
    "spotcheck_waiting_oldest_seconds",
    "Age of the event that has waited longest in the service's waiting room (0: none waits)",
    ["service"],
)
OUTBOX_PENDING = Gauge(
    "spotcheck_outbox_pending", "Outbox rows not yet relayed (parked rows left out)", ["service"]
)
OUTBOX_OLDEST_AGE = Gauge(
    "spotcheck_outbox_oldest_pending_seconds",
    "Age of the oldest unrelayed outbox row (parked rows left out)",
    ["service"],
)
OUTBOX_PARKED = Gauge(
    "spotcheck_outbox_parked",
    "Outbox rows the bus can never accept (over its message size limit, or refused for good), "
    "parked until an operator releases them (spotcheck parked-events)",
    ["service"],
)
RELAY_FAILURES = Counter(
    "spotcheck_outbox_relay_failures_total", "Failed attempts to relay an outbox row", ["service"]
)
HTTP_REQUESTS = Histogram(
    "spotcheck_http_request_duration_seconds",
    "HTTP request duration",
    ["method", "route", "status"],
)
FOLDS_PARKED = Counter(
    "spotcheck_archives_folds_parked",
    "Events filed in their dossier whose fold into the accountability facts failed and was "
    "parked (GET /api/archives/parked-folds), by event type",
    ["event_type"],
)
OVERDUE_ITEMS = Gauge(
    "spotcheck_overdue_items",
    "Items past their legal deadline, by the service that keeps the clock (source), kind "
    "(e.g. objection_review, result_publication, task_not_run, case_not_transferred) and "
    "responsible department; archives sees every kind, alert on max by (kind, department)",
    ["source", "kind", "department"],
)
DUE_SOON_ITEMS = Gauge(
    "spotcheck_due_soon_items",
    "Open items whose legal deadline falls within the next N working days (archives setting "
    "SPOTCHECK_ARCHIVES_DUE_SOON_WORKDAYS, default 3), by source, kind and department: the "
    "warning before spotcheck_overdue_items counts them",
    ["source", "kind", "department"],
)
CALENDAR_COVERAGE_DAYS = Gauge(
    "spotcheck_calendar_coverage_days",
    "Days from today (Beijing) to the first day the service's working-day calendar does not "
    "cover (61 on 1 November and 31 on 1 December while next year's schedule is missing)",
    ["source"],
)
DEADLINES_PENDING = Gauge(
    "spotcheck_deadlines_pending_calendar",
    "Legal deadlines recorded as pending because the year they reach has no holiday schedule "
    "yet, by the service that keeps the clock (source) and kind",
    ["source", "kind"],
)
PUBLIC_ANSWERS = Counter(
    "spotcheck_public_answers_total",
    "Public searches answered from the answers kept in memory (hit; door: before routing, by"
    " the raw query string) or computed (miss)",
    ["route", "result"],
)
