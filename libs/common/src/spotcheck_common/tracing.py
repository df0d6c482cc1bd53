"""OpenTelemetry: one trace follows a task from the HTTP request through outbox and bus."""

from __future__ import annotations

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

tracer = trace.get_tracer("spotcheck")
_configured = False


def setup_tracing(
    service_name: str, endpoint: str = "", exporter: SpanExporter | None = None
) -> None:
    """Install the SDK once per process; spans are exported only where an endpoint is set."""
    global _configured
    if _configured:
        return
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if exporter is None and endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter(endpoint=traces_url(endpoint))
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    _configured = True


def traces_url(endpoint: str) -> str:
    """The OTLP/HTTP traces URL: the collector's base URL (as OTEL_EXPORTER_OTLP_ENDPOINT is
    written, ``http://collector:4318``) with ``/v1/traces``, or a URL already ending so."""
    base = endpoint.rstrip("/")
    return base if base.endswith("/v1/traces") else base + "/v1/traces"


def inject_current() -> dict[str, str]:
    """The current span's W3C trace context (``traceparent``, ``tracestate``)."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def extract(carrier: dict[str, str]) -> otel_context.Context:
    return propagate.extract(carrier)


def carrier_of(traceparent: str | None, tracestate: str | None) -> dict[str, str]:
    carrier = {}
    if traceparent:
        carrier["traceparent"] = traceparent
    if tracestate:
        carrier["tracestate"] = tracestate
    return carrier
