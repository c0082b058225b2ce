"""Type aliases for the ASGI interface, shared by every toolkit module."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

if TYPE_CHECKING:
    from framework.requests import Request
    from framework.responses import Response
    from framework.websockets import WebSocket

__all__ = [
    "ASGIApp",
    "AppType",
    "ExceptionHandler",
    "HTTPExceptionHandler",
    "Lifespan",
    "Message",
    "Receive",
    "Scope",
    "Send",
    "StatefulLifespan",
    "StatelessLifespan",
    "WebSocketExceptionHandler",
]

AppType = TypeVar("AppType")

Scope: TypeAlias = MutableMapping[str, Any]
Message: TypeAlias = MutableMapping[str, Any]

Receive: TypeAlias = Callable[[], Awaitable[Message]]
Send: TypeAlias = Callable[[Message], Awaitable[None]]

ASGIApp: TypeAlias = Callable[[Scope, Receive, Send], Awaitable[None]]

StatelessLifespan: TypeAlias = Callable[[AppType], AbstractAsyncContextManager[None]]
StatefulLifespan: TypeAlias = Callable[[AppType], AbstractAsyncContextManager[Mapping[str, Any]]]
Lifespan: TypeAlias = StatelessLifespan[AppType] | StatefulLifespan[AppType]

# Quoted: the request/response modules import this one, so these names exist only for type checkers.
HTTPExceptionHandler: TypeAlias = Callable[["Request", Exception], "Response | Awaitable[Response]"]
WebSocketExceptionHandler: TypeAlias = Callable[["WebSocket", Exception], Awaitable[None]]
ExceptionHandler: TypeAlias = HTTPExceptionHandler | WebSocketExceptionHandler
