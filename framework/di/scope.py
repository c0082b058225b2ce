"""The request scope: per-request instance cache and teardown, found through a context variable.

The framework owns the scope rather than relying on dependency-injector's resources, because a scope must
isolate concurrent requests *and* hand the real exception (including cancellation) to its teardown so a
unit of work can roll back. Opening and closing a scope with nothing registered costs two context-variable
operations and one small object: no exit stack, no cancel scope.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar, Token
from types import TracebackType
from typing import Any

import anyio

from framework._exception_handler import SendTracker
from framework.types import Message, Receive, Scope, Send

__all__ = [
    "BeforeResponseCallback",
    "ExitCallback",
    "HTTPRequestScope",
    "RequestScope",
    "current_scope",
    "get_current_scope",
    "open_scope",
]

logger = logging.getLogger("framework.di")

BeforeResponseCallback = Callable[[int], Awaitable[None]]
ExitCallback = Callable[[BaseException | None], Awaitable[None]]

_current: ContextVar[RequestScope] = ContextVar("framework.di.request_scope")


class RequestScope:
    """One unit of work (an HTTP request, a WebSocket connection, a background task): its instances and hooks.

    `cache` maps a request-scoped provider to the instance it created in this scope. `connection` is the
    `Request` or `WebSocket` of the scope once the endpoint has built it. Use it as an async context manager
    (`async with open_scope():`) to make it current; the scope middleware does that for every request.
    """

    __slots__ = (
        "_before_response",
        "_failure",
        "_on_exit",
        "_started",
        "_token",
        "asgi_scope",
        "cache",
        "connection",
        "receive",
        "send",
    )

    _token: Token[RequestScope] | None

    def __init__(self, asgi_scope: Scope | None = None, receive: Receive | None = None, send: Send | None = None):
        self.asgi_scope = asgi_scope
        self.receive = receive
        self.send = send
        self.connection: Any = None
        self.cache: dict[object, Any] = {}
        self._before_response: list[BeforeResponseCallback] | None = None
        self._on_exit: list[ExitCallback] | None = None
        # Response gate state, used by the scope middleware for HTTP scopes.
        self._started = False
        self._failure: Exception | None = None
        # `_token` is set by `__aenter__`: scopes opened by the middleware never need it.

    def __repr__(self) -> str:
        kind = self.asgi_scope["type"] if self.asgi_scope is not None else "standalone"
        return f"<RequestScope {kind} cached={len(self.cache)}>"

    def before_response(self, callback: BeforeResponseCallback) -> None:
        """Run `await callback(status)` just before the response starts (a unit of work commits here).

        HTTP scopes call the callbacks, in registration order, when the app sends `http.response.start`
        and before it reaches the client: a callback that raises replaces the response (an `HTTPException`
        chooses the status, anything else is a 500). Scopes without an HTTP response (WebSocket, background
        task) call them with 200 when they close without an exception. Not called when the scope fails.
        """
        if self._before_response is None:
            self._before_response = [callback]
        else:
            self._before_response.append(callback)

    def on_exit(self, callback: ExitCallback) -> None:
        """Run `await callback(exc)` when the scope closes: last registered first, shielded from cancellation.

        `exc` is the exception that ended the scope (also a cancellation on client disconnect), or None.
        """
        if self._on_exit is None:
            self._on_exit = [callback]
        else:
            self._on_exit.append(callback)

    async def run_before_response(self, status: int) -> None:
        """Call the pending before-response callbacks once; the scope middleware calls this."""
        callbacks = self._before_response
        if callbacks:
            self._before_response = None
            for callback in callbacks:
                await callback(status)

    async def send_through(self, message: Message) -> None:
        """The `send` the app sees in HTTP scopes: runs before-response callbacks at `http.response.start`.

        After a callback failed, the rest of the rejected response is dropped: the scope middleware answers
        with the error instead.
        """
        if self._failure is not None:
            return
        if message["type"] == "http.response.start":
            self._started = True
            if self._before_response:
                try:
                    await self.run_before_response(message["status"])
                except Exception as exc:
                    self._failure = exc
                    return
        assert self.send is not None
        await self.send(message)

    def send_for_response(self, send: Send) -> Send:
        """The `send` an endpoint uses for a response it starts now: `send` itself.

        (The response gate of an HTTP scope is only in the way while before-response callbacks wait.)
        """
        return send

    async def close(self, exc: BaseException | None) -> None:
        """Run the exit callbacks (LIFO), each shielded, each seeing `exc`; re-raise the first failure if clean."""
        callbacks = self._on_exit
        if not callbacks:
            return
        self._on_exit = None
        failure: BaseException | None = None
        with anyio.CancelScope(shield=True):
            for callback in reversed(callbacks):
                try:
                    await callback(exc)
                except Exception as error:
                    if exc is None and failure is None:
                        failure = error
                    else:
                        logger.exception("Request scope exit callback %r failed", callback)
        if failure is not None:
            raise failure

    async def __aenter__(self) -> RequestScope:
        self._token = _current.set(self)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if exc is None and self._before_response:
                try:
                    await self.run_before_response(200)
                except BaseException as error:
                    await self.close(error)
                    raise
            await self.close(exc)
        finally:
            token: Token[RequestScope] | None = getattr(self, "_token", None)
            if token is not None:
                _current.reset(token)
                self._token = None


class HTTPRequestScope(RequestScope):
    """The scope the scope middleware opens for an HTTP request, with its response gate.

    The app gets the middleware's send tracker as its `send`. Only when a before-response callback is
    registered does the scope insert itself under that tracker (`tracker.send = scope`), so that every
    message the app sends passes the gate, which runs the callbacks when the response starts; the scope
    middleware takes the gate out again when the request ends. Requests that register nothing (most)
    pay for no gate at all. Calling the scope is the gate: `send_through`, without a coroutine of its
    own when nothing waits.
    """

    __slots__ = ("_gated", "_tracker")

    def __init__(self, asgi_scope: Scope, receive: Receive, tracker: SendTracker) -> None:
        # Not `super().__init__()`: one frame less per request.
        self.asgi_scope = asgi_scope
        self.receive = receive
        self.send = tracker
        self.connection = None
        self.cache = {}
        self._before_response = None
        self._on_exit = None
        self._started = False
        self._failure = None
        self._tracker: SendTracker | None = tracker
        self._gated = False

    def before_response(self, callback: BeforeResponseCallback) -> None:
        if self._before_response is None:
            self._before_response = [callback]
        else:
            self._before_response.append(callback)
        if self._gated:
            return
        tracker = self._tracker
        if tracker is None or tracker.started:
            self._started = True  # too late: the response went out before anything waited for it
            return
        self._gated = True
        self.send = tracker.send
        tracker.send = self

    def remove_gate(self) -> None:
        """Take the gate out from under the tracker (the scope middleware calls this when the request ends).

        When the gate rejected the start of the response, nothing reached the server: the tracker is told
        so, and the error response can still be sent.
        """
        tracker = self._tracker
        self._tracker = None
        if tracker is not None and self._gated:
            tracker.send = self.send  # type: ignore[assignment]
            if self._failure is not None:
                tracker.started = False

    def __call__(self, message: Message) -> Awaitable[None]:
        if self._failure is not None:
            return _dropped()
        if message["type"] == "http.response.start":
            self._started = True
            if self._before_response:
                return self.send_through(message)
        return self.send(message)  # type: ignore[misc]


async def _dropped() -> None:
    """What sending a message of a rejected response does: nothing."""


def open_scope(
    asgi_scope: Scope | None = None, receive: Receive | None = None, send: Send | None = None
) -> RequestScope:
    """A new request scope, to be entered with `async with` (scripts, tests, background work, GraphQL operations)."""
    return RequestScope(asgi_scope, receive, send)


def current_scope() -> RequestScope:
    """The request scope of the running request, task or operation; RuntimeError outside of one."""
    try:
        return _current.get()
    except LookupError:
        raise RuntimeError(
            "No request scope is active. Request-scoped providers resolve inside a request handled by an app from "
            "framework.bootstrap.create_app (its scope middleware opens one per request), or inside "
            "`async with framework.di.open_scope():`."
        ) from None


def get_current_scope() -> RequestScope | None:
    """The active scope or None, for code that works both inside and outside a scope."""
    return _current.get(None)
