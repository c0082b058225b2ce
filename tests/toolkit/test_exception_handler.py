from __future__ import annotations

import threading
from typing import Any

import pytest

from framework._exception_handler import (
    EXCEPTION_HANDLERS_KEY,
    SendTracker,
    past_trackers,
    wrap_app_handling_exceptions,
)
from framework.exceptions import HTTPException
from framework.requests import Request
from framework.responses import PlainTextResponse, Response
from framework.types import Message, Receive, Scope, Send


class Recorder:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def __call__(self, message: Message) -> None:
        self.messages.append(message)


async def receive() -> Message:  # pragma: no cover
    return {"type": "http.disconnect"}


def make_scope(by_class: dict[Any, Any] | None = None, by_status: dict[int, Any] | None = None) -> Scope:
    scope: Scope = {"type": "http", "method": "GET", "path": "/", "headers": [], "query_string": b""}
    if by_class is not None or by_status is not None:
        scope[EXCEPTION_HANDLERS_KEY] = (by_class or {}, by_status or {})
    return scope


def failing(exc: Exception, *, start_first: bool = False) -> Any:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if start_first:
            await send({"type": "http.response.start", "status": 200, "headers": []})
        raise exc

    return app


@pytest.mark.anyio
async def test_handler_found_by_exception_mro() -> None:
    seen: list[Any] = []

    async def handler(request: Request, exc: Exception) -> Response:
        seen.append((request, exc))
        return PlainTextResponse("handled", status_code=409)

    scope = make_scope(by_class={LookupError: handler})
    request = Request(scope, receive)
    send = Recorder()
    error = KeyError("k")
    await wrap_app_handling_exceptions(failing(error), request)(scope, receive, send)
    assert seen == [(request, error)]
    assert send.messages[0]["status"] == 409
    assert send.messages[1]["body"] == b"handled"


@pytest.mark.anyio
async def test_status_handler_for_http_exception() -> None:
    async def by_class(request: Request, exc: Exception) -> Response:  # pragma: no cover
        return PlainTextResponse("class")

    async def by_status(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("status", status_code=404)

    scope = make_scope(by_class={HTTPException: by_class}, by_status={404: by_status})
    send = Recorder()
    await wrap_app_handling_exceptions(failing(HTTPException(404)), Request(scope))(scope, receive, send)
    assert send.messages[1]["body"] == b"status"


@pytest.mark.anyio
async def test_unhandled_exception_is_re_raised() -> None:
    scope = make_scope(by_class={KeyError: None}, by_status={500: None})
    with pytest.raises(ValueError, match="nope"):
        await wrap_app_handling_exceptions(failing(ValueError("nope")), Request(scope))(scope, receive, Recorder())


@pytest.mark.anyio
async def test_no_handlers_in_scope_re_raises() -> None:
    scope = make_scope()
    with pytest.raises(HTTPException):
        await wrap_app_handling_exceptions(failing(HTTPException(400)), Request(scope))(scope, receive, Recorder())


@pytest.mark.anyio
async def test_handled_exception_after_start_is_a_runtime_error() -> None:
    async def handler(request: Request, exc: Exception) -> Response:  # pragma: no cover
        return PlainTextResponse("late")

    scope = make_scope(by_class={ValueError: handler})
    send = Recorder()
    app = wrap_app_handling_exceptions(failing(ValueError("x"), start_first=True), Request(scope))
    with pytest.raises(RuntimeError, match=r"Caught handled exception, but response already started\.") as info:
        await app(scope, receive, send)
    assert isinstance(info.value.__cause__, ValueError)
    assert len(send.messages) == 1


@pytest.mark.anyio
async def test_sync_handler_runs_in_a_thread() -> None:
    threads: list[int] = []

    def handler(request: Request, exc: Exception) -> Response:
        threads.append(threading.get_ident())
        return PlainTextResponse("sync", status_code=400)

    scope = make_scope(by_class={ValueError: handler})
    send = Recorder()
    await wrap_app_handling_exceptions(failing(ValueError("x")), Request(scope))(scope, receive, send)
    assert threads != [threading.get_ident()]
    assert send.messages[0]["status"] == 400


@pytest.mark.anyio
async def test_handler_returning_none_sends_nothing() -> None:
    async def handler(request: Request, exc: Exception) -> None:
        return None

    scope = make_scope(by_class={ValueError: handler})
    send = Recorder()
    await wrap_app_handling_exceptions(failing(ValueError("x")), Request(scope))(scope, receive, send)
    assert send.messages == []


@pytest.mark.anyio
async def test_successful_app_is_untouched() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await PlainTextResponse("fine")(scope, receive, send)

    scope = make_scope(by_class={})
    send = Recorder()
    await wrap_app_handling_exceptions(app, Request(scope))(scope, receive, send)
    assert send.messages[1]["body"] == b"fine"


@pytest.mark.anyio
async def test_handled_exception_loses_its_traceback() -> None:
    reused = HTTPException(418, "teapot")

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise reused

    async def handler(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("handled", status_code=418)

    scope: Scope = {"type": "http", "method": "GET", "path": "/", "headers": [], "query_string": b""}
    scope[EXCEPTION_HANDLERS_KEY] = ({HTTPException: handler}, {})
    sent: list[Message] = []

    async def receive() -> Message:  # pragma: no cover - not read
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        sent.append(message)

    await wrap_app_handling_exceptions(app, Request(scope))(scope, receive, send)
    assert sent[0]["status"] == 418
    # A module-level exception reused by every request must not pile up tracebacks.
    assert reused.__traceback__ is None


@pytest.mark.anyio
async def test_stacked_trackers_all_see_the_start_and_messages_arrive_once_in_order() -> None:
    server = Recorder()
    outer = SendTracker(server)
    inner = SendTracker(SendTracker(outer))
    await inner({"type": "http.response.start", "status": 200, "headers": []})
    await inner({"type": "http.response.body", "body": b"a", "more_body": True})
    await outer({"type": "http.response.body", "body": b"b", "more_body": True})
    await inner({"type": "http.response.body", "body": b"c"})
    assert outer.started
    assert inner.started
    assert [message.get("body") for message in server.messages] == [None, b"a", b"b", b"c"]
    assert server.messages[0]["status"] == 200


@pytest.mark.anyio
async def test_tracker_keeps_a_layer_that_is_not_a_tracker() -> None:
    server = Recorder()
    outer = SendTracker(server)
    dropped: list[Message] = []

    async def gate(message: Message) -> None:
        # A layer that swallows the start: the outer tracker must not believe the response started.
        if message["type"] == "http.response.start":
            dropped.append(message)
            return
        await outer(message)

    inner = SendTracker(gate)
    await inner({"type": "http.response.start", "status": 200, "headers": []})
    await inner({"type": "http.response.body", "body": b"x"})
    assert inner.started
    assert not outer.started
    assert len(dropped) == 1
    assert server.messages == [{"type": "http.response.body", "body": b"x"}]


@pytest.mark.anyio
async def test_tracker_ignores_websocket_messages() -> None:
    server = Recorder()
    tracker = SendTracker(server)
    await tracker({"type": "websocket.accept"})
    assert not tracker.started
    assert server.messages == [{"type": "websocket.accept"}]


def test_past_trackers_marks_every_stacked_tracker_and_keeps_other_wrappers() -> None:
    async def server_send(message: Message) -> None:
        return None

    async def gate(message: Message) -> None:  # e.g. a middleware's own wrapper
        return None

    inner = SendTracker(gate)
    outer = SendTracker(inner)
    assert past_trackers(outer) is gate
    assert outer.started
    assert inner.started
    assert past_trackers(server_send) is server_send
