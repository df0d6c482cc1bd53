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
OUTBOX_PENDING = Gauge("spotcheck_outbox_pending", "Outbox rows not yet relayed", ["service"])
OUTBOX_OLDEST_AGE = Gauge(
    "spotcheck_outbox_oldest_pending_seconds", "Age of the oldest unrelayed outbox row", ["service"]
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
