"""`BaseHTTPMiddleware`: request/response-style middleware, kept for compatibility.

Prefer pure ASGI middleware: here the wrapped app runs in a separate task, so context
variables set inside it are not visible to `dispatch`, and every response body is
funnelled through a memory stream.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterable, Awaitable, Callable, Mapping
from typing import Any

import anyio
import anyio.abc

from framework._utils import create_collapsing_task_group
from framework.requests import ClientDisconnect, Request
from framework.responses import Response
from framework.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BaseHTTPMiddleware", "DispatchFunction", "RequestResponseEndpoint"]

RequestResponseEndpoint = Callable[[Request], Awaitable[Response]]
DispatchFunction = Callable[[Request, RequestResponseEndpoint], Awaitable[Response]]
BodyStreamGenerator = AsyncGenerator[bytes | Message, None]
AsyncContentStream = AsyncIterable[bytes | Message]

_DISCONNECT: Message = {"type": "http.disconnect"}


class _CachedRequest(Request):
    """The request `dispatch` sees; the wrapped app then reads the body through `wrapped_receive`.

    If dispatch read the whole body with `body()` (or `json()`), the app gets that body again;
    if dispatch drained `stream()`, the app gets an empty body rather than waiting forever.
    Otherwise the app pulls the body through this request, so both sides agree on its state.
    """

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self._upstream_receive = receive
        self._upstream_done = False
        self._upstream_disconnected = False
        self._replay_body: bytes | None = None
        self._downstream_state = "pending"  # -> "consumed" -> "disconnected"
        self._downstream_stream: AsyncGenerator[bytes, None] | None = None
        super().__init__(scope, self._tracking_receive, send)

    async def _tracking_receive(self) -> Message:
        message = await self._upstream_receive()
        if message["type"] == "http.request" and not message.get("more_body", False):
            self._upstream_done = True
        elif message["type"] == "http.disconnect":
            self._upstream_disconnected = True
        return message

    async def body(self) -> bytes:
        body = await super().body()
        self._replay_body = body
        return body

    async def wrapped_receive(self) -> Message:
        if self._downstream_state == "disconnected":
            return dict(_DISCONNECT)
        if self._downstream_state == "consumed":
            return await self._wait_for_disconnect()
        if self._replay_body is not None:
            self._downstream_state = "consumed"
            return {"type": "http.request", "body": self._replay_body, "more_body": False}
        if self._upstream_done:
            self._downstream_state = "consumed"
            return {"type": "http.request", "body": b"", "more_body": False}
        return await self._pull_chunk()

    async def _wait_for_disconnect(self) -> Message:
        if not self._upstream_disconnected:
            message = await self._upstream_receive()
            if message["type"] != "http.disconnect":  # pragma: no cover - a server bug
                raise RuntimeError(f"Unexpected message received: {message['type']}")
        self._downstream_state = "disconnected"
        return dict(_DISCONNECT)

    async def _pull_chunk(self) -> Message:
        if self._downstream_stream is None:
            self._downstream_stream = self.stream()
        try:
            chunk = await self._downstream_stream.__anext__()
        except ClientDisconnect:
            self._downstream_state = "disconnected"
            return dict(_DISCONNECT)
        if self._upstream_done:
            self._downstream_state = "consumed"
            await self._downstream_stream.aclose()
        return {"type": "http.request", "body": chunk, "more_body": not self._upstream_done}


class _StreamingResponse(Response):
    """Replays the wrapped app's response (and any extension message) to the real `send`."""

    def __init__(
        self,
        content: AsyncContentStream,
        status_code: int = 200,
        raw_headers: list[tuple[bytes, bytes]] | None = None,
        info: Mapping[str, Any] | None = None,
    ) -> None:
        self.info = info
        self.body_iterator = content
        self.status_code = status_code
        self.media_type = None
        self.raw_headers = list(raw_headers or [])
        self.background = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.info is not None:
            await send({"type": "http.response.debug", "info": self.info})
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        close_body = True
        async for chunk in self.body_iterator:
            if isinstance(chunk, dict):
                # e.g. http.response.pathsend: the server finishes the body itself.
                close_body = False
                await send(chunk)
                continue
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        if close_body:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        if self.background is not None:
            await self.background()


class _Exchange:
    """One request's plumbing between `dispatch`, the wrapped app's task and the client."""

    def __init__(self, app: ASGIApp, scope: Scope, request: _CachedRequest, send: Send) -> None:
        self.app = app
        self.scope = scope
        self.request = request
        self.send = send
        self.response_sent = anyio.Event()
        self.app_exc: Exception | None = None
        self.exception_already_raised = False
        self.send_stream, self.recv_stream = anyio.create_memory_object_stream[Message]()
        self.task_group: anyio.abc.TaskGroup | None = None

    async def receive_or_disconnect(self) -> Message:
        """The app's receive: once our response went out, the app only hears "disconnect"."""
        if self.response_sent.is_set():
            return dict(_DISCONNECT)
        message: Message = _DISCONNECT
        async with anyio.create_task_group() as watch_group:

            async def stop_when_sent() -> None:
                await self.response_sent.wait()
                watch_group.cancel_scope.cancel()

            watch_group.start_soon(stop_when_sent)
            message = await self.request.wrapped_receive()
            watch_group.cancel_scope.cancel()
        if self.response_sent.is_set():
            return dict(_DISCONNECT)
        return message

    async def send_no_error(self, message: Message) -> None:
        try:
            await self.send_stream.send(message)
        except anyio.BrokenResourceError:
            # Nobody listens any more: the response was already sent.
            return
        if message["type"] == "http.response.pathsend" or (
            message["type"] == "http.response.body" and not message.get("more_body", False)
        ):
            # Hold the app here until the client really got the response, so work the app does
            # after its last body chunk (background tasks) runs after the response, not before.
            await self.response_sent.wait()

    async def run_app(self) -> None:
        with self.send_stream:
            try:
                await self.app(self.scope, self.receive_or_disconnect, self.send_no_error)
            except Exception as exc:
                self.app_exc = exc

    async def call_next(self, request: Request) -> Response:
        assert self.task_group is not None
        self.task_group.start_soon(self.run_app)
        info: Mapping[str, Any] | None = None
        try:
            message = await self.recv_stream.receive()
            while message["type"] in ("http.response.debug", "http.response.early_hint"):
                if message["type"] == "http.response.debug":
                    info = message["info"]
                else:
                    # 103 Early Hints cannot wait for dispatch: they go to the client at once.
                    await self.send(message)
                message = await self.recv_stream.receive()
        except anyio.EndOfStream:
            exc = self.app_exc
            if exc is not None:
                self.exception_already_raised = True
                # Keep the app's own cause/context instead of chaining our EndOfStream onto it.
                raise exc from exc.__cause__ or exc.__context__
            raise RuntimeError("No response returned.") from None
        assert message["type"] == "http.response.start"
        return _StreamingResponse(self.body_stream(), message["status"], message.get("headers"), info)

    async def body_stream(self) -> BodyStreamGenerator:
        async for message in self.recv_stream:
            if message["type"] == "http.response.pathsend":
                yield message
                break
            assert message["type"] == "http.response.body", f"Unexpected message: {message}"
            body = message.get("body", b"")
            if body:
                yield body
            if not message.get("more_body", False):
                break


class BaseHTTPMiddleware:
    """Write middleware as `async def dispatch(request, call_next) -> Response`.

    `call_next(request)` runs the wrapped app and returns its response as a stream; an
    exception raised by the app before it responded propagates out of `call_next`, one
    raised later propagates after the response was sent.
    """

    def __init__(self, app: ASGIApp, dispatch: DispatchFunction | None = None) -> None:
        self.app = app
        self.dispatch_func: DispatchFunction = self.dispatch if dispatch is None else dispatch

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        request = _CachedRequest(scope, receive, send)
        exchange = _Exchange(self.app, scope, request, send)
        with exchange.recv_stream, exchange.send_stream:
            async with create_collapsing_task_group() as task_group:
                exchange.task_group = task_group
                response = await self.dispatch_func(request, exchange.call_next)
                await response(scope, request.wrapped_receive, send)
                exchange.response_sent.set()
                exchange.recv_stream.close()

        if exchange.app_exc is not None and not exchange.exception_already_raised:
            raise exchange.app_exc

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        raise NotImplementedError()  # pragma: no cover
