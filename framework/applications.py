"""`Application`: a router wrapped in the error, user and exception middleware, plus the lifespan.

The middleware stack is built once, on the first call (the lifespan or the first request), and
reused for every request after that:

    ServerErrorMiddleware -> RequestBodyLimitMiddleware -> user middleware... -> ExceptionMiddleware -> Router

With the default body limit, the first two are one layer (`_ApplicationErrorMiddleware`): for a request
without a body, the limit costs a header scan and no frame.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, ParamSpec, TypeVar

from framework._exception_handler import SendTracker
from framework.datastructures import State, URLPath
from framework.middleware import Middleware, _MiddlewareFactory
from framework.middleware.body_limit import (
    _LIMITER_KEY,
    DEFAULT_MAX_BODY_SIZE,
    MAX_BODY_SIZE_SCOPE_KEY,
    RequestBodyLimitMiddleware,
    _DefaultBodyLimitMiddleware,
    _has_no_body,
)
from framework.middleware.errors import ServerErrorMiddleware
from framework.middleware.exceptions import ExceptionMiddleware
from framework.requests import Request
from framework.responses import PlainTextResponse, Response
from framework.routing import BaseRoute, Router
from framework.types import ASGIApp, ExceptionHandler, Lifespan, Receive, Scope, Send

__all__ = ["Application"]

AppType = TypeVar("AppType", bound="Application")
P = ParamSpec("P")

# A Host header is a host name or address and an optional port. These characters would let a client
# smuggle a path, query, credentials or a second line into URLs built from it (redirects, url_for).
# Only the first Host header is checked: it is the one URLs are built from.
_INVALID_HOST = re.compile(rb"[/?#@\\\s\x00-\x1f\x7f]")
# A site sees a handful of Host values over and over: remember which ones passed. Bounded, since clients
# choose these bytes; long values are checked every time.
_valid_hosts: set[bytes] = set()
_VALID_HOSTS_MAX = 256
_VALID_HOST_KEY_MAX = 260


def _is_valid_host(value: bytes) -> bool:
    if value in _valid_hosts:
        return True
    if _INVALID_HOST.search(value) is not None:
        return False
    if len(value) <= _VALID_HOST_KEY_MAX:
        if len(_valid_hosts) >= _VALID_HOSTS_MAX:
            _valid_hosts.clear()
        _valid_hosts.add(value)
    return True


class _ApplicationErrorMiddleware(ServerErrorMiddleware):
    """`ServerErrorMiddleware` and the application's default body limit as one layer.

    The default limit only stands in when nothing further out set one, and a request whose framing headers
    rule out a body needs no counting (see `framework.middleware.body_limit`): that case runs here, inline;
    any other request goes through the full `_DefaultBodyLimitMiddleware`.
    """

    def __init__(
        self, app: ASGIApp, handler: ExceptionHandler | None = None, debug: bool = False, *, max_body_size: int
    ) -> None:
        super().__init__(app, handler=handler, debug=debug)
        self.max_body_size = max_body_size
        self._limited = _DefaultBodyLimitMiddleware(app, max_body_size=max_body_size)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tracker = send if type(send) is SendTracker else SendTracker(send)
        try:
            if MAX_BODY_SIZE_SCOPE_KEY in scope or _LIMITER_KEY in scope:
                await self.app(scope, receive, tracker)  # a limit set further out stands
            else:
                if _has_no_body(scope):
                    scope[MAX_BODY_SIZE_SCOPE_KEY] = self.max_body_size
                    try:
                        await self.app(scope, receive, tracker)
                    finally:
                        scope.pop(MAX_BODY_SIZE_SCOPE_KEY, None)
                else:
                    await self._limited(scope, receive, tracker)
        except Exception as exc:
            await self._answer(exc, scope, receive, send, tracker)
            raise


class Application:
    """An ASGI application: routes, middleware, exception handlers and a lifespan.

    `max_body_size` caps request bodies (16 MiB by default, `None` for no cap); routes, mounts and
    routers can set their own limit (lower or higher) for their part of the app.
    """

    def __init__(
        self: AppType,
        debug: bool = False,
        routes: Sequence[BaseRoute] | None = None,
        middleware: Sequence[Middleware] | None = None,
        exception_handlers: Mapping[Any, ExceptionHandler] | None = None,
        lifespan: Lifespan[AppType] | None = None,
        *,
        max_body_size: int | None = DEFAULT_MAX_BODY_SIZE,
    ) -> None:
        if max_body_size is not None and max_body_size < 0:
            raise ValueError(f"max_body_size must be a number of bytes >= 0 or None, not {max_body_size!r}.")
        self._debug = debug
        self.state = State()
        self.router = Router(routes, lifespan=lifespan)
        self.max_body_size = max_body_size
        self.exception_handlers: dict[Any, ExceptionHandler] = (
            {} if exception_handlers is None else dict(exception_handlers)
        )
        self.user_middleware = [] if middleware is None else list(middleware)
        self.middleware_stack: ASGIApp | None = None

    def build_middleware_stack(self) -> ASGIApp:
        debug = self.debug
        error_handler = None
        exception_handlers: dict[Any, ExceptionHandler] = {}
        for key, value in self.exception_handlers.items():
            # 500 and Exception mean "anything unhandled": that is the outermost layer's job.
            if key in (500, Exception):
                error_handler = value
            else:
                exception_handlers[key] = value

        # The body limit sits outside the user middleware, so it also covers bodies read by middleware. A
        # 413 raised while the endpoint reads still goes through the application's exception handlers.
        if self.max_body_size == DEFAULT_MAX_BODY_SIZE:
            # Our 16 MiB default must not widen a limit an outer wrapper already set for this request.
            middleware = [
                Middleware(
                    _ApplicationErrorMiddleware, handler=error_handler, debug=debug, max_body_size=self.max_body_size
                )
            ]
        else:
            middleware = [Middleware(ServerErrorMiddleware, handler=error_handler, debug=debug)]
            if self.max_body_size is not None:
                middleware.append(Middleware(RequestBodyLimitMiddleware, max_body_size=self.max_body_size))
        middleware += [
            *self.user_middleware,
            Middleware(ExceptionMiddleware, handlers=exception_handlers, debug=debug),
        ]

        app: ASGIApp = self.router
        if type(self.router).__call__ is Router.__call__:
            # Router.__call__ only forwards to its own stack: call that directly, one frame less per request.
            app = self.router.middleware_stack
        for cls, args, kwargs in reversed(middleware):
            app = cls(app, *args, **kwargs)
        return app

    @property
    def debug(self) -> bool:
        return self._debug

    @debug.setter
    def debug(self, value: bool) -> None:
        self._debug = value
        if self.middleware_stack is not None:
            self.middleware_stack = self.build_middleware_stack()

    @property
    def routes(self) -> list[BaseRoute]:
        return self.router.routes

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        return self.router.url_path_for(name, **path_params)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = self
        stack = self.middleware_stack
        if stack is None:
            stack = self.middleware_stack = self.build_middleware_stack()
        if scope["type"] == "http":
            for key, value in scope.get("headers", ()):
                if key == b"host":
                    if not _is_valid_host(value):
                        await PlainTextResponse("Invalid host header", status_code=400)(scope, receive, send)
                        return
                    break
        await stack(scope, receive, send)

    def mount(self, path: str, app: ASGIApp, name: str | None = None) -> None:
        self.router.mount(path, app=app, name=name)

    def host(self, host: str, app: ASGIApp, name: str | None = None) -> None:
        self.router.host(host, app=app, name=name)

    def add_middleware(self, middleware_class: _MiddlewareFactory[P], *args: P.args, **kwargs: P.kwargs) -> None:
        """Add a middleware outside the ones added before (the last added runs first)."""
        if self.middleware_stack is not None:
            raise RuntimeError("Cannot add middleware after an application has started")
        self.user_middleware.insert(0, Middleware(middleware_class, *args, **kwargs))

    def add_exception_handler(self, exc_class_or_status_code: int | type[Exception], handler: ExceptionHandler) -> None:
        self.exception_handlers[exc_class_or_status_code] = handler

    def add_route(
        self,
        path: str,
        route: Callable[[Request], Awaitable[Response] | Response],
        methods: list[str] | None = None,
        name: str | None = None,
        include_in_schema: bool = True,
    ) -> None:
        self.router.add_route(path, route, methods=methods, name=name, include_in_schema=include_in_schema)
