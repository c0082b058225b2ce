from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode, get_current_span

from framework.applications import Application
from framework.middleware import Middleware
from framework.middleware.opentelemetry import OpenTelemetryMiddleware
from framework.requests import Request
from framework.responses import JSONResponse, PlainTextResponse
from framework.routing import Mount, Route, WebSocketRoute
from framework.testclient import TestClient
from framework.types import Message, Receive, Scope, Send
from framework.websockets import WebSocket

TestClientFactory = Callable[..., TestClient]

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def provider(exporter: InMemorySpanExporter) -> TracerProvider:
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    return tracer_provider


async def get_user(request: Request) -> JSONResponse:
    context = get_current_span().get_span_context()
    return JSONResponse({"user_id": request.path_params["user_id"], "trace_id": format(context.trace_id, "032x")})


async def unavailable(request: Request) -> PlainTextResponse:
    return PlainTextResponse("later", status_code=503)


async def crash(request: Request) -> PlainTextResponse:
    raise RuntimeError("database on fire")


async def item(request: Request) -> PlainTextResponse:
    return PlainTextResponse("item")


async def socket(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_text("hi")
    await websocket.close()


def build_app(provider: TracerProvider) -> Application:
    return Application(
        routes=[
            Route("/users/{user_id:int}", get_user),
            Route("/unavailable", unavailable),
            Route("/crash", crash),
            Mount("/api", routes=[Mount("/v1", routes=[Route("/items/{item_id}", item)])]),
            WebSocketRoute("/ws/{room}", socket),
        ],
        middleware=[Middleware(OpenTelemetryMiddleware, tracer_provider=provider)],
    )


def build_app_untraced() -> Application:
    return Application(routes=[Route("/users/{user_id:int}", get_user), Route("/unavailable", unavailable)])


def only_span(exporter: InMemorySpanExporter) -> ReadableSpan:
    spans = exporter.get_finished_spans()
    assert len(spans) == 1, [span.name for span in spans]
    return spans[0]


def test_server_span_for_routed_request(
    test_client_factory: TestClientFactory, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    client = test_client_factory(build_app(provider))
    response = client.get("/users/42", headers={"User-Agent": "probe/1.0"})
    assert response.status_code == 200
    span = only_span(exporter)
    assert span.name == "GET /users/{user_id}"
    assert span.kind is SpanKind.SERVER
    assert span.attributes is not None
    assert dict(span.attributes) == {
        "http.request.method": "GET",
        "url.path": "/users/42",
        "url.scheme": "http",
        "server.address": "testserver",
        "server.port": 80,
        "user_agent.original": "probe/1.0",
        "client.address": "testclient",
        "network.protocol.version": "1.1",
        "http.response.status_code": 200,
        "http.route": "/users/{user_id}",
    }
    assert span.status.status_code is StatusCode.UNSET
    # The span is current while the endpoint runs.
    assert response.json()["trace_id"] == format(span.context.trace_id, "032x")


def test_route_template_joined_across_mounts(
    test_client_factory: TestClientFactory, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    client = test_client_factory(build_app(provider), base_url="https://example.com:8443")
    assert client.get("/api/v1/items/7").text == "item"
    span = only_span(exporter)
    assert span.name == "GET /api/v1/items/{item_id}"
    assert span.attributes is not None
    assert span.attributes["http.route"] == "/api/v1/items/{item_id}"
    assert span.attributes["url.scheme"] == "https"
    assert span.attributes["server.address"] == "example.com"
    assert span.attributes["server.port"] == 8443


def test_unmatched_path_is_named_by_method_only(
    test_client_factory: TestClientFactory, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    client = test_client_factory(build_app(provider))
    assert client.get("/nowhere/secret-token-123").status_code == 404
    span = only_span(exporter)
    assert span.name == "GET"
    assert span.attributes is not None
    assert "http.route" not in span.attributes
    assert span.attributes["http.response.status_code"] == 404
    assert span.status.status_code is StatusCode.UNSET


def test_method_not_allowed_still_names_the_route(
    test_client_factory: TestClientFactory, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    client = test_client_factory(build_app(provider))
    assert client.post("/users/1").status_code == 405
    span = only_span(exporter)
    assert span.name == "POST /users/{user_id}"


def test_5xx_response_marks_error(
    test_client_factory: TestClientFactory, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    client = test_client_factory(build_app(provider))
    assert client.get("/unavailable").status_code == 503
    span = only_span(exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes is not None
    assert span.attributes["http.response.status_code"] == 503
    assert span.attributes["error.type"] == "503"


def test_exception_is_recorded_and_reraised(
    test_client_factory: TestClientFactory, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    client = test_client_factory(build_app(provider))
    with pytest.raises(RuntimeError, match="database on fire"):
        client.get("/crash")
    span = only_span(exporter)
    assert span.name == "GET /crash"
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == "RuntimeError: database on fire"
    assert span.attributes is not None
    assert span.attributes["error.type"] == "RuntimeError"
    assert [event.name for event in span.events] == ["exception"]


def test_parent_context_from_traceparent(
    test_client_factory: TestClientFactory, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    client = test_client_factory(build_app(provider))
    response = client.get("/users/1", headers={"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01"})
    assert response.json()["trace_id"] == TRACE_ID
    span = only_span(exporter)
    assert format(span.context.trace_id, "032x") == TRACE_ID
    assert span.parent is not None
    assert format(span.parent.span_id, "016x") == PARENT_ID
    assert span.parent.is_remote


@pytest.mark.parametrize(
    "traceparent", ["garbage", "00-" + "0" * 32 + "-" + "0" * 16 + "-01", "00-zz-yy-01", "x" * 5000]
)
def test_malformed_traceparent_starts_a_new_trace(
    test_client_factory: TestClientFactory, provider: TracerProvider, exporter: InMemorySpanExporter, traceparent: str
) -> None:
    client = test_client_factory(build_app(provider))
    response = client.get("/users/1", headers={"traceparent": traceparent})
    assert response.status_code == 200
    span = only_span(exporter)
    assert span.parent is None
    assert span.context.trace_id != 0


def test_websocket_is_not_traced(
    test_client_factory: TestClientFactory, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    client = test_client_factory(build_app(provider))
    with client.websocket_connect("/ws/lobby") as websocket:
        assert websocket.receive_text() == "hi"
    assert exporter.get_finished_spans() == ()


@pytest.mark.parametrize("excluded", [[r"/unavailable$", r"\?secret="], r"/unavailable$, \?secret="])
def test_excluded_urls_are_not_traced(
    test_client_factory: TestClientFactory,
    provider: TracerProvider,
    exporter: InMemorySpanExporter,
    excluded: str | list[str],
) -> None:
    app = OpenTelemetryMiddleware(build_app_untraced(), excluded_urls=excluded, tracer_provider=provider)
    client = test_client_factory(app)
    assert client.get("/unavailable").status_code == 503
    assert client.get("/users/7?secret=1").status_code == 200
    assert exporter.get_finished_spans() == ()
    assert client.get("/users/7").status_code == 200
    assert only_span(exporter).name == "GET /users/{user_id}"


def test_nested_middlewares_make_one_span(
    test_client_factory: TestClientFactory, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    inner = build_app(provider)
    outer = Application(
        routes=[Mount("/inner", app=inner)],
        middleware=[Middleware(OpenTelemetryMiddleware, tracer_provider=provider)],
    )
    assert test_client_factory(outer).get("/inner/users/3").status_code == 200
    assert only_span(exporter).name.startswith("GET /inner")


def test_no_op_provider_disables_tracing(
    test_client_factory: TestClientFactory, exporter: InMemorySpanExporter
) -> None:
    app = OpenTelemetryMiddleware(build_app_untraced(), tracer_provider=trace.NoOpTracerProvider())
    assert test_client_factory(app).get("/users/1").status_code == 200
    assert exporter.get_finished_spans() == ()


@pytest.mark.anyio
async def test_lowercase_method_is_normalised(provider: TracerProvider, exporter: InMemorySpanExporter) -> None:
    scope: Scope = {"type": "http", "method": "get", "path": "/", "query_string": b"", "headers": []}
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        sent.append(message)

    await OpenTelemetryMiddleware(PlainTextResponse("raw"), tracer_provider=provider)(scope, receive, send)
    assert sent[0]["status"] == 200
    attributes = only_span(exporter).attributes
    assert attributes is not None
    assert attributes["http.request.method"] == "GET"
    assert attributes["http.request.method_original"] == "get"
    assert "server.address" not in attributes


def test_plain_asgi_app_and_lifespan(
    test_client_factory: TestClientFactory, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await receive()
            await send({"type": "lifespan.startup.complete"})
            await receive()
            await send({"type": "lifespan.shutdown.complete"})
            return
        await PlainTextResponse("raw")(scope, receive, send)

    with test_client_factory(OpenTelemetryMiddleware(app, tracer_provider=provider)) as client:
        assert client.delete("/anything").text == "raw"
    span = only_span(exporter)
    assert span.name == "DELETE"
    assert span.attributes is not None
    assert span.attributes["http.response.status_code"] == 200


def test_missing_opentelemetry_names_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry", None)
    monkeypatch.setitem(sys.modules, "opentelemetry.trace", None)
    monkeypatch.setitem(sys.modules, "opentelemetry.propagate", None)

    async def app(scope: Any, receive: Any, send: Any) -> None:  # pragma: no cover
        pass

    with pytest.raises(RuntimeError, match=r"pip install 'framework\[opentelemetry\]'"):
        OpenTelemetryMiddleware(app)
