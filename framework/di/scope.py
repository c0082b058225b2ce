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
        "_wrapped_send",
        "asgi_scope",
        "cache",
        "connection",
        "receive",
        "send",
    )

    def __init__(self, asgi_scope: Scope | None = None, receive: Receive | None = None, send: Send | None = None):
        self.asgi_scope = asgi_scope
        self.receive = receive
        self.send = send
        self.connection: Any = None
        self.cache: dict[object, Any] = {}
        self._before_response: list[BeforeResponseCallback] | None = None
        self._on_exit: list[ExitCallback] | None = None
        self._token: Token[RequestScope] | None = None
        # Response gate state, used by the scope middleware for HTTP scopes.
        self._started = False
        self._failure: Exception | None = None
        # The `send_through` handed to the app by the scope middleware (see `send_for_response`).
        self._wrapped_send: Send | None = None

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
        """The `send` an endpoint uses for a response it starts now: the server's own when nothing waits for it.

        When `send` is this scope's `send_through` (directly or inside the exception middleware's send
        tracker) and no before-response callback is registered, the response gate has nothing to do:
        skipping it saves a coroutine per message. Any other `send` (a middleware's wrapper) is kept.
        """
        wrapped, raw = self._wrapped_send, self.send
        if wrapped is None or raw is None or self._before_response or self._failure is not None:
            return send
        if send is wrapped:
            self._started = True
            return raw
        if isinstance(send, SendTracker) and send.send is wrapped:
            # The exception middleware's tracker around our gate: keep the tracker, drop the gate under it.
            self._started = True
            send.send = raw
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
            if self._token is not None:
                _current.reset(self._token)
                self._token = None


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
