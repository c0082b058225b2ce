from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import pytest

from framework.applications import Application
from framework.background import BackgroundTask
from framework.middleware import Middleware
from framework.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from framework.requests import Request
from framework.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from framework.routing import Route, WebSocketRoute
from framework.testclient import TestClient
from framework.types import Message, Receive, Scope, Send
from framework.websockets import WebSocket

TestClientFactory = Callable[..., TestClient]


class CustomHeader(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        response.headers["Custom-Header"] = "Example"
        return response


async def homepage(request: Request) -> PlainTextResponse:
    return PlainTextResponse("Homepage")


async def echo_body(request: Request) -> JSONResponse:
    return JSONResponse({"body": (await request.body()).decode()})


async def streamed(request: Request) -> StreamingResponse:
    async def chunks() -> AsyncIterator[bytes]:
        for part in (b"one ", b"two ", b"three"):
            yield part

    return StreamingResponse(chunks(), media_type="text/plain")


async def boom(request: Request) -> Response:
    raise ValueError("boom")


async def socket(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_text("ws ok")
    await websocket.close()


def routes() -> list[Any]:
    return [
        Route("/", homepage),
        Route("/echo", echo_body, methods=["POST"]),
        Route("/stream", streamed),
        Route("/boom", boom),
        WebSocketRoute("/ws", socket),
    ]


def test_dispatch_can_change_the_response(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(Application(routes=routes(), middleware=[Middleware(CustomHeader)]))
    response = client.get("/")
    assert response.status_code == 200
    assert response.text == "Homepage"
    assert response.headers["custom-header"] == "Example"
    assert response.headers["content-length"] == "8"


def test_dispatch_function_argument(test_client_factory: TestClientFactory) -> None:
    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        if request.url.path == "/blocked":
            return PlainTextResponse("blocked", status_code=403)
        response = await call_next(request)
        response.headers["X-Seen"] = request.url.path
        return response

    app = Application(routes=routes(), middleware=[Middleware(BaseHTTPMiddleware, dispatch=dispatch)])
    client = test_client_factory(app)
    blocked = client.get("/blocked")
    assert (blocked.status_code, blocked.text) == (403, "blocked")
    response = client.get("/")
    assert response.headers["x-seen"] == "/"


def test_streaming_response_passes_through(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(Application(routes=routes(), middleware=[Middleware(CustomHeader)]))
    with client.stream("GET", "/stream") as response:
        parts = list(response.iter_bytes())
    assert b"".join(parts) == b"one two three"
    assert response.headers["custom-header"] == "Example"


def test_exception_from_app_propagates(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(Application(routes=routes(), middleware=[Middleware(CustomHeader)]))
    with pytest.raises(ValueError, match="boom"):
        client.get("/boom")
    client = test_client_factory(
        Application(routes=routes(), middleware=[Middleware(CustomHeader)]), raise_server_exceptions=False
    )
    response = client.get("/boom")
    assert response.status_code == 500


def test_dispatch_sees_app_exception_from_call_next(test_client_factory: TestClientFactory) -> None:
    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        try:
            return await call_next(request)
        except ValueError as exc:
            return PlainTextResponse(f"caught {exc}", status_code=502)

    app = Application(routes=routes(), middleware=[Middleware(BaseHTTPMiddleware, dispatch=dispatch)])
    response = test_client_factory(app).get("/boom")
    assert (response.status_code, response.text) == (502, "caught boom")


def test_no_response_returned(test_client_factory: TestClientFactory) -> None:
    async def silent_app(scope: Scope, receive: Receive, send: Send) -> None:
        pass

    client = test_client_factory(CustomHeader(silent_app))
    with pytest.raises(RuntimeError, match=r"No response returned\."):
        client.get("/")


def test_exception_after_response_started_still_raises(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await PlainTextResponse("partial")(scope, receive, send)
        raise RuntimeError("after the response")

    client = test_client_factory(CustomHeader(app))
    with pytest.raises(RuntimeError, match="after the response"):
        client.get("/")


def test_background_tasks_run_after_the_response(test_client_factory: TestClientFactory) -> None:
    events: list[str] = []

    async def endpoint(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok", background=BackgroundTask(events.append, "app task"))

    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        response.background = BackgroundTask(events.append, "middleware task")
        return response

    app = Application(routes=[Route("/", endpoint)], middleware=[Middleware(BaseHTTPMiddleware, dispatch=dispatch)])
    response = test_client_factory(app).get("/")
    assert response.text == "ok"
    assert sorted(events) == ["app task", "middleware task"]


def test_body_read_in_dispatch_is_replayed_to_the_app(test_client_factory: TestClientFactory) -> None:
    seen: list[bytes] = []

    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        seen.append(await request.body())
        return await call_next(request)

    app = Application(routes=routes(), middleware=[Middleware(BaseHTTPMiddleware, dispatch=dispatch)])
    response = test_client_factory(app).post("/echo", content=b"hello body")
    assert response.json() == {"body": "hello body"}
    assert seen == [b"hello body"]


def test_json_read_in_dispatch_is_replayed_to_the_app(test_client_factory: TestClientFactory) -> None:
    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        assert await request.json() == {"a": 1}
        return await call_next(request)

    app = Application(routes=routes(), middleware=[Middleware(BaseHTTPMiddleware, dispatch=dispatch)])
    response = test_client_factory(app).post("/echo", json={"a": 1})
    assert response.json() == {"body": '{"a":1}'}


def test_stream_drained_in_dispatch_leaves_an_empty_body(test_client_factory: TestClientFactory) -> None:
    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        chunks = [chunk async for chunk in request.stream()]
        assert b"".join(chunks) == b"streamed"
        return await call_next(request)

    app = Application(routes=routes(), middleware=[Middleware(BaseHTTPMiddleware, dispatch=dispatch)])
    response = test_client_factory(app).post("/echo", content=b"streamed")
    assert response.json() == {"body": ""}


def test_app_reading_body_consumes_dispatch_request_stream(test_client_factory: TestClientFactory) -> None:
    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        stream = request.stream()
        with pytest.raises(RuntimeError, match="Stream consumed"):
            await stream.__anext__()
        return response

    app = Application(routes=routes(), middleware=[Middleware(BaseHTTPMiddleware, dispatch=dispatch)])
    response = test_client_factory(app).post("/echo", content=b"abc")
    assert response.json() == {"body": "abc"}


def test_multi_chunk_request_body_reaches_the_app(test_client_factory: TestClientFactory) -> None:
    def body() -> Any:
        yield b"first "
        yield b"second"

    client = test_client_factory(Application(routes=routes(), middleware=[Middleware(CustomHeader)]))
    response = client.post("/echo", content=body())
    assert response.json() == {"body": "first second"}


def test_websocket_is_not_touched(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(Application(routes=routes(), middleware=[Middleware(CustomHeader)]))
    with client.websocket_connect("/ws") as websocket:
        assert websocket.receive_text() == "ws ok"


def test_two_middlewares_stack(test_client_factory: TestClientFactory) -> None:
    async def outer(request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        response.headers["X-Order"] = response.headers.get("X-Order", "") + "outer"
        return response

    async def inner(request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        response.headers["X-Order"] = "inner,"
        return response

    app = Application(
        routes=routes(),
        middleware=[Middleware(BaseHTTPMiddleware, dispatch=outer), Middleware(BaseHTTPMiddleware, dispatch=inner)],
    )
    response = test_client_factory(app).get("/")
    assert response.headers["x-order"] == "inner,outer"
    assert response.text == "Homepage"


@pytest.mark.anyio
async def test_app_hears_disconnect_once_the_response_is_sent() -> None:
    """A streaming app that keeps listening learns the client is gone once the response went out."""
    heard: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"done", "more_body": False})
        message = await receive()
        heard.append(message["type"])

    request_messages = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive() -> Message:
        if request_messages:
            return request_messages.pop()
        await anyio.sleep_forever()
        raise AssertionError  # pragma: no cover

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/", "headers": [], "query_string": b""}
    with anyio.fail_after(5):
        await CustomHeader(app)(scope, receive, send)
    assert heard == ["http.disconnect"]
    assert sent[0]["type"] == "http.response.start"
    assert b"".join(m.get("body", b"") for m in sent[1:]) == b"done"


@pytest.mark.anyio
async def test_client_disconnect_while_app_waits_for_body() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        message = await receive()
        assert message["type"] == "http.disconnect"
        await PlainTextResponse("gone", status_code=499)(scope, receive, send)

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/", "headers": [], "query_string": b""}
    with anyio.fail_after(5):
        await CustomHeader(app)(scope, receive, send)
    assert sent[0]["status"] == 499
    assert (b"custom-header", b"Example") in sent[0]["headers"]


@pytest.mark.anyio
async def test_dispatch_sees_disconnect_the_app_received() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        assert (await receive())["type"] == "http.disconnect"
        await Response()(scope, receive, send)

    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        assert await request.is_disconnected() is True
        return response

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/", "headers": [], "query_string": b""}
    with anyio.fail_after(5):
        await BaseHTTPMiddleware(app, dispatch=dispatch)(scope, receive, send)
    assert sent[0]["status"] == 200


@pytest.mark.anyio
async def test_app_gets_cached_body_then_the_disconnect_dispatch_saw() -> None:
    received: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        received.append(await receive())
        received.append(await receive())
        await Response()(scope, receive, send)

    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        assert await request.body() == b"hi"
        assert await request.is_disconnected() is True
        return await call_next(request)

    upstream: list[Message] = [{"type": "http.disconnect"}, {"type": "http.request", "body": b"hi"}]

    async def receive() -> Message:
        return upstream.pop()

    async def send(message: Message) -> None:
        pass

    scope = {"type": "http", "method": "POST", "path": "/", "headers": [], "query_string": b""}
    with anyio.fail_after(5):
        await BaseHTTPMiddleware(app, dispatch=dispatch)(scope, receive, send)
    assert received == [
        {"type": "http.request", "body": b"hi", "more_body": False},
        {"type": "http.disconnect"},
    ]


def test_discarded_streaming_app_is_told_the_client_left(test_client_factory: TestClientFactory) -> None:
    outcome: list[str] = []

    async def endless(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        async with anyio.create_task_group() as group:

            async def stop_on_disconnect() -> None:
                while (await receive())["type"] != "http.disconnect":
                    pass
                outcome.append("disconnect")
                group.cancel_scope.cancel()

            group.start_soon(stop_on_disconnect)
            with anyio.move_on_after(5):
                while True:
                    await send({"type": "http.response.body", "body": b"chunk", "more_body": True})
            outcome.append("timed out")  # pragma: no cover

    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        downstream = await call_next(request)
        iterator = downstream.body_iterator  # type: ignore[attr-defined]
        await iterator.__anext__()
        await iterator.aclose()
        return PlainTextResponse("replaced")

    response = test_client_factory(BaseHTTPMiddleware(endless, dispatch=dispatch)).get("/")
    assert response.text == "replaced"
    assert outcome == ["disconnect"]


def test_error_raised_mid_stream_propagates_after_the_response(test_client_factory: TestClientFactory) -> None:
    async def faulty(request: Request) -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            yield b"part"
            raise OSError("Faulty Stream")

        return StreamingResponse(chunks())

    app = Application(routes=[Route("/", faulty)], middleware=[Middleware(CustomHeader)])
    with pytest.raises(OSError, match="Faulty Stream"):
        test_client_factory(app).get("/")


def test_exception_in_mounted_app_propagates(test_client_factory: TestClientFactory) -> None:
    from framework.routing import Mount

    sub_app = Application(routes=[Route("/", boom)])
    app = Application(routes=[Mount("/sub", app=sub_app)], middleware=[Middleware(CustomHeader)])
    with pytest.raises(ValueError, match="boom"):
        test_client_factory(app).get("/sub/")


@pytest.mark.anyio
async def test_background_work_waits_until_the_client_has_the_response() -> None:
    """The wrapped app's background task only starts once dispatch delivered the whole response."""
    events: list[str] = []

    async def note_background() -> None:
        events.append("background")

    async def endpoint(request: Request) -> PlainTextResponse:
        return PlainTextResponse("hi", background=BackgroundTask(note_background))

    app = Application(routes=[Route("/", endpoint)], middleware=[Middleware(CustomHeader)])

    async def receive() -> Message:
        await anyio.sleep_forever()
        raise AssertionError  # pragma: no cover

    async def send(message: Message) -> None:
        events.append(message["type"])

    scope = {"type": "http", "method": "GET", "path": "/", "headers": [], "query_string": b""}
    with anyio.fail_after(5):
        await app(scope, receive, send)
    assert events == ["http.response.start", "http.response.body", "http.response.body", "background"]


@pytest.mark.anyio
async def test_early_hints_bypass_dispatch_and_go_out_first() -> None:
    async def endpoint(request: Request) -> PlainTextResponse:
        await request.send_early_hints("</site.css>; rel=preload; as=style")
        return PlainTextResponse("page")

    app = Application(routes=[Route("/", endpoint)], middleware=[Middleware(CustomHeader)])
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "headers": [],
        "query_string": b"",
        "extensions": {"http.response.early_hint": {}},
    }
    with anyio.fail_after(5):
        await app(scope, receive, send)
    assert [m["type"] for m in sent][:2] == ["http.response.early_hint", "http.response.start"]
    assert sent[1]["status"] == 200
    assert (b"custom-header", b"Example") in sent[1]["headers"]


def test_exception_group_from_app_is_not_unwrapped(test_client_factory: TestClientFactory) -> None:
    """A group the app raised on purpose reaches the caller intact; only our own task group is peeled."""

    async def endpoint(request: Request) -> Response:
        raise ExceptionGroup("two problems at once", [KeyError("a")])

    app = Application(routes=[Route("/", endpoint)], middleware=[Middleware(CustomHeader)])
    client = test_client_factory(app)
    with pytest.raises(ExceptionGroup, match="two problems at once") as info:
        client.get("/")
    assert [type(e) for e in info.value.exceptions] == [KeyError]


def test_app_exception_keeps_its_own_context(test_client_factory: TestClientFactory) -> None:
    async def endpoint(request: Request) -> Response:
        try:
            raise LookupError("inner")
        except LookupError:
            # Implicit chaining only: the middleware must not replace this context with its own.
            raise RuntimeError("outer")  # noqa: B904

    app = Application(routes=[Route("/", endpoint)], middleware=[Middleware(CustomHeader)])
    client = test_client_factory(app)
    with pytest.raises(RuntimeError, match="outer") as info:
        client.get("/")
    assert isinstance(info.value.__cause__, LookupError)
    assert str(info.value.__cause__) == "inner"
