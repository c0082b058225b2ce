"""Turning exceptions raised by an endpoint into responses, with the handlers the application registered.

`ExceptionMiddleware` publishes its handlers in `scope["starlette.exception_handlers"]` as
`(handlers_by_exception_class, handlers_by_status_code)`; the innermost layers (routing's
`request_response`, `websocket_session`, the class-based endpoints) apply them with the very
connection object the endpoint saw, so a handler can still read a body the endpoint already consumed.

Knowing whether the response has started needs a wrapper around `send`. One `SendTracker` is shared
by every layer that receives the tracker itself as its `send`, so a plain stack wraps `send` once per
request instead of once per layer; trackers that still end up stacked directly on each other collapse
into one at the start of the response.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from framework._utils import is_async_callable
from framework.concurrency import run_in_threadpool
from framework.exceptions import HTTPException
from framework.types import ASGIApp, ExceptionHandler, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from framework.requests import HTTPConnection

__all__ = [
    "EXCEPTION_HANDLERS_KEY",
    "ExceptionHandlers",
    "SendTracker",
    "StatusHandlers",
    "handle_exception",
    "past_trackers",
    "track_send",
    "wrap_app_handling_exceptions",
]

EXCEPTION_HANDLERS_KEY = "starlette.exception_handlers"

ExceptionHandlers = dict[Any, ExceptionHandler]
StatusHandlers = dict[int, ExceptionHandler]

_NO_HANDLERS: tuple[ExceptionHandlers, StatusHandlers] = ({}, {})


class SendTracker:
    """A `send` that remembers whether `http.response.start` went out (a second response is then impossible)."""

    __slots__ = ("send", "started")

    def __init__(self, send: Send) -> None:
        self.send = send
        self.started = False

    def __call__(self, message: Message) -> Awaitable[None]:
        # Not `async`: handing back the wrapped send's awaitable saves a coroutine per message.
        if message["type"] == "http.response.start":
            self.started = True
            send = self.send
            if type(send) is SendTracker:
                # Trackers stacked directly (a layer between them stepped aside): mark them all here and
                # send straight past them from now on, since a started tracker has nothing left to watch.
                while type(send) is SendTracker:
                    send.started = True
                    send = send.send
                self.send = send
            return send(message)
        return self.send(message)


def past_trackers(send: Send) -> Send:
    """The `send` under the trackers stacked on `send`, each marked as started.

    For a caller about to send a whole response (start and body) itself: the trackers would only record the
    start, so recording it now and sending past them saves a call per tracker and message. Any other
    wrapper (a middleware's, the request scope's response gate) is kept.
    """
    while type(send) is SendTracker:
        send.started = True
        send = send.send
    return send


def track_send(send: Send) -> SendTracker:
    # Reuse the tracker an outer layer installed: the messages it sees are exactly the ones we send.
    return send if type(send) is SendTracker else SendTracker(send)


def _lookup_handler(scope: Scope, exc: Exception) -> ExceptionHandler | None:
    tables: tuple[ExceptionHandlers, StatusHandlers] = scope.get(EXCEPTION_HANDLERS_KEY, _NO_HANDLERS)
    by_class, by_status = tables
    handler: ExceptionHandler | None
    if by_status and isinstance(exc, HTTPException):
        handler = by_status.get(exc.status_code)
        if handler is not None:
            return handler
    for cls in type(exc).__mro__:
        handler = by_class.get(cls)
        if handler is not None:
            return handler
    return None


async def handle_exception(
    exc: Exception, conn: HTTPConnection, scope: Scope, receive: Receive, send: SendTracker
) -> None:
    """Answer with the registered handler for `exc`, or re-raise it when there is none."""
    handler = _lookup_handler(scope, exc)
    if handler is None:
        raise exc
    if send.started:
        raise RuntimeError("Caught handled exception, but response already started.") from exc
    if is_async_callable(handler):
        response = await handler(conn, exc)
    else:
        response = await run_in_threadpool(handler, conn, exc)  # type: ignore[arg-type]
    if response is not None:
        await response(scope, receive, send)
    # Handled: drop the traceback, or an exception instance raised on every request (a module-level
    # constant) would keep each request's frames alive and grow its traceback chain without bound.
    exc.__traceback__ = None


def wrap_app_handling_exceptions(app: ASGIApp, conn: HTTPConnection) -> ASGIApp:
    """Wrap `app` so exceptions it raises go to the handlers found in `conn`'s scope (with `conn`)."""

    async def wrapped_app(scope: Scope, receive: Receive, send: Send) -> None:
        tracker = track_send(send)
        try:
            await app(scope, receive, tracker)
        except Exception as exc:
            await handle_exception(exc, conn, scope, receive, tracker)

    return wrapped_app
