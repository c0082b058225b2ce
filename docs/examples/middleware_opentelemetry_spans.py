"""Trace requests with OpenTelemetry and inspect the spans in memory."""

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from framework.applications import Application
from framework.middleware import Middleware
from framework.middleware.opentelemetry import OpenTelemetryMiddleware
from framework.requests import Request
from framework.responses import JSONResponse
from framework.routing import Route
from framework.testclient import TestClient

exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))


async def get_order(request: Request) -> JSONResponse:
    return JSONResponse({"id": request.path_params["order_id"]})


app = Application(
    routes=[Route("/orders/{order_id:int}", get_order)],
    middleware=[Middleware(OpenTelemetryMiddleware, tracer_provider=provider)],
)

traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
response = TestClient(app).get("/orders/7", headers={"traceparent": traceparent})
assert response.json() == {"id": 7}

(span,) = exporter.get_finished_spans()
assert span.name == "GET /orders/{order_id}"  # the route template, not the raw path
assert span.kind is SpanKind.SERVER
assert span.attributes is not None
assert span.attributes["http.route"] == "/orders/{order_id}"
assert span.attributes["url.path"] == "/orders/7"
assert span.attributes["http.response.status_code"] == 200
assert format(span.context.trace_id, "032x") == "4bf92f3577b34da6a3ce929d0e0e4736"  # continues the caller's trace
