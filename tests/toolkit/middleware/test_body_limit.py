from __future__ import annotations

import gc
import weakref
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from framework.applications import Application
from framework.exceptions import HTTPException
from framework.middleware import Middleware
from framework.middleware.base import BaseHTTPMiddleware
from framework.middleware.body_limit import DEFAULT_MAX_BODY_SIZE, MAX_BODY_SIZE_SCOPE_KEY, RequestBodyLimitMiddleware
from framework.requests import Request
from framework.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from framework.routing import Mount, Route, Router
from framework.testclient import TestClient
from framework.types import ASGIApp, Message, Receive, Scope, Send

TestClientFactory = Callable[..., TestClient]

TOO_LARGE = "Content Too Large"


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
    assert response.text == TOO_LARGE
    assert response.headers["content-type"] == "text/plain; charset=utf-8"


def test_streamed_body_is_counted(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(make_app())
    response = client.post("/", content=chunks(6, 6))
    assert response.status_code == 413
    assert response.text == TOO_LARGE

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
        assert response.json() == {"status": 413, "detail": TOO_LARGE}


def test_route_and_mount_limits_can_be_narrower(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(make_app())
    assert client.post("/tiny", content=b"abc").text == "3"
    response = client.post("/tiny", content=b"abcd")
    assert response.status_code == 413
    assert response.text == TOO_LARGE
    assert client.post("/tiny", content=chunks(2, 2)).status_code == 413

    assert client.post("/small/", content=b"x" * 5).text == "5"
    assert client.post("/small/", content=b"x" * 6).status_code == 413


def test_a_route_without_its_own_limit_keeps_the_application_limit(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(make_app())
    assert client.post("/unlimited-route", content=b"x" * 11).status_code == 413


def test_a_subtree_limit_replaces_the_application_limit(test_client_factory: TestClientFactory) -> None:
    app = Application(
        routes=[
            Route("/big", echo_length, methods=["POST"], max_body_size=20),
            Mount("/uploads", routes=[Route("/", echo_length, methods=["POST"])], max_body_size=30),
        ],
        max_body_size=10,
    )
    client = test_client_factory(app)
    assert client.post("/big", content=b"x" * 20).text == "20"
    assert client.post("/big", content=chunks(10, 10)).text == "20"
    assert client.post("/big", content=b"x" * 21).status_code == 413
    assert client.post("/uploads/", content=b"x" * 30).text == "30"
    assert client.post("/uploads/", content=chunks(16, 15)).status_code == 413


def test_effective_limit_is_published_in_the_scope(test_client_factory: TestClientFactory) -> None:
    async def show_limit(request: Request) -> Response:
        return PlainTextResponse(str(request.scope[MAX_BODY_SIZE_SCOPE_KEY]))

    app = Application(
        routes=[
            Route("/app", show_limit, methods=["GET", "POST"]),
            Route("/route", show_limit, methods=["GET", "POST"], max_body_size=3),
        ],
        max_body_size=10,
    )
    client = test_client_factory(app)
    assert client.get("/app").text == "10"
    assert client.post("/route", content=b"abc").text == "3"
    assert MAX_BODY_SIZE_SCOPE_KEY == "starlette.max_body_size"


@pytest.mark.anyio
async def test_scope_limit_is_put_back_after_the_request() -> None:
    seen: list[int] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope[MAX_BODY_SIZE_SCOPE_KEY])

    async def receive() -> Message:
        raise AssertionError("the body is never read")

    async def send(message: Message) -> None:
        raise AssertionError("nothing is sent")

    middleware = RequestBodyLimitMiddleware(app, max_body_size=7)
    with_previous: Scope = {"type": "http", "method": "POST", "headers": [], MAX_BODY_SIZE_SCOPE_KEY: 99}
    await middleware(with_previous, receive, send)
    assert with_previous[MAX_BODY_SIZE_SCOPE_KEY] == 99
    without: Scope = {"type": "http", "method": "POST", "headers": []}
    await middleware(without, receive, send)
    assert MAX_BODY_SIZE_SCOPE_KEY not in without
    assert seen == [7, 7]


def test_an_explicit_outer_limit_beats_the_application_default(test_client_factory: TestClientFactory) -> None:
    inner = Application(routes=[Route("/", echo_length, methods=["POST"])])
    client = test_client_factory(RequestBodyLimitMiddleware(inner, max_body_size=4))
    assert client.post("/", content=b"1234").text == "4"
    response = client.post("/", content=b"12345")
    assert response.status_code == 413
    assert response.text == TOO_LARGE


def test_limit_covers_bodies_read_by_user_middleware(test_client_factory: TestClientFactory) -> None:
    class ReadFirst:
        def __init__(self, app: ASGIApp) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http":
                await receive()
            raise AssertionError("the body limit stops the request first")

    app = Application(
        routes=[Route("/", echo_length, methods=["POST"])], middleware=[Middleware(ReadFirst)], max_body_size=4
    )
    response = test_client_factory(app).post("/", content=b"12345")
    assert response.status_code == 413
    assert response.text == TOO_LARGE


def test_body_already_read_outside_a_stricter_route_is_refused(test_client_factory: TestClientFactory) -> None:
    async def read_body(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        await request.body()
        return await call_next(request)

    app = Application(
        routes=[Route("/", echo_length, methods=["POST"], max_body_size=3)],
        middleware=[Middleware(BaseHTTPMiddleware, dispatch=read_body)],
        max_body_size=10,
    )
    client = test_client_factory(app)
    assert client.post("/", content=b"abc").text == "3"
    assert client.post("/", content=b"abcd").status_code == 413


def test_route_limit_holds_when_middleware_sends_the_response_later(test_client_factory: TestClientFactory) -> None:
    async def passthrough(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        return await call_next(request)

    class CopyScope:
        def __init__(self, app: ASGIApp) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            await self.app(dict(scope), receive, send)

    app = Application(
        routes=[Route("/", ignore_body, methods=["POST"], max_body_size=10)],
        middleware=[Middleware(CopyScope), Middleware(BaseHTTPMiddleware, dispatch=passthrough)],
        max_body_size=4,
    )
    client = test_client_factory(app)
    assert client.post("/", content=b"x" * 10).text == "ignored"
    assert client.post("/", content=b"x" * 11).status_code == 413


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
    assert response.text == TOO_LARGE
    response = client.post("/", content=chunks(3, 3))
    assert response.status_code == 413
    assert response.text == TOO_LARGE


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
    assert sent[1]["body"] == TOO_LARGE.encode()


@pytest.mark.anyio
async def test_body_over_limit_after_response_started_raises() -> None:
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
    # Too late for a 413 response: the error goes up to the server, which cuts the response short.
    with pytest.raises(HTTPException) as info:
        await app(scope, receive, send)
    assert info.value.status_code == 413
    assert sent[0]["type"] == "http.response.start"
    assert sent[0]["status"] == 200
    bodies = [message.get("body", b"") for message in sent[1:]]
    assert b"123" in bodies
    assert b"456" not in bodies
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


async def _run_raw(app: ASGIApp, headers: list[tuple[bytes, bytes]], *bodies: bytes) -> list[Message]:
    """Drive `app` with hand-made framing headers, which a real server would never let disagree with the body."""
    sent: list[Message] = []
    incoming: list[Message] = [
        {"type": "http.request", "body": body, "more_body": index < len(bodies) - 1}
        for index, body in enumerate(bodies)
    ]

    async def receive() -> Message:
        return incoming.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {"type": "http", "http_version": "1.1", "method": "POST", "path": "/", "headers": headers}
    scope["query_string"] = b""
    await app(scope, receive, send)
    return sent


@pytest.mark.anyio
@pytest.mark.parametrize(
    "headers",
    [
        [(b"content-length", b"2"), (b"content-length", b"2")],
        [(b"content-length", b"2"), (b"transfer-encoding", b"chunked")],
        [(b"transfer-encoding", b"chunked"), (b"content-length", b"2")],
        [(b"content-length", b"+2")],
        [(b"content-length", b"0_2")],
        [(b"content-length", b" 2")],
    ],
    ids=["duplicate", "length-then-chunked", "chunked-then-length", "plus-sign", "underscore", "space"],
)
async def test_ambiguous_framing_is_counted_not_trusted(headers: list[tuple[bytes, bytes]]) -> None:
    app = RequestBodyLimitMiddleware(Router([Route("/", echo_length, methods=["POST"])]), max_body_size=4)
    sent = await _run_raw(app, headers, b"123", b"45")
    assert sent[0]["status"] == 413
    assert sent[1]["body"] == TOO_LARGE.encode()


@pytest.mark.anyio
async def test_plain_content_length_within_limit_reaches_the_endpoint() -> None:
    app = RequestBodyLimitMiddleware(Router([Route("/", echo_length, methods=["POST"])]), max_body_size=4)
    sent = await _run_raw(app, [(b"content-length", b"4")], b"12", b"34")
    assert sent[0]["status"] == 200
    assert sent[1]["body"] == b"4"


def test_narrower_route_limit_applies_when_the_outer_limit_needed_no_counting(
    test_client_factory: TestClientFactory,
) -> None:
    seen: list[int] = []

    async def show(request: Request) -> Response:
        seen.append(request.scope[MAX_BODY_SIZE_SCOPE_KEY])
        return PlainTextResponse(str(len(await request.body())))

    app = Application(routes=[Route("/", show, methods=["POST"], max_body_size=3)], max_body_size=100)
    client = test_client_factory(app)
    assert client.post("/", content=b"abc").text == "3"
    response = client.post("/", content=b"abcd")
    assert response.status_code == 413
    assert response.text == TOO_LARGE
    # Streamed (chunked) bodies are counted against the route limit too.
    assert client.post("/", content=chunks(2, 2)).status_code == 413
    assert seen == [3, 3, 3]


def test_outer_limit_is_published_and_kept_by_the_application_default(test_client_factory: TestClientFactory) -> None:
    async def show(request: Request) -> Response:
        return PlainTextResponse(f"{request.scope[MAX_BODY_SIZE_SCOPE_KEY]}:{len(await request.body())}")

    inner = Application(routes=[Route("/", show, methods=["GET", "POST"])])
    client = test_client_factory(RequestBodyLimitMiddleware(inner, max_body_size=DEFAULT_MAX_BODY_SIZE * 2))
    # No body, and a declared body larger than the default: the outer limit governs both.
    assert client.get("/").text == f"{DEFAULT_MAX_BODY_SIZE * 2}:0"
    big = b"x" * (DEFAULT_MAX_BODY_SIZE + 1)
    assert client.post("/", content=big).text == f"{DEFAULT_MAX_BODY_SIZE * 2}:{len(big)}"


@pytest.mark.anyio
async def test_bytes_beyond_a_declared_length_are_counted() -> None:
    # A server (or a test client) may deliver more than the Content-Length it was given: count what arrives.
    app = RequestBodyLimitMiddleware(Router([Route("/", echo_length, methods=["POST"])]), max_body_size=4)
    sent = await _run_raw(app, [(b"content-length", b"1")], b"123", b"45")
    assert sent[0]["status"] == 413
    assert sent[1]["body"] == TOO_LARGE.encode()


def test_narrower_route_limit_refuses_a_declared_body_the_endpoint_never_reads(
    test_client_factory: TestClientFactory,
) -> None:
    app = Application(routes=[Route("/", ignore_body, methods=["POST"], max_body_size=3)], max_body_size=100)
    client = test_client_factory(app)
    assert client.post("/", content=b"abc").text == "ignored"
    response = client.post("/", content=b"abcd")
    assert response.status_code == 413
    assert response.text == TOO_LARGE
    # Under the application's default limit the same applies.
    default = Application(routes=[Route("/", ignore_body, methods=["POST"], max_body_size=3)])
    response = test_client_factory(default).post("/", content=b"abcd")
    assert response.status_code == 413
    assert response.text == TOO_LARGE


class _ServerCycle:
    """Like an ASGI server's per-request object: it holds the scope and hands out its bound methods."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.sent: list[Message] = []

    async def receive(self) -> Message:
        return {"type": "http.request", "body": b"abc", "more_body": False}

    async def send(self, message: Message) -> None:
        self.sent.append(message)


@pytest.mark.anyio
@pytest.mark.parametrize("content_length", [b"3", b"999", None])
async def test_a_request_with_a_body_leaves_no_reference_cycle(content_length: bytes | None) -> None:
    # A cycle through the server's objects would be freed only by the cyclic collector, whose full passes
    # over a large application show up as latency spikes under load.
    app = Application(routes=[Route("/", echo_length, methods=["POST"])], max_body_size=100)
    headers = [] if content_length is None else [(b"content-length", content_length)]
    scope: Scope = {"type": "http", "method": "POST", "path": "/", "headers": headers, "http_version": "1.1"}
    server = _ServerCycle(scope)
    alive = weakref.ref(server)
    gc.disable()
    try:
        await app(scope, server.receive, server.send)
        status = server.sent[0]["status"]
        del server, scope
        assert alive() is None, "the request left a reference cycle behind"
    finally:
        gc.enable()
    assert status == (413 if content_length == b"999" else 200)
