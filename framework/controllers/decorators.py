"""`@controller` and the route decorators: they attach metadata and nothing else.

Nothing registers itself on import: `create_app` reads this metadata from the classes it is given and
compiles them. The verbs are thin wrappers over the one `route()` implementation.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict, TypeVar, Unpack

from framework.middleware import Middleware
from framework.responses import Response

__all__ = [
    "ControllerSpec",
    "RouteOptions",
    "RouteSpec",
    "controller",
    "controller_spec",
    "delete",
    "get",
    "head",
    "options",
    "patch",
    "post",
    "put",
    "route",
    "route_spec",
    "websocket",
]

F = TypeVar("F", bound=Callable[..., Any])
C = TypeVar("C", bound=type)

_ROUTE_ATTRIBUTE = "__framework_route__"
_CONTROLLER_ATTRIBUTE = "__framework_controller__"


@dataclass(frozen=True, slots=True)
class RouteSpec:
    """What a route decorator recorded on a handler method."""

    path: str
    methods: tuple[str, ...]  # empty for a WebSocket route
    websocket: bool = False
    status_code: int | None = None
    name: str | None = None
    response_class: type[Response] | None = None
    include_in_schema: bool = True
    summary: str | None = None
    description: str | None = None
    responses: Mapping[int | str, Any] | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ControllerSpec:
    """What `@controller` recorded on a class."""

    path: str = ""
    tags: tuple[str, ...] = ()
    middleware: tuple[Middleware, ...] = ()
    dependencies: tuple[Any, ...] = ()  # providers (or their names in the container) resolved before each handler
    name: str | None = None
    provider: Any = None  # the controller's provider (or its name) when it cannot be found by type


class RouteOptions(TypedDict, total=False):
    """Options every route decorator takes."""

    status_code: int | None
    name: str | None
    response_class: type[Response] | None
    include_in_schema: bool
    summary: str | None
    description: str | None
    responses: Mapping[int | str, Any] | None
    tags: Sequence[str]


# The verbs a route may declare: the router dispatches these and nothing else (DESIGN: an allow-list).
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"})
# What `websocket()` ignores: a WebSocket handler sends no HTTP response.
_HTTP_ONLY_OPTIONS = ("status_code", "response_class", "responses", "include_in_schema")


def _check_path(path: str, decorator: str) -> None:
    if callable(path):
        # `@get` instead of `@get()`: the decorator received the method (or class) as its path.
        raise TypeError(
            f"@{decorator} must be called: write @{decorator}() or @{decorator}('/path') above "
            f"{getattr(path, '__qualname__', path)}."
        )
    if not isinstance(path, str) or (path and not path.startswith("/")):
        raise ValueError(f"@{decorator}: path {path!r} must be empty or start with '/', e.g. '/{path}'.")


def _check_methods(methods: Collection[str]) -> tuple[str, ...]:
    if isinstance(methods, str):
        raise TypeError(f"route(methods={methods!r}) takes a list of verbs; write methods=[{methods!r}].")
    verbs = tuple(dict.fromkeys(method.upper() for method in methods))
    if not verbs:
        raise ValueError("route() needs at least one HTTP method, e.g. methods=['GET'].")
    unknown = [verb for verb in verbs if verb not in HTTP_METHODS]
    if unknown:
        raise ValueError(
            f"route(): unknown HTTP method {', '.join(unknown)}; use one of {', '.join(sorted(HTTP_METHODS))}."
        )
    return verbs


def _check_options(options: RouteOptions) -> None:
    status_code = options.get("status_code")
    if status_code is not None and (
        not isinstance(status_code, int) or isinstance(status_code, bool) or not 100 <= status_code <= 599
    ):
        raise ValueError(f"status_code={status_code!r} is not an HTTP status; use an int from 100 to 599.")
    response_class = options.get("response_class")
    if response_class is not None and not (isinstance(response_class, type) and issubclass(response_class, Response)):
        raise TypeError(
            f"response_class={response_class!r} is not a Response class; pass e.g. HTMLResponse from "
            "framework.responses."
        )


def _spec(path: str, methods: tuple[str, ...], websocket: bool, options: RouteOptions) -> RouteSpec:
    _check_options(options)
    return RouteSpec(
        path=path,
        methods=methods,
        websocket=websocket,
        status_code=options.get("status_code"),
        name=options.get("name"),
        response_class=options.get("response_class"),
        include_in_schema=options.get("include_in_schema", not websocket),
        summary=options.get("summary"),
        description=options.get("description"),
        responses=options.get("responses"),
        tags=tuple(options.get("tags", ())),
    )


def _attach(function: F, spec: RouteSpec) -> F:
    if not callable(function):
        raise TypeError(f"Route decorators apply to handler methods, got {function!r}.")
    if getattr(function, _ROUTE_ATTRIBUTE, None) is not None:
        raise TypeError(
            f"{getattr(function, '__qualname__', function)} already has a route; a handler serves one route: "
            "write a second method for the second path or verb."
        )
    setattr(function, _ROUTE_ATTRIBUTE, spec)
    return function


def route(path: str = "", *, methods: Collection[str], **options: Unpack[RouteOptions]) -> Callable[[F], F]:
    """Mark a controller method as the handler of `methods` on `path` (relative to the controller's path)."""
    _check_path(path, "route")
    return _decorator(_spec(path, _check_methods(methods), False, options))


def _verb(path: str, method: str, options: RouteOptions) -> Callable[[F], F]:
    """The one implementation behind the verb decorators (`route()` with a single, already valid method)."""
    _check_path(path, method.lower())
    return _decorator(_spec(path, (method,), False, options))


def _decorator(spec: RouteSpec) -> Callable[[F], F]:
    def decorate(function: F) -> F:
        return _attach(function, spec)

    return decorate


def get(path: str = "", **options: Unpack[RouteOptions]) -> Callable[[F], F]:
    """Handle GET (and HEAD) on `path`."""
    return _verb(path, "GET", options)


def post(path: str = "", **options: Unpack[RouteOptions]) -> Callable[[F], F]:
    """Handle POST on `path`."""
    return _verb(path, "POST", options)


def put(path: str = "", **options: Unpack[RouteOptions]) -> Callable[[F], F]:
    """Handle PUT on `path`."""
    return _verb(path, "PUT", options)


def patch(path: str = "", **options: Unpack[RouteOptions]) -> Callable[[F], F]:
    """Handle PATCH on `path`."""
    return _verb(path, "PATCH", options)


def delete(path: str = "", **options: Unpack[RouteOptions]) -> Callable[[F], F]:
    """Handle DELETE on `path`."""
    return _verb(path, "DELETE", options)


def head(path: str = "", **options: Unpack[RouteOptions]) -> Callable[[F], F]:
    """Handle HEAD on `path`."""
    return _verb(path, "HEAD", options)


def options(path: str = "", **options: Unpack[RouteOptions]) -> Callable[[F], F]:
    """Handle OPTIONS on `path`."""
    return _verb(path, "OPTIONS", options)


def websocket(path: str = "", **options: Unpack[RouteOptions]) -> Callable[[F], F]:
    """Mark an `async def` controller method as the handler of WebSocket connections on `path`.

    Takes the same options as the HTTP decorators; only `name`, `summary`, `description` and `tags` apply.
    """
    _check_path(path, "websocket")
    ignored = [option for option in _HTTP_ONLY_OPTIONS if option in options]
    if ignored:
        raise TypeError(f"@websocket() does not take {', '.join(ignored)}: a WebSocket handler sends no HTTP response.")
    return _decorator(_spec(path, (), True, options))


def controller(
    path: str = "",
    *,
    tags: Sequence[str] = (),
    middleware: Sequence[Middleware] = (),
    dependencies: Sequence[Any] = (),
    name: str | None = None,
    provider: Any = None,
) -> Callable[[C], C]:
    """Mark a class as a controller whose routes live under `path`; `create_app` compiles it.

    `middleware` wraps each of its routes; `dependencies` are providers (or provider names) resolved before
    every handler, for their side effects (a guard that raises `Unauthorized`); `name` prefixes its route
    names (`"users:get_user"`); `provider` is the controller's own provider when the container holds several.
    """
    _check_path(path, "controller")
    spec = ControllerSpec(
        path=path.rstrip("/"),
        tags=tuple(tags),
        middleware=tuple(middleware),
        dependencies=tuple(dependencies),
        name=name,
        provider=provider,
    )

    def decorate(cls: C) -> C:
        if not isinstance(cls, type):
            raise TypeError(f"@controller applies to classes, got {cls!r}.")
        setattr(cls, _CONTROLLER_ATTRIBUTE, spec)
        return cls

    return decorate


def route_spec(function: object) -> RouteSpec | None:
    """The route recorded on a handler, if any."""
    spec = getattr(function, _ROUTE_ATTRIBUTE, None)
    return spec if isinstance(spec, RouteSpec) else None


def controller_spec(cls: type) -> ControllerSpec | None:
    """The `@controller` metadata of a class (not inherited by undecorated subclasses)."""
    spec = cls.__dict__.get(_CONTROLLER_ATTRIBUTE)
    return spec if isinstance(spec, ControllerSpec) else None
