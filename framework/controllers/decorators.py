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


def _check_path(path: str, what: str) -> None:
    if not isinstance(path, str) or (path and not path.startswith("/")):
        raise ValueError(f"{what} path {path!r} must be empty or start with '/'.")


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
    _check_path(path, "Route")
    verbs = tuple(dict.fromkeys(method.upper() for method in methods))
    if not verbs:
        raise ValueError("route() needs at least one HTTP method.")
    spec = RouteSpec(
        path=path,
        methods=verbs,
        status_code=options.get("status_code"),
        name=options.get("name"),
        response_class=options.get("response_class"),
        include_in_schema=options.get("include_in_schema", True),
        summary=options.get("summary"),
        description=options.get("description"),
        responses=options.get("responses"),
        tags=tuple(options.get("tags", ())),
    )

    def decorate(function: F) -> F:
        return _attach(function, spec)

    return decorate


def get(path: str = "", **options: Unpack[RouteOptions]) -> Callable[[F], F]:
    """Handle GET (and HEAD) on `path`."""
    return route(path, methods=("GET",), **options)


def post(path: str = "", **options: Unpack[RouteOptions]) -> Callable[[F], F]:
    """Handle POST on `path`."""
    return route(path, methods=("POST",), **options)


def put(path: str = "", **options: Unpack[RouteOptions]) -> Callable[[F], F]:
    """Handle PUT on `path`."""
    return route(path, methods=("PUT",), **options)


def patch(path: str = "", **options: Unpack[RouteOptions]) -> Callable[[F], F]:
    """Handle PATCH on `path`."""
    return route(path, methods=("PATCH",), **options)


def delete(path: str = "", **options: Unpack[RouteOptions]) -> Callable[[F], F]:
    """Handle DELETE on `path`."""
    return route(path, methods=("DELETE",), **options)


def head(path: str = "", **options: Unpack[RouteOptions]) -> Callable[[F], F]:
    """Handle HEAD on `path`."""
    return route(path, methods=("HEAD",), **options)


def options(path: str = "", **options: Unpack[RouteOptions]) -> Callable[[F], F]:
    """Handle OPTIONS on `path`."""
    return route(path, methods=("OPTIONS",), **options)


def websocket(path: str = "", **options: Unpack[RouteOptions]) -> Callable[[F], F]:
    """Mark an `async def` controller method as the handler of WebSocket connections on `path`.

    Takes the same options as the HTTP decorators; only `name`, `summary`, `description` and `tags` apply.
    """
    _check_path(path, "WebSocket route")
    spec = RouteSpec(
        path=path,
        methods=(),
        websocket=True,
        name=options.get("name"),
        include_in_schema=False,
        summary=options.get("summary"),
        description=options.get("description"),
        tags=tuple(options.get("tags", ())),
    )

    def decorate(function: F) -> F:
        return _attach(function, spec)

    return decorate


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
    _check_path(path, "Controller")
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
