"""The platform as it runs in production: seven service containers, Kafka and PostgreSQL
containers (images built by ``make images``), driven over HTTP through the whole cycle."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from .calendar_year import DECEMBER_CLOCK, run_calendar
from .flow import CREDIT, Platform, assert_cycle, run_cycle
from .stack import ADMIN_ROLE, SERVICES, Stack, service_role, wait_until
from .traces import Jaeger, Span
from .year import LATER_CLOCK, exempt_later, run_year

pytestmark = pytest.mark.e2e
LOGS = Path(os.environ.get("SPOTCHECK_E2E_LOGS", "/tmp/spotcheck-e2e-logs"))


@pytest.fixture(scope="module")
def jaeger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Jaeger]:
    """The trace backend every service container exports to."""
    backend = Jaeger(tmp_path_factory.mktemp("jaeger"))
    backend.start()
    try:
        yield backend
    finally:
        backend.stop()


@pytest.fixture(scope="module")
def stack(jaeger: Jaeger) -> Iterator[Stack]:
    s = Stack(otel_endpoint=jaeger.endpoint)
    try:
        s.start()
        yield s
    finally:
        s.dump_logs(LOGS)
        s.stop()


def platform(stack: Stack) -> Platform:
    return Platform({service: stack.url(service) for service in SERVICES}, district=stack.district)


def test_each_service_container_runs_as_its_own_role_confined_to_its_schema(
    stack: Stack,
) -> None:
    """As in production (docs/operations/postgres.md): the services' connections are each
    service's own role, and the draws role, granted its own schema, cannot read registry's."""
    sessions = (
        "SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = current_database() "
        "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
    )
    roles = {row[0] for row in stack.query(ADMIN_ROLE, sessions)}
    assert roles == {service_role(service) for service in SERVICES}
    draws = service_role("draws")
    assert stack.query(draws, "SELECT has_table_privilege('draws.outbox', 'INSERT')") == [(True,)]
    with pytest.raises(sa.exc.DBAPIError, match="permission denied for schema registry"):
        stack.query(draws, "SELECT count(*) FROM registry.entities")


def test_the_whole_cycle_flows_through_kafka(stack: Stack) -> None:
    p = platform(stack)
    cycle = run_cycle(p, "LG-E2E-KAFKA")
    assert_cycle(p, cycle)


def test_the_web_application_in_its_own_container_reads_the_services_over_http(
    stack: Stack,
) -> None:
    """``--target=portal`` alone, as the chart deploys it: its pages are the services' answers
    (a result and its draw from the cycle above), and the console knows who signs in."""
    p = platform(stack)
    record = p.call("publication", "GET", "/public/results?limit=1")["items"][0]
    inspection = p.call("inspections", "GET", "/api/inspections/inspections?limit=1", CREDIT)
    draw_id = inspection["items"][0]["draw_id"]
    site = stack.start_portal()
    home = httpx.get(site + "/", timeout=30)
    assert home.status_code == 200 and record["entity_name"] in home.text
    assert "default-src 'self'" in home.headers["content-security-policy"]
    page = httpx.get(f"{site}/draws/{draw_id}", timeout=30)
    assert page.status_code == 200 and draw_id in page.text
    token = p.headers(CREDIT)["Authorization"].removeprefix("Bearer ")
    console = httpx.get(site + "/console", cookies={"spotcheck_session": token}, timeout=30)
    assert console.status_code == 200 and "待办事项" in console.text
    assert httpx.get(site + "/console", timeout=30).status_code == 303  # not signed in


def test_one_cycle_is_one_trace_across_the_seven_services(stack: Stack, jaeger: Jaeger) -> None:
    """Every request of a whole cycle — import, task, draw (the ceremony tool too), inspection,
    publication, objection, correction — continues one W3C trace; the events carry it through
    the outbox and Kafka, so the trace backend holds one trace with spans of all seven
    services, their requests (server), the relays' sends (producer) and the consumers'
    handling (consumer)."""
    trace_id = secrets.token_hex(16)
    p = platform(stack)
    p.traceparent = f"00-{trace_id}-{secrets.token_hex(8)}-01"
    run_cycle(p, "LG-E2E-TRACE")
    wanted = {f"spotcheck-{service}" for service in SERVICES}

    def whole() -> list[Span] | None:
        spans = jaeger.trace(trace_id)
        kinds = {s.kind for s in spans}
        return spans if {s.service for s in spans} >= wanted and kinds >= KINDS else None

    spans = wait_until(whole, 180, "one trace with spans of every service")
    consumers = {s.service for s in spans if s.kind == "consumer"}
    downstream = ("draws", "inspections", "publication", "objections", "archives")
    assert consumers >= {f"spotcheck-{service}" for service in downstream}, sorted(consumers)
    assert any(s.name.startswith("publish ") and s.kind == "producer" for s in spans)


KINDS = {"server", "producer", "consumer"}


def test_consumers_killed_mid_flow_apply_every_event_exactly_once(stack: Stack) -> None:
    """publication and archives are SIGKILLed halfway through the submissions (while they are
    consuming), the rest is submitted while they are down, then they restart: nothing is lost
    (every result is published) and nothing is doubled (one version each, one dossier entry
    per event)."""
    p = platform(stack)

    crashed: list[int] = []

    def crash_consumers(n: int, total: int) -> None:
        if n == max(total // 2, 1):
            crashed.append(n)
            stack.kill_service("publication")
            stack.kill_service("archives")
        if n == total:
            stack.restart_service("publication")
            stack.restart_service("archives")

    cycle = run_cycle(p, "LG-E2E-FAULT", on_submitted=crash_consumers)
    assert crashed, "the consumers were never killed"
    assert all(len(r.get("versions", [1])) == 1 for r in cycle.records)
    assert_cycle(p, cycle)


def test_a_year_in_miniature_runs_across_the_services(stack: Stack) -> None:
    """The year, then the services restarted five weeks on (第十三条: what is overdue by
    then, and its exemption). Second to last: the clock stays moved."""
    year = run_year(platform(stack))
    stack.move_clock(LATER_CLOCK)
    exempt_later(platform(stack), year)


def test_next_years_holidays_reach_every_service_through_kafka(stack: Stack) -> None:
    """Last in the module: the services restart on 2026-12-21 (same Kafka and PostgreSQL)."""
    stack.move_clock(DECEMBER_CLOCK)
    run_calendar(platform(stack), task_no="LG-E2E-CAL-K")
