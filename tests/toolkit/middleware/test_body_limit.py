from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from framework.applications import Application
from framework.exceptions import HTTPException
from framework.middleware.body_limit import DEFAULT_MAX_BODY_SIZE, RequestBodyLimitMiddleware
from framework.requests import Request
from framework.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from framework.routing import Mount, Route, Router
from framework.testclient import TestClient
from framework.types import Message, Receive, Scope, Send

TestClientFactory = Callable[..., TestClient]

TOO_LARGE = "Request body exceeds the limit of {} bytes."


async def echo_length(request: Request) -> Response:
    body = await request.body()
    return PlainTextResponse(str(len(body)))


async def ignore_body(request: Request) -> Response:
    return PlainTextResponse("ignored")


def chunks(*sizes: int) -> Iterator[bytes]:
    for size in sizes:
        yield b"x" * size


def make_app(max_body_size: int | None = 10, **kwargs: Any) -> Application:
    return Application(
        routes=[
            Route("/", echo_length, methods=["GET", "POST"]),
            Route("/ignore", ignore_body, methods=["POST"]),
            Route("/tiny", echo_length, methods=["POST"], max_body_size=3),
            Route("/unlimited-route", echo_length, methods=["POST"], max_body_size=None),
            Mount("/small", routes=[Route("/", echo_length, methods=["POST"])], max_body_size=5),
        ],
        max_body_size=max_body_size,
        **kwargs,
    )


def test_default_limit_is_16_mib() -> None:
    assert DEFAULT_MAX_BODY_SIZE == 16 * 1024 * 1024
    assert Application().max_body_size == DEFAULT_MAX_BODY_SIZE


def test_body_within_limit(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(make_app())
    response = client.post("/", content=b"x" * 10)
    assert response.status_code == 200
    assert response.text == "10"
    assert client.get("/").text == "0"


def test_content_length_over_limit_is_refused_before_the_endpoint(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(make_app())
    response = client.post("/ignore", content=b"x" * 11)
    assert response.status_code == 413
    assert response.text == TOO_LARGE.format(10)
    assert response.headers["content-type"] == "text/plain; charset=utf-8"


def test_streamed_body_is_counted(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(make_app())
    response = client.post("/", content=chunks(6, 6))
    assert response.status_code == 413
    assert response.text == TOO_LARGE.format(10)

    response = client.post("/", content=chunks(5, 5))
    assert response.status_code == 200
    assert response.text == "10"


def test_streamed_body_not_read_is_fine(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(make_app())
    assert client.post("/ignore", content=chunks(6, 6)).text == "ignored"


def test_413_goes_through_exception_handlers(test_client_factory: TestClientFactory) -> None:
    async def problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return JSONResponse({"status": exc.status_code, "detail": exc.detail}, status_code=413)

    client = test_client_factory(make_app(exception_handlers={413: problem}))
    for content in (b"x" * 11, chunks(6, 6)):
        response = client.post("/", content=content)
        assert response.status_code == 413
        assert response.json() == {"status": 413, "detail": TOO_LARGE.format(10)}


def test_route_and_mount_limits_are_narrower(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(make_app())
    assert client.post("/tiny", content=b"abc").text == "3"
    response = client.post("/tiny", content=b"abcd")
    assert response.status_code == 413
    assert response.text == TOO_LARGE.format(3)
    assert client.post("/tiny", content=chunks(2, 2)).status_code == 413

    assert client.post("/small/", content=b"x" * 5).text == "5"
    assert client.post("/small/", content=b"x" * 6).status_code == 413


def test_a_subtree_cannot_widen_the_application_limit(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(make_app())
    assert client.post("/unlimited-route", content=b"x" * 11).status_code == 413


def test_none_disables_the_application_limit(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(make_app(max_body_size=None))
    assert client.post("/", content=b"x" * 100).text == "100"
    # Narrower limits still apply on their own.
    assert client.post("/tiny", content=b"x" * 4).status_code == 413
    assert client.post("/tiny", content=chunks(2, 2)).status_code == 413


def test_router_limit_without_application(test_client_factory: TestClientFactory) -> None:
    app = Router([Route("/", echo_length, methods=["POST"])], max_body_size=4)
    client = test_client_factory(app)
    assert client.post("/", content=b"1234").text == "4"
    response = client.post("/", content=b"12345")
    assert response.status_code == 413
    assert response.text == TOO_LARGE.format(4)
    response = client.post("/", content=chunks(3, 3))
    assert response.status_code == 413
    assert response.text == TOO_LARGE.format(4)


def test_zero_limit_refuses_any_body(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(make_app(max_body_size=0))
    assert client.get("/").text == "0"
    assert client.post("/", content=b"").text == "0"
    assert client.post("/", content=b"x").status_code == 413


def test_invalid_content_length_falls_back_to_counting(test_client_factory: TestClientFactory) -> None:
    app = RequestBodyLimitMiddleware(Router([Route("/", echo_length, methods=["POST"])]), max_body_size=4)
    sent: list[Message] = []
    incoming: list[Message] = [
        {"type": "http.request", "body": b"123", "more_body": True},
        {"type": "http.request", "body": b"45"},
    ]

    async def receive() -> Message:
        return incoming.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/",
        "headers": [(b"content-length", b"not-a-number")],
        "query_string": b"",
    }
    import anyio

    anyio.run(app, scope, receive, send)
    assert sent[0]["status"] == 413


@pytest.mark.anyio
async def test_http2_requests_without_length_are_still_counted() -> None:
    app = RequestBodyLimitMiddleware(Router([Route("/", echo_length, methods=["POST"])]), max_body_size=4)
    sent: list[Message] = []
    incoming = [{"type": "http.request", "body": b"12345"}]

    async def receive() -> Message:
        return incoming.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "http_version": "2", "method": "POST", "path": "/", "headers": [], "query_string": b""}
    await app(scope, receive, send)
    assert sent[0]["status"] == 413
    assert sent[1]["body"] == TOO_LARGE.format(4).encode()


@pytest.mark.anyio
async def test_body_over_limit_after_response_started_stops_the_stream() -> None:
    async def stream_while_reading(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)

        async def body() -> Any:
            async for chunk in request.stream():
                yield chunk

        await StreamingResponse(body())(scope, receive, send)

    app = RequestBodyLimitMiddleware(stream_while_reading, max_body_size=4)
    sent: list[Message] = []
    incoming = [
        {"type": "http.request", "body": b"123", "more_body": True},
        {"type": "http.request", "body": b"456", "more_body": False},
    ]

    async def receive() -> Message:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        # ASGI 2.4 servers report disconnects on send, so the response does not also read `receive`.
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "method": "POST",
        "path": "/",
        "headers": [(b"transfer-encoding", b"chunked")],
        "query_string": b"",
    }
    await app(scope, receive, send)
    assert sent[0]["type"] == "http.response.start"
    assert sent[0]["status"] == 200
    bodies = [message.get("body", b"") for message in sent[1:]]
    assert b"123" in bodies
    assert b"456" not in bodies
    # The response is cut short: no final message saying the body is complete.
    assert all(message.get("more_body", False) for message in sent[1:])


def test_negative_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="max_body_size"):
        RequestBodyLimitMiddleware(echo_length, max_body_size=-1)  # type: ignore[arg-type]


def test_websockets_and_lifespan_pass_through(test_client_factory: TestClientFactory) -> None:
    from framework.routing import WebSocketRoute
    from framework.websockets import WebSocket

    async def ws(session: WebSocket) -> None:
        await session.accept()
        await session.send_text("ok")
        await session.close()

    app = Application(routes=[WebSocketRoute("/ws", ws)], max_body_size=0)
    with test_client_factory(app) as client, client.websocket_connect("/ws") as session:
        assert session.receive_text() == "ok"
