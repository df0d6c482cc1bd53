"""One trace follows a request through the outbox and the bus into a consumer."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from asgi_lifespan import LifespanManager
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from spotcheck_common.bus import InProcessBus
from spotcheck_common.consumer import Subscription, deliver
from spotcheck_common.db import Database
from spotcheck_common.events import Envelope
from spotcheck_common.events.registry import InspectorsImported
from spotcheck_common.http import build_app
from spotcheck_common.runner import build_runtimes, load
from spotcheck_common.settings import Settings
from spotcheck_common.testing import TEST_SECRET, auth_headers
from spotcheck_common.tracing import setup_tracing
from spotcheck_common.uow import UnitOfWork

from ..helpers import create_schema

CSV = (
    "执法人员编号,姓名,科室,检查资格,可任组长,执法证有效期至,在岗\n"
    "LG0001,王伟,信用监管科,企业公示信息,是,2030-12-31,是\n"
).encode()


async def test_consumer_span_belongs_to_the_request_trace(tmp_path: Path) -> None:
    setup_tracing("test")
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))

    bus = InProcessBus()
    sink_db = Database(f"sqlite+aiosqlite:///{tmp_path / 'sink.db'}", "sink")
    await create_schema(sink_db)
    received: list[Envelope[dict]] = []

    async def handler(event: InspectorsImported, envelope: Envelope[dict], u: UnitOfWork) -> None:
        received.append(envelope)

    sub = Subscription(InspectorsImported, handler)

    async def on_event(envelope: Envelope[dict], headers: dict[str, str]) -> None:
        await deliver(
            "sink", sub, envelope, lambda ctx: UnitOfWork(sink_db, "lingang", ctx), headers
        )

    bus.subscribe(InspectorsImported.topic("lingang"), "sink", InspectorsImported, on_event)
    runtimes = build_runtimes(
        [load("registry")], Settings(data_dir=tmp_path, auth_secret=TEST_SECRET), bus=bus
    )
    app = build_app(runtimes, "t")
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.post(
                "/api/registry/inspectors/import",
                content=CSV,
                headers={
                    "content-type": "text/csv",
                    **auth_headers("credit-dept-1", "credit_dept"),
                },
            )
            assert response.status_code == 200, response.text
            for _ in range(100):
                if received:
                    break
                await asyncio.sleep(0.05)
    assert received and received[0].actor == "credit-dept-1"
    spans = {s.name: s for s in exporter.get_finished_spans()}
    request = spans["POST /api/registry/inspectors/import"]
    publish = spans["publish lingang.registry.inspectors-imported.v1"]
    consume = spans["consume registry.inspectors-imported"]
    assert publish.context.trace_id == request.context.trace_id
    assert consume.context.trace_id == request.context.trace_id
    assert consume.parent is not None and consume.parent.span_id == publish.context.span_id
    await sink_db.dispose()
