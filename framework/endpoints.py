"""Class-based endpoints: one method per HTTP verb, or hooks for a WebSocket's lifetime.

`HTTPEndpoint` dispatches only to the standard verbs. The verb -> handler table is built
once, when the class is created, so a request never looks up an attribute named by the
client: `DISPATCH`, `__INIT__` or `METHOD_NOT_ALLOWED` simply get a 405.
"""

from __future__ import annotations

import json
from collections.abc import Generator
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from framework import status
from framework._utils import is_async_callable
from framework.concurrency import run_in_threadpool
from framework.exceptions import HTTPException
from framework.requests import Request
from framework.responses import PlainTextResponse, Response
from framework.websockets import WebSocket

if TYPE_CHECKING:
    from framework.types import Message, Receive, Scope, Send

__all__ = ["HTTPEndpoint", "WebSocketEndpoint"]

# The verbs an endpoint may implement, in the order the Allow header lists them.
_HTTP_VERBS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "QUERY")


def _handler_table(cls: type) -> tuple[dict[str, tuple[str, bool]], list[str]]:
    """Map each implemented verb to (attribute name, is async); also return the Allow list."""
    handlers: dict[str, tuple[str, bool]] = {}
    allowed: list[str] = []
    for verb in _HTTP_VERBS:
        handler = getattr(cls, verb.lower(), None)
        if handler is not None:
            handlers[verb] = (verb.lower(), is_async_callable(handler))
    if "HEAD" not in handlers and "GET" in handlers:
        # A HEAD request is a GET without the body; the server drops the body.
        handlers["HEAD"] = handlers["GET"]
    allowed = [verb for verb in _HTTP_VERBS if verb in handlers]
    return handlers, allowed


class HTTPEndpoint:
    _handlers: ClassVar[dict[str, tuple[str, bool]]] = {}
    _allowed_methods: ClassVar[list[str]] = []

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._handlers, cls._allowed_methods = _handler_table(cls)

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        self.scope = scope
        self.receive = receive
        self.send = send

    def __await__(self) -> Generator[Any, None, None]:
        return self.dispatch().__await__()

    async def dispatch(self) -> None:
        # With `send`, handlers can use request.send_early_hints().
        request = Request(self.scope, receive=self.receive, send=self.send)
        entry = self._handlers.get(request.method)
        if entry is None:
            response = await self.method_not_allowed(request)
        else:
            name, is_async = entry
            handler = getattr(self, name)
            if is_async:
                response = await handler(request)
            else:
                response = await run_in_threadpool(handler, request)
        await response(self.scope, self.receive, self.send)

    async def method_not_allowed(self, request: Request) -> Response:
        headers = {"Allow": ", ".join(self._allowed_methods)}
        # Inside an Application the exception handlers render the 405; a bare endpoint answers itself.
        if "app" in self.scope:
            raise HTTPException(status_code=405, headers=headers)
        return PlainTextResponse("Method Not Allowed", status_code=405, headers=headers)


class WebSocketEndpoint:
    encoding: Literal["text", "bytes", "json"] | None = None

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "websocket"
        self.scope = scope
        self.receive = receive
        self.send = send

    def __await__(self) -> Generator[Any, None, None]:
        return self.dispatch().__await__()

    async def dispatch(self) -> None:
        websocket = WebSocket(self.scope, receive=self.receive, send=self.send)
        await self.on_connect(websocket)
        close_code = status.WS_1000_NORMAL_CLOSURE
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.receive":
                    data = await self.decode(websocket, message)
                    await self.on_receive(websocket, data)
                elif message["type"] == "websocket.disconnect":
                    close_code = int(message.get("code") or status.WS_1000_NORMAL_CLOSURE)
                    break
        except Exception:
            close_code = status.WS_1011_INTERNAL_ERROR
            raise
        finally:
            await self.on_disconnect(websocket, close_code)

    async def decode(self, websocket: WebSocket, message: Message) -> Any:
        text: str | None = message.get("text")
        data: bytes | None = message.get("bytes")
        if self.encoding == "text":
            if text is None:
                await websocket.close(code=status.WS_1003_UNSUPPORTED_DATA)
                raise RuntimeError("Expected text websocket messages, but got bytes")
            return text
        if self.encoding == "bytes":
            if data is None:
                await websocket.close(code=status.WS_1003_UNSUPPORTED_DATA)
                raise RuntimeError("Expected bytes websocket messages, but got text")
            return data
        if self.encoding == "json":
            return await self._decode_json(websocket, text, data)
        assert self.encoding is None, f"Unsupported 'encoding' attribute {self.encoding}"
        return text if text is not None else data

    async def _decode_json(self, websocket: WebSocket, text: str | None, data: bytes | None) -> Any:
        try:
            return json.loads(text if text is not None else (data or b"").decode("utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            # Undecodable bytes are as malformed as bad JSON: the client gets 1003, not a server crash.
            await websocket.close(code=status.WS_1003_UNSUPPORTED_DATA)
            raise RuntimeError("Malformed JSON data received.") from None

    async def on_connect(self, websocket: WebSocket) -> None:
        """Accept the connection; override to check credentials or pick a subprotocol first."""
        await websocket.accept()

    async def on_receive(self, websocket: WebSocket, data: Any) -> None:
        """Handle one incoming message, already decoded according to `encoding`."""

    async def on_disconnect(self, websocket: WebSocket, close_code: int) -> None:
        """Clean up once the connection is gone; `close_code` is 1011 if a hook raised."""
