"""Optional OpenTelemetry tracing of HTTP requests (the `otel` extra), off unless configured.

With `OTEL_EXPORTER_OTLP_ENDPOINT` set, `serve` wraps its whole ASGI stack in OpenTelemetry's ASGI
middleware (one server span per request, W3C trace context from the caller) and exports the spans
over OTLP/HTTP in batches. The other `OTEL_*` variables (`OTEL_SERVICE_NAME`,
`OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_TRACES_SAMPLER`...) are read by the SDK itself. Unset, nothing is
imported and the ack path is untouched.
"""

from __future__ import annotations

import logging
from typing import Any, cast

from app.asgi_body import ASGIApp

log = logging.getLogger(__name__)

SERVICE_NAME = "interrupt-bridge"


class TracingUnavailable(RuntimeError):
    """Tracing was asked for but the `otel` extra is not installed."""


def traced(app: ASGIApp, *, endpoint: str | None, exporter: Any = None) -> ASGIApp:
    """`app` inside OpenTelemetry's ASGI middleware when `endpoint` (or a test `exporter`) is given."""
    if not endpoint and exporter is None:
        return app
    try:
        from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
    except ImportError as exc:
        raise TracingUnavailable(
            "OTEL_EXPORTER_OTLP_ENDPOINT is set but OpenTelemetry is not installed: "
            "pip install 'interrupt-bridge[otel]'"
        ) from exc
    provider = TracerProvider(resource=Resource.create({"service.name": SERVICE_NAME}))
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        # The SDK appends /v1/traces to OTEL_EXPORTER_OTLP_ENDPOINT itself; this endpoint is the full URL.
        provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(endpoint=_traces_url(endpoint or "")))
        )
    else:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    log.info("OpenTelemetry tracing on", extra={"otel.endpoint": endpoint or "test exporter"})
    return cast(ASGIApp, OpenTelemetryMiddleware(cast(Any, app), tracer_provider=provider))


def _traces_url(endpoint: str) -> str:
    endpoint = endpoint.rstrip("/")
    return endpoint if endpoint.endswith("/v1/traces") else endpoint + "/v1/traces"
