"""The ASGI callables controller routes run per request: everything they need is captured at start-up.

Per request an endpoint builds the `Request`, records it on the request scope, and awaits the compiled
handler with a `bound` callable that creates the controller from its provider and calls the method.
No `getattr`, no `inspect`, no bound-method creation on the hot path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from framework.binding import CompiledHandler
from framework.binding.compiler import error_response
from framework.di.background import in_fresh_scopes
from framework.di.scope import _current
from framework.exceptions import HTTPException
from framework.problems import DomainError, http_exception_problem
from framework.requests import Request
from framework.routing import Route
from framework.types import Receive, Scope, Send
from framework.websockets import WebSocket

__all__ = ["ControllerHTTPRoute", "HTTPHandlerEndpoint", "WebSocketHandlerEndpoint", "bind_handler"]


def bind_handler(
    function: Callable[..., Any], make_instance: Callable[[], Any], guards: tuple[Callable[[], Any], ...]
) -> Callable[..., Any]:
    """The callable the compiled handler calls: guards first, then `function(controller, **arguments)`.

    Built once per route. Instantiating inside it means errors from the controller's construction (a
    service raising a domain error) are rendered by the compiled handler like errors from the method.
    """
    if guards:

        def guarded(**kwargs: Any) -> Any:
            for guard in guards:
                guard()
            return function(make_instance(), **kwargs)

        return guarded

    def bound(**kwargs: Any) -> Any:
        if kwargs:
            return function(make_instance(), **kwargs)
        return function(make_instance())

    return bound


class _HandlerEndpoint:
    """What both endpoint kinds hold: the compiled handler, the bound-call factory and the route's metadata."""

    __slots__ = ("__framework_route__", "bound", "compiled", "direct_render")

    def __init__(self, compiled: CompiledHandler, bound: Callable[..., Any], meta: Any = None) -> None:
        self.compiled = compiled
        self.bound = bound
        # Set for handlers that take no request arguments: served inline, without the binder's coroutine.
        self.direct_render = compiled.direct_render
        # What OpenAPI and tooling read about the route (a ControllerRoute).
        self.__framework_route__ = meta

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.compiled.where}>"


class HTTPHandlerEndpoint(_HandlerEndpoint):
    """One controller method as an ASGI app."""

    __slots__ = ()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request: Request = Request(scope, receive, send)
        request_scope = _current.get(None)
        if request_scope is not None:
            request_scope.connection = request
        render = self.direct_render
        if render is None:
            response = await self.compiled(self.bound, request)
        else:
            try:
                result = await self.bound()
            except (DomainError, HTTPException) as exc:
                response = error_response(exc, request)
            else:
                response = render(result)
        if response.background is not None:
            response.background = in_fresh_scopes(response.background)
        if request_scope is not None:
            send = request_scope.send_for_response(send)
        await response(scope, receive, send)


class WebSocketHandlerEndpoint(_HandlerEndpoint):
    """One controller WebSocket method as an ASGI app."""

    __slots__ = ()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        request_scope = _current.get(None)
        if request_scope is not None:
            request_scope.connection = websocket
        await self.compiled.call_websocket(self.bound, websocket)


class ControllerHTTPRoute(Route):
    """A toolkit `Route` whose 405 lists every method its path allows, as problem details.

    The router hands a request with an unhandled verb to the first route whose path matched; the toolkit's
    `Allow` would name only that route's methods, so controller routes carry the whole list of their path.
    Matching is `Route`'s own, so the router's path index still applies.
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], *, allow: str, **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        self.allow = allow

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.methods is not None and scope["method"] not in self.methods:
            error = HTTPException(405, headers={"Allow": self.allow})
            await http_exception_problem(error, scope.get("path"))(scope, receive, send)
            return
        await self.app(scope, receive, send)
