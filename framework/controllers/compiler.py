"""Compile controller classes into toolkit `Route`/`WebSocketRoute` objects, once, at start-up.

Each decorated method gets its binder compiled (`framework.binding.compile_handler`), an endpoint that
creates the controller per request, and a route. Controller routes that share a path share one list of
allowed methods, so an unknown verb gets a 405 whose `Allow` names them all.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from framework.binding import CompiledHandler, compile_handler
from framework.controllers.decorators import ControllerSpec, RouteSpec, route_spec
from framework.controllers.dispatch import (
    ControllerHTTPRoute,
    HTTPHandlerEndpoint,
    WebSocketHandlerEndpoint,
    bind_handler,
)
from framework.di.errors import ConfigurationError
from framework.middleware import Middleware
from framework.routing import BaseRoute, WebSocketRoute, compile_path

__all__ = ["DECORATOR_NAMES", "ControllerRoute", "build_routes", "compile_controller", "handler_methods", "join_path"]

# Names a handler must not take: defining it in the class body rebinds the decorator for the rest of the body.
DECORATOR_NAMES = frozenset(
    {"controller", "get", "post", "put", "patch", "delete", "head", "options", "route", "websocket"}
)


@dataclass(frozen=True, slots=True)
class ControllerRoute:
    """One compiled controller handler: what the router, OpenAPI and `framework routes` read."""

    path: str
    methods: tuple[str, ...]  # empty for WebSocket routes; GET implies HEAD
    name: str
    controller: type
    function: Callable[..., Any]
    spec: RouteSpec
    tags: tuple[str, ...]
    compiled: CompiledHandler
    providers: tuple[str, ...]  # container providers the controller pulls, for tooling
    endpoint: HTTPHandlerEndpoint | WebSocketHandlerEndpoint
    middleware: tuple[Middleware, ...] = ()

    @property
    def websocket(self) -> bool:
        return self.spec.websocket

    # What OpenAPI reads from an endpoint's `__framework_route__`.
    @property
    def include_in_schema(self) -> bool:
        return self.spec.include_in_schema

    @property
    def summary(self) -> str | None:
        return self.spec.summary

    @property
    def description(self) -> str | None:
        return self.spec.description

    @property
    def responses(self) -> Mapping[int | str, Any] | None:
        return self.spec.responses

    @property
    def handler(self) -> str:
        """`Controller.method`, as start-up errors name it."""
        return f"{self.controller.__name__}.{self.function.__name__}"


def join_path(prefix: str, path: str) -> str:
    """Controller path + route path; "/" (or "") under a prefix means the prefix itself."""
    if path in ("", "/") and prefix:
        return prefix
    return (prefix + path) or "/"


def handler_methods(cls: type) -> Iterator[tuple[Callable[..., Any], RouteSpec]]:
    """The decorated methods of a controller class (inherited ones too), in definition order."""
    members: dict[str, Any] = {}
    for klass in reversed(cls.__mro__[:-1]):
        members.update(vars(klass))
    for attribute, value in members.items():
        if attribute in DECORATOR_NAMES and inspect.isfunction(value):
            raise ConfigurationError(
                f"{cls.__name__}.{attribute}: a controller method must not be named after the route decorator "
                f"'{attribute}' (the definition rebinds the decorator for the rest of the class body). Fix: rename "
                f"it, e.g. '{attribute}_item'."
            )
        spec = route_spec(value)
        if spec is not None:
            if not inspect.isfunction(value):
                raise ConfigurationError(
                    f"{cls.__name__}.{attribute}: route handlers must be plain methods (def or async def), "
                    f"got {type(value).__name__}. Fix: drop the staticmethod/classmethod wrapper."
                )
            yield value, spec


def compile_controller(
    cls: type,
    spec: ControllerSpec,
    *,
    make_instance: Callable[[], Any],
    guards: tuple[Callable[[], Any], ...] = (),
    providers: tuple[str, ...] = (),
    provider: Any = None,
) -> list[ControllerRoute]:
    """Compile every handler of `cls`; binding errors name `Controller.method`, the parameter and the fix.

    `provider` is the container provider behind `make_instance`, when there is one: endpoints may then
    inline the controller's creation.
    """
    compiled_routes: list[ControllerRoute] = []
    for function, route in handler_methods(cls):
        path = join_path(spec.path, route.path)
        where = f"{cls.__name__}.{function.__name__}"
        try:
            path_params = tuple(compile_path(path)[2])
        except ValueError as exc:
            raise ConfigurationError(f"{where}: invalid route path {path!r}: {exc}.") from exc
        compiled = compile_handler(
            function,
            where=where,
            path=path,
            path_param_names=path_params,
            status_code=route.status_code,
            response_class=route.response_class,
            websocket=route.websocket,
        )
        bound = bind_handler(function, make_instance, guards)
        endpoint: HTTPHandlerEndpoint | WebSocketHandlerEndpoint
        if route.websocket:
            endpoint = WebSocketHandlerEndpoint(compiled, bound)
        else:
            endpoint = HTTPHandlerEndpoint(
                compiled, bound, function=function, make_instance=make_instance, guards=guards, provider=provider
            )
        name = route.name or function.__name__
        compiled_routes.append(
            ControllerRoute(
                path=path,
                methods=_with_implied_head(route.methods),
                name=f"{spec.name}:{name}" if spec.name else name,
                controller=cls,
                function=function,
                spec=route,
                tags=tuple(dict.fromkeys((*spec.tags, *route.tags))),
                compiled=compiled,
                providers=providers,
                endpoint=endpoint,
                middleware=spec.middleware,
            )
        )
        endpoint.__framework_route__ = compiled_routes[-1]
    return compiled_routes


def _with_implied_head(methods: tuple[str, ...]) -> tuple[str, ...]:
    """GET serves HEAD too (listed right after it), unless HEAD is declared."""
    if "GET" not in methods or "HEAD" in methods:
        return methods
    after_get = methods.index("GET") + 1
    return (*methods[:after_get], "HEAD", *methods[after_get:])


def build_routes(compiled_routes: Sequence[ControllerRoute]) -> list[BaseRoute]:
    """Toolkit routes for compiled handlers, in order; each HTTP route's 405 lists every method of its path."""
    _check_duplicate_handlers(compiled_routes)
    ordered = _explicit_head_first(compiled_routes)
    allowed: dict[str, list[str]] = {}
    for item in ordered:
        if not item.websocket:
            methods = allowed.setdefault(item.path, [])
            methods.extend(method for method in item.methods if method not in methods)
    routes: list[BaseRoute] = []
    for item in ordered:
        middleware = list(item.middleware) or None
        if item.websocket:
            routes.append(WebSocketRoute(item.path, item.endpoint, name=item.name, middleware=middleware))
            continue
        assert isinstance(item.endpoint, HTTPHandlerEndpoint)
        route = ControllerHTTPRoute(
            item.path,
            item.endpoint,
            allow=", ".join(allowed[item.path]),
            methods=item.methods,
            name=item.name,
            include_in_schema=item.spec.include_in_schema,
            middleware=middleware,
        )
        routes.append(route)
    return routes


def _explicit_head_first(compiled_routes: Sequence[ControllerRoute]) -> list[ControllerRoute]:
    """Move a handler that declares HEAD before the GET handler of its path, which would otherwise take HEAD."""
    first_on_path: dict[str, int] = {}
    for index, item in enumerate(compiled_routes):
        first_on_path.setdefault(item.path, index)

    def position(index: int) -> tuple[int, int]:
        item = compiled_routes[index]
        if _declares_head(item) and not item.websocket:
            return first_on_path[item.path], 0
        return index, 1

    return [compiled_routes[index] for index in sorted(range(len(compiled_routes)), key=position)]


def _check_duplicate_handlers(compiled_routes: Sequence[ControllerRoute]) -> None:
    seen: dict[tuple[str, str], ControllerRoute] = {}
    for item in compiled_routes:
        for method in item.methods or ("WEBSOCKET",):
            if method == "HEAD" and "GET" in item.methods and not _declares_head(item):
                continue
            other = seen.setdefault((method, item.path), item)
            if other is not item:
                raise ConfigurationError(
                    f"{item.handler}: {method} {item.path} is already handled by {other.handler}. Fix: give one of "
                    "them another path or method."
                )


def _declares_head(item: ControllerRoute) -> bool:
    return "HEAD" in item.spec.methods
