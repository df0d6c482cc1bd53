"""Every request but the probes' and scrapers' opens a server span that continues the caller's
W3C trace context, named by the route's template; what the request emits carries that span's
context (so the outbox, Kafka and the consumers continue the same trace)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi import APIRouter
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from spotcheck_common.settings import Settings
from spotcheck_common.testing import TEST_SECRET
from spotcheck_common.tracing import inject_current, setup_tracing, traces_url

from ..helpers import kernel_app

CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"
router = APIRouter()


@router.get("/api/t/items/{item_id}")
async def item(item_id: str) -> dict[str, str]:
    return inject_current()  # what an event emitted here would store on its outbox row


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    setup_tracing("test")
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter
    exporter.shutdown()


async def test_a_request_continues_the_callers_trace_and_passes_it_on(
    spans: InMemorySpanExporter,
) -> None:
    app = kernel_app(Settings(auth_secret=TEST_SECRET), routers=[router])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        parent = {"traceparent": f"00-{CALLER_TRACE}-{CALLER_SPAN}-01"}
        carried = (await client.get("/api/t/items/42", headers=parent)).json()
        for probe in ("/healthz", "/metrics"):
            assert (await client.get(probe)).status_code == 200
    finished = spans.get_finished_spans()
    assert [s.name for s in finished] == ["GET /api/t/items/{item_id}"]  # no probe, no steps
    [server] = finished
    assert server.kind is trace.SpanKind.SERVER
    assert server.name == "GET /api/t/items/{item_id}"  # the template, not the id
    assert server.parent is not None and f"{server.parent.span_id:016x}" == CALLER_SPAN
    assert f"{server.context.trace_id:032x}" == CALLER_TRACE
    # Downstream (the outbox row, the next service) continues from the server span.
    assert carried["traceparent"] == f"00-{CALLER_TRACE}-{server.context.span_id:016x}-01"


def test_the_exporter_is_given_the_traces_url_whichever_way_the_endpoint_is_written() -> None:
    assert traces_url("http://collector:4318") == "http://collector:4318/v1/traces"
    assert traces_url("http://collector:4318/") == "http://collector:4318/v1/traces"
    assert traces_url("http://collector:4318/v1/traces") == "http://collector:4318/v1/traces"
