"""Routing: match a request's path (or host) to an endpoint, and build URLs back from route names.

`Route` and `WebSocketRoute` lead to endpoints, `Mount` delegates a path prefix to another ASGI app
(often a `Router`), `Host` delegates by Host header. `Router` tries its routes in order: the first
full match wins, a path match with the wrong method (partial) answers 405, otherwise 404 (or a
redirect to the same path with/without a trailing slash when that one matches).

Paths are compiled once, at construction; a `Router` also indexes its static paths, so the common
request only tests the few routes that can match its path instead of every route in order.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import inspect
import re
import traceback
import warnings
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Collection,
    Generator,
    Iterable,
    Sequence,
)
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeVar, cast

from framework._exception_handler import SendTracker, handle_exception, past_trackers
from framework._utils import get_route_path, is_async_callable, parse_host_header
from framework.concurrency import run_in_threadpool
from framework.convertors import CONVERTOR_TYPES, Convertor, IntegerConvertor, PathConvertor, StringConvertor
from framework.datastructures import URL, URLPath
from framework.exceptions import HTTPException, StarletteDeprecationWarning
from framework.middleware import Middleware
from framework.middleware.body_limit import RequestBodyLimitMiddleware
from framework.requests import Request
from framework.responses import PlainTextResponse, RedirectResponse, Response
from framework.types import ASGIApp, Lifespan, Receive, Scope, Send
from framework.websockets import WebSocket, WebSocketClose

__all__ = [
    "BaseRoute",
    "Host",
    "Match",
    "Mount",
    "NoMatchFound",
    "Route",
    "Router",
    "WebSocketRoute",
    "compile_path",
    "get_name",
    "replace_params",
    "request_response",
    "websocket_session",
]


class NoMatchFound(Exception):
    """`url_path_for` found no route with that name taking exactly those parameters."""

    def __init__(self, name: str, path_params: dict[str, Any]) -> None:
        params = ", ".join(path_params)
        super().__init__(f'No route exists for name "{name}" and params "{params}".')


class _RouteDefinitionError(ValueError, AssertionError):
    """A route declared wrongly (caught at start-up).

    Also an AssertionError because Starlette reports some of these with `assert`; raising it explicitly
    keeps the check under `python -O`.
    """


class Match(enum.Enum):
    NONE = 0
    PARTIAL = 1
    FULL = 2


# Module globals: looking a member up on an Enum class costs more than the rest of a static match.
_NONE, _PARTIAL, _FULL = Match.NONE, Match.PARTIAL, Match.FULL

# The `__call__` of complete-body responses (Response, PlainTextResponse, JSONResponse, ...), which
# request_response performs inline.
_SEND_WHOLE = Response.__call__


def _as_async(func: Callable[[Request], Awaitable[Response] | Response]) -> Callable[[Request], Awaitable[Response]]:
    if is_async_callable(func):
        return func

    async def call_in_thread(request: Request) -> Response:
        # A sync endpoint may block (I/O, CPU): keep it off the event loop.
        return cast(Response, await run_in_threadpool(func, request))

    return call_in_thread


def request_response(func: Callable[[Request], Awaitable[Response] | Response]) -> ASGIApp:
    """Adapt `func(request) -> response` (async, or sync run in a thread) to an ASGI app.

    Exceptions go to the application's handlers together with this very `Request`.
    """
    call = _as_async(func)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)
        tracker = send if type(send) is SendTracker else SendTracker(send)
        try:
            response = await call(request)
            # (`type(x).__call__` exists for any x: a class without one finds its metaclass's.)
            if type(response).__call__ is not _SEND_WHOLE or scope["type"] != "http":
                await response(scope, receive, tracker)
                return
            # What Response.__call__ does for HTTP, without a coroutine of its own (most responses are these).
            target = past_trackers(tracker)
            await target(
                {"type": "http.response.start", "status": response.status_code, "headers": response.raw_headers}
            )
            await target({"type": "http.response.body", "body": response.body})
            if response.background is not None:
                await response.background()
        except Exception as exc:
            await handle_exception(exc, request, scope, receive, tracker)

    return app


def websocket_session(func: Callable[[WebSocket], Awaitable[None]]) -> ASGIApp:
    """Adapt `async func(websocket)` to an ASGI app, with the application's exception handlers."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        session = WebSocket(scope, receive=receive, send=send)
        tracker = send if type(send) is SendTracker else SendTracker(send)
        try:
            await func(session)
        except Exception as exc:
            await handle_exception(exc, session, scope, receive, tracker)

    return app


def get_name(endpoint: Callable[..., Any]) -> str:
    return getattr(endpoint, "__name__", endpoint.__class__.__name__)


def replace_params(
    path: str, param_convertors: dict[str, Convertor[Any]], path_params: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """Fill `{name}` placeholders of `path`; returns the path and the params it did not use.

    Used params are removed from `path_params` (the caller's dict).
    """
    if not path_params:
        return path, path_params

    # One pass over the template: a value that itself looks like "{name}" is never substituted again.
    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in path_params:
            return match.group(0)
        return param_convertors[key].to_string(path_params.pop(key))

    return _PLACEHOLDER.sub(fill, path), path_params


_HOST_PORT = re.compile(r":[0-9]*\Z")
_PLACEHOLDER = re.compile(r"{([a-zA-Z_][a-zA-Z0-9_]*)}")
_PARAM_REGEX = re.compile(r"{([a-zA-Z_][a-zA-Z0-9_]*)(:[a-zA-Z_][a-zA-Z0-9_]*)?}")


def compile_path(path: str) -> tuple[re.Pattern[str], str, dict[str, Convertor[Any]]]:
    """Compile a route path (or host) pattern like `/users/{id:int}` once, at start-up.

    Returns the matching regex, the format string used to build URLs (`/users/{id}`) and the
    convertor of each parameter. For a host pattern the port is left out: hosts match without it.
    """
    is_host = not path.startswith("/")
    path_regex = "^"
    path_format = ""
    duplicated: set[str] = set()
    convertors: dict[str, Convertor[Any]] = {}
    idx = 0
    for match in _PARAM_REGEX.finditer(path):
        name, type_suffix = match.groups("str")
        convertor_type = type_suffix.lstrip(":")
        if convertor_type not in CONVERTOR_TYPES:
            raise _RouteDefinitionError(f"Unknown path convertor '{convertor_type}'")
        convertor = CONVERTOR_TYPES[convertor_type]
        literal = path[idx : match.start()]
        path_regex += re.escape(literal) + f"(?P<{name}>{convertor.regex})"
        path_format += literal + "{" + name + "}"
        if name in convertors:
            duplicated.add(name)
        convertors[name] = convertor
        idx = match.end()
    if duplicated:
        names = ", ".join(sorted(duplicated))
        ending = "s" if len(duplicated) > 1 else ""
        raise _RouteDefinitionError(f"Duplicated param name{ending} {names} at path {path}")
    tail = path[idx:]
    if is_host:
        # Drop a ":port" suffix; the colons inside an IPv6 literal ("[::1]") are not a port.
        tail = _HOST_PORT.sub("", tail)
    path_regex += re.escape(tail) + "$"
    path_format += path[idx:]
    # Host names are case-insensitive (RFC 4343); paths are not.
    return re.compile(path_regex, re.IGNORECASE if is_host else 0), path_format, convertors


def _require_route_path(path: str) -> None:
    if not path.startswith("/"):
        raise _RouteDefinitionError("Routed paths must start with '/'")


def _convert_params(match: re.Match[str], convertors: dict[str, Convertor[Any]], scope: Scope) -> dict[str, Any] | None:
    """The scope's path params updated with this match's (a new dict); None when a value does not convert."""
    params = match.groupdict()
    try:
        for key, value in params.items():
            params[key] = convertors[key].convert(value)
    except ValueError:
        # e.g. an integer too long for int(): no match (404) rather than a crash (500).
        return None
    outer = scope.get("path_params")
    if outer:
        # Mounted routes: the mount's own params come first.
        merged = dict(outer)
        merged.update(params)
        return merged
    return params


_Plan = tuple[tuple[str, Callable[[str], Any]], ...]

# Convertors whose `convert` hands back the matched text unchanged.
_IDENTITY_CONVERTS = (StringConvertor.convert, PathConvertor.convert)


def _conversion_plan(convertors: dict[str, Convertor[Any]]) -> _Plan:
    """The `convert` calls a match of these convertors needs: none for text, `int` itself for integers."""
    plan = []
    for key, convertor in convertors.items():
        convert = type(convertor).convert
        if convert not in _IDENTITY_CONVERTS:
            plan.append((key, int if convert is IntegerConvertor.convert else convertor.convert))
    return tuple(plan)


def _planned_params(match: re.Match[str], plan: _Plan, scope: Scope) -> dict[str, Any] | None:
    """`_convert_params` with a conversion plan made in advance."""
    params = match.groupdict()
    try:
        for key, convert in plan:
            params[key] = convert(params[key])
    except ValueError:
        return None
    outer = scope.get("path_params")
    if outer:
        merged = dict(outer)
        merged.update(params)
        return merged
    return params


def _wrap_app(app: ASGIApp, middleware: Sequence[Middleware] | None, max_body_size: int | None) -> ASGIApp:
    if middleware is not None:
        for cls, args, kwargs in reversed(middleware):
            app = cls(app, *args, **kwargs)
    if max_body_size is not None:
        app = RequestBodyLimitMiddleware(app, max_body_size)
    return app


def _is_function_endpoint(endpoint: Any) -> bool:
    while isinstance(endpoint, functools.partial):
        endpoint = endpoint.func
    return inspect.isfunction(endpoint) or inspect.ismethod(endpoint)


def _host_header(scope: Scope) -> str:
    for key, value in scope.get("headers", ()):
        if key == b"host":
            return str(value.decode("latin-1"))
    return ""


class BaseRoute:
    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        raise NotImplementedError()  # pragma: no cover

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        raise NotImplementedError()  # pragma: no cover

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError()  # pragma: no cover

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve this route on its own, as a complete ASGI app (404 or close when it does not match)."""
        match, child_scope = self.matches(scope)
        if match is _NONE:
            if scope["type"] == "http":
                await PlainTextResponse("Not Found", status_code=404)(scope, receive, send)
            elif scope["type"] == "websocket":
                await WebSocketClose()(scope, receive, send)
            return
        scope.update(child_scope)
        await self.handle(scope, receive, send)


class Route(BaseRoute):
    """An HTTP route. A function or method endpoint is called as `endpoint(request) -> response`
    (GET and HEAD by default); any other callable (e.g. an `HTTPEndpoint` class) is an ASGI app.
    """

    def __init__(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        methods: Collection[str] | None = None,
        name: str | None = None,
        include_in_schema: bool = True,
        middleware: Sequence[Middleware] | None = None,
        max_body_size: int | None = None,
    ) -> None:
        _require_route_path(path)
        self.path = path
        self.endpoint = endpoint
        self.name = get_name(endpoint) if name is None else name
        self.include_in_schema = include_in_schema
        if _is_function_endpoint(endpoint):
            app = request_response(endpoint)
            if methods is None:
                methods = ["GET"]
        else:
            app = endpoint
        self.app = _wrap_app(app, middleware, max_body_size)
        self.methods: set[str] | None = None
        if methods is not None:
            self.methods = {method.upper() for method in methods}
            if "GET" in self.methods:
                self.methods.add("HEAD")
        self.path_regex, self.path_format, self.param_convertors = compile_path(path)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http":
            return _NONE, {}
        match = self.path_regex.match(get_route_path(scope))
        if match is None:
            return _NONE, {}
        path_params = _convert_params(match, self.param_convertors, scope)
        if path_params is None:
            return _NONE, {}
        child_scope = {"endpoint": self.endpoint, "path_params": path_params}
        if self.methods and scope["method"] not in self.methods:
            return _PARTIAL, child_scope
        return _FULL, child_scope

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        if name != self.name or set(path_params) != set(self.param_convertors):
            raise NoMatchFound(name, path_params)
        path, _ = replace_params(self.path_format, self.param_convertors, path_params)
        return URLPath(path=path, protocol="http")

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.methods and scope["method"] not in self.methods:
            headers = {"Allow": ", ".join(self.methods)}
            if "app" in scope:
                # Inside an application: its exception handlers decide what a 405 looks like.
                raise HTTPException(status_code=405, headers=headers)
            await PlainTextResponse("Method Not Allowed", status_code=405, headers=headers)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def __eq__(self, other: Any) -> bool:
        return (
            isinstance(other, Route)
            and self.path == other.path
            and self.endpoint == other.endpoint
            and self.methods == other.methods
        )

    def __repr__(self) -> str:
        methods = sorted(self.methods or [])
        return f"{self.__class__.__name__}(path={self.path!r}, name={self.name!r}, methods={methods!r})"


class WebSocketRoute(BaseRoute):
    """A WebSocket route: a function endpoint is called as `await endpoint(websocket)`, anything else is ASGI."""

    def __init__(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        name: str | None = None,
        middleware: Sequence[Middleware] | None = None,
    ) -> None:
        _require_route_path(path)
        self.path = path
        self.endpoint = endpoint
        self.name = get_name(endpoint) if name is None else name
        app = websocket_session(endpoint) if _is_function_endpoint(endpoint) else endpoint
        self.app = _wrap_app(app, middleware, None)
        self.path_regex, self.path_format, self.param_convertors = compile_path(path)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "websocket":
            return _NONE, {}
        match = self.path_regex.match(get_route_path(scope))
        if match is None:
            return _NONE, {}
        path_params = _convert_params(match, self.param_convertors, scope)
        if path_params is None:
            return _NONE, {}
        return _FULL, {"endpoint": self.endpoint, "path_params": path_params}

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        if name != self.name or set(path_params) != set(self.param_convertors):
            raise NoMatchFound(name, path_params)
        path, _ = replace_params(self.path_format, self.param_convertors, path_params)
        return URLPath(path=path, protocol="websocket")

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, WebSocketRoute) and self.path == other.path and self.endpoint == other.endpoint

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(path={self.path!r}, name={self.name!r})"


class Mount(BaseRoute):
    """Delegate every path under `path` to `app` (or to a `Router` of `routes`).

    The sub-app sees the prefix moved into `root_path`, so its own routes are written relative to it.
    """

    def __init__(
        self,
        path: str,
        app: ASGIApp | None = None,
        routes: Sequence[BaseRoute] | None = None,
        name: str | None = None,
        *,
        middleware: Sequence[Middleware] | None = None,
        max_body_size: int | None = None,
    ) -> None:
        if path != "":
            _require_route_path(path)
        if app is None and routes is None:
            raise _RouteDefinitionError("Either 'app=...', or 'routes=' must be specified")
        self.path = path.rstrip("/")
        self._base_app: ASGIApp = app if app is not None else Router(routes=routes)
        self.app = _wrap_app(self._base_app, middleware, max_body_size)
        self.name = name
        self.path_regex, self.path_format, self.param_convertors = compile_path(self.path + "/{path:path}")

    @property
    def routes(self) -> list[BaseRoute]:
        return getattr(self._base_app, "routes", [])

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] not in ("http", "websocket"):
            return _NONE, {}
        route_path = get_route_path(scope)
        match = self.path_regex.match(route_path)
        if match is None:
            return _NONE, {}
        path_params = _convert_params(match, self.param_convertors, scope)
        if path_params is None:
            return _NONE, {}
        remaining_path = "/" + path_params.pop("path")
        matched_path = route_path[: -len(remaining_path)]
        root_path = scope.get("root_path", "")
        child_scope = {
            "path_params": path_params,
            # The application's own root path, kept unchanged through nested mounts for url_for().
            "app_root_path": scope.get("app_root_path", root_path),
            "root_path": root_path + matched_path,
            "endpoint": self.app,
        }
        return _FULL, child_scope

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        if self.name is not None and name == self.name and "path" in path_params:
            # The mount itself, e.g. url_path_for("static", path="/css/app.css").
            path_params["path"] = path_params["path"].lstrip("/")
            path, remaining = replace_params(self.path_format, self.param_convertors, path_params)
            if not remaining:
                return URLPath(path=path)
        elif self.name is None or name.startswith(self.name + ":"):
            # A route inside the mount: "<mount name>:<route name>", or any name for an unnamed mount.
            remaining_name = name if self.name is None else name[len(self.name) + 1 :]
            path_kwarg = path_params.get("path")
            path_params["path"] = ""
            prefix, remaining = replace_params(self.path_format, self.param_convertors, path_params)
            if path_kwarg is not None:
                remaining["path"] = path_kwarg
            for route in self.routes or []:
                try:
                    url = route.url_path_for(remaining_name, **remaining)
                except NoMatchFound:
                    continue
                return URLPath(path=prefix.rstrip("/") + str(url), protocol=url.protocol)
        raise NoMatchFound(name, path_params)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, Mount) and self.path == other.path and self.app == other.app

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(path={self.path!r}, name={self.name or ''!r}, app={self.app!r})"


class Host(BaseRoute):
    """Delegate requests whose Host header (port ignored) matches `host`, e.g. `{subdomain}.example.org`."""

    def __init__(self, host: str, app: ASGIApp, name: str | None = None) -> None:
        if host.startswith("/"):
            raise _RouteDefinitionError("Host must not start with '/'")
        self.host = host
        self.app = app
        self.name = name
        self.host_regex, self.host_format, self.param_convertors = compile_path(host)

    @property
    def routes(self) -> list[BaseRoute]:
        return getattr(self.app, "routes", [])

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] not in ("http", "websocket"):
            return _NONE, {}
        # A malformed Host header (bad port, broken IPv6 literal) matches no host route.
        parsed = parse_host_header(_host_header(scope))
        if parsed is None:
            return _NONE, {}
        match = self.host_regex.match(parsed.host.lower())
        if match is None:
            return _NONE, {}
        path_params = _convert_params(match, self.param_convertors, scope)
        if path_params is None:
            return _NONE, {}
        return _FULL, {"path_params": path_params, "endpoint": self.app}

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        if self.name is not None and name == self.name and "path" in path_params:
            path = path_params.pop("path")
            host, remaining = replace_params(self.host_format, self.param_convertors, path_params)
            if not remaining:
                return URLPath(path=path, host=host)
        elif self.name is None or name.startswith(self.name + ":"):
            remaining_name = name if self.name is None else name[len(self.name) + 1 :]
            host, remaining = replace_params(self.host_format, self.param_convertors, path_params)
            for route in self.routes or []:
                try:
                    url = route.url_path_for(remaining_name, **remaining)
                except NoMatchFound:
                    continue
                return URLPath(path=str(url), protocol=url.protocol, host=host)
        raise NoMatchFound(name, path_params)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, Host) and self.host == other.host and self.app == other.app

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(host={self.host!r}, name={self.name or ''!r}, app={self.app!r})"


class _RouteList(list[BaseRoute]):
    """The router's route list, holding the router's index of it: any change drops the index."""

    _lookup: _RouteIndex | None = None


def _counting(name: str) -> Callable[..., Any]:
    mutate = getattr(list, name)

    def method(self: _RouteList, *args: Any, **kwargs: Any) -> Any:
        result = mutate(self, *args, **kwargs)
        self._lookup = None
        return result

    method.__name__ = name
    return method


_MUTATORS = ("append", "extend", "insert", "remove", "pop", "clear", "sort", "reverse")
for _name in (*_MUTATORS, "__setitem__", "__delitem__", "__iadd__", "__imul__"):
    setattr(_RouteList, _name, _counting(_name))


# Route types whose `matches` depends only on the scope type, method and path (not on headers), so
# which of them can match a given path is decidable once, when indexing.
_PATH_MATCHERS = (Route.matches, WebSocketRoute.matches, Mount.matches)
_STATIC_MATCHERS = (Route.matches, WebSocketRoute.matches)
_FORWARDING_HANDLES = (Route.handle, WebSocketRoute.handle, Mount.handle, Host.handle)

_HandleT = TypeVar("_HandleT", bound=Callable[..., Any])


def _forwards_full_match(handle: _HandleT) -> _HandleT:
    """Declare that a route subclass's `handle` only calls `self.app` when `matches` found a full match.

    The router then calls `route.app` itself for full matches, one frame less; `handle` still runs for
    partial ones (e.g. a custom 405). A subclass that overrides `handle` again is not covered unless it
    declares the same.
    """
    handle._forwards_full_match = True  # type: ignore[attr-defined]
    return handle


# A candidate route, with how the router may take shortcuts with it: `inline` when its `matches` is
# Route's own (the router does the same work without building a child scope), `forwards` when a full
# match's `handle` only calls `route.app` (the router calls that itself, one frame less); then the
# route's `param_convertors` when indexed and the conversion plan made from them.
_Candidate = tuple[BaseRoute, bool, bool, dict[str, Convertor[Any]] | None, _Plan]


class _RouteIndex:
    """For each static route path, the routes (in order) that can match it; the rest for other paths.

    Exactly the routes that a full in-order scan could match are kept, so results are unchanged:
    a path-only route is kept when its regex matches the path; any other route always is.
    `direct` names the static `Route` that comes first for a path: when the method fits, it is the
    match, and the router can dispatch to it without a regex or asking every candidate.
    """

    __slots__ = ("all_routes", "by_path", "direct", "dynamic")

    def __init__(self, routes: list[BaseRoute]) -> None:
        self.all_routes = [_candidate(route) for route in routes]
        static_paths = {route.path for route in routes if _is_static(route)}  # type: ignore[attr-defined]
        self.by_path = {path: [c for c in self.all_routes if _may_match(c[0], path)] for path in static_paths}
        self.dynamic = [c for c in self.all_routes if not _is_static(c[0])]
        self.direct: dict[str, tuple[Route, bool]] = {
            path: (cast(Route, route), forwards)
            for path, ((route, inline, forwards, _, _), *_) in self.by_path.items()
            if inline and _is_static(route)
        }

    def candidates(self, route_path: str) -> list[_Candidate]:
        found = self.by_path.get(route_path)
        if found is not None:
            return found
        # `$` in a static route's regex also matches before a final newline: scan every route then.
        return self.all_routes if "\n" in route_path else self.dynamic


def _candidate(route: BaseRoute) -> _Candidate:
    handle = type(route).handle
    forwards = handle in _FORWARDING_HANDLES or getattr(handle, "_forwards_full_match", False) is True
    if type(route).matches is not Route.matches:
        return route, False, forwards, None, ()
    convertors = cast(Route, route).param_convertors
    return route, True, forwards, convertors, _conversion_plan(convertors)


def _is_static(route: BaseRoute) -> bool:
    return type(route).matches in _STATIC_MATCHERS and not route.param_convertors  # type: ignore[attr-defined]


def _may_match(route: BaseRoute, path: str) -> bool:
    if type(route).matches not in _PATH_MATCHERS:
        return True
    return route.path_regex.match(path) is not None  # type: ignore[attr-defined]


@contextlib.asynccontextmanager
async def _no_lifespan(app: Any) -> AsyncIterator[None]:
    """No start-up or shutdown work: what a router without `lifespan=` runs."""
    yield


def _lift_sync_lifespan(lifespan: Callable[[Any], Generator[Any, Any, Any]]) -> Callable[[Any], Any]:
    sync_context = contextlib.contextmanager(lifespan)

    @contextlib.asynccontextmanager
    async def lifted(app: Any) -> AsyncIterator[Any]:
        with sync_context(app) as state:
            yield state

    return lifted


_DEPRECATED_LIFESPAN = "{} lifespans are deprecated, use an @contextlib.asynccontextmanager function instead"


def _lifespan_context(lifespan: Lifespan[Any] | None) -> Callable[[Any], AbstractAsyncContextManager[Any]]:
    if lifespan is None:
        return _no_lifespan
    # stacklevel 2 attributes the warning to Router.__init__ in this module, where filters expect it.
    if inspect.isasyncgenfunction(lifespan):
        warnings.warn(_DEPRECATED_LIFESPAN.format("async generator function"), StarletteDeprecationWarning, 2)
        return contextlib.asynccontextmanager(lifespan)
    if inspect.isgeneratorfunction(lifespan):
        warnings.warn(_DEPRECATED_LIFESPAN.format("generator function"), StarletteDeprecationWarning, 2)
        return _lift_sync_lifespan(lifespan)
    return lifespan


class Router:
    """Dispatch to the first matching route; also runs the lifespan (start-up and shutdown)."""

    def __init__(
        self,
        routes: Sequence[BaseRoute] | None = None,
        redirect_slashes: bool = True,
        default: ASGIApp | None = None,
        lifespan: Lifespan[Any] | None = None,
        *,
        middleware: Sequence[Middleware] | None = None,
        max_body_size: int | None = None,
    ) -> None:
        self._routes = _RouteList([] if routes is None else routes)
        self.redirect_slashes = redirect_slashes
        self.default: ASGIApp = self.not_found if default is None else default
        self.lifespan_context = _lifespan_context(lifespan)
        self.middleware_stack: ASGIApp = _wrap_app(self.app, middleware, max_body_size)

    @property
    def routes(self) -> list[BaseRoute]:
        return self._routes

    @routes.setter
    def routes(self, routes: Iterable[BaseRoute]) -> None:
        self._routes = _RouteList(routes)

    def _current_index(self) -> _RouteIndex:
        routes = self._routes
        index = routes._lookup
        if index is None:
            index = routes._lookup = _RouteIndex(routes)
        return index

    async def not_found(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await WebSocketClose()(scope, receive, send)
            return
        if "app" in scope:
            # Inside an application: its exception handlers decide what a 404 looks like.
            raise HTTPException(status_code=404)
        await PlainTextResponse("Not Found", status_code=404)(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        for route in self.routes:
            try:
                return route.url_path_for(name, **path_params)
            except NoMatchFound:
                pass
        raise NoMatchFound(name, path_params)

    async def lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the lifespan context across the server's startup and shutdown messages."""
        started = False
        app: Any = scope.get("app")
        await receive()
        try:
            async with self.lifespan_context(app) as maybe_state:
                if maybe_state is not None:
                    if "state" not in scope:
                        raise RuntimeError('The server does not support "state" in the lifespan scope.')
                    scope["state"].update(maybe_state)
                await send({"type": "lifespan.startup.complete"})
                started = True
                await receive()
        except BaseException:
            failed = "lifespan.shutdown.failed" if started else "lifespan.startup.failed"
            await send({"type": failed, "message": traceback.format_exc()})
            raise
        await send({"type": "lifespan.shutdown.complete"})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.middleware_stack(scope, receive, send)

    def app(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        """Dispatch to the matching route (or the lifespan).

        Not `async`: it returns the chosen app's awaitable, so dispatching costs no coroutine of its own.
        """
        scope_type = scope["type"]
        if "router" not in scope:
            scope["router"] = self
        if scope_type != "http" and scope_type != "websocket":
            if scope_type == "lifespan":
                return self.lifespan(scope, receive, send)
            raise RuntimeError(f"Router cannot handle a {scope_type!r} scope.")
        route_path: str = scope["path"]
        if scope.get("root_path"):
            route_path = get_route_path(scope)
        index = self._routes._lookup
        if index is None:
            index = self._current_index()
        if scope_type == "http":
            direct = index.direct.get(route_path)
            if direct is not None:
                static, forwards = direct
                methods = static.methods
                if not methods or scope["method"] in methods:
                    # What Route.matches() would do for this static route, minus the regex.
                    path_params = scope.get("path_params")
                    scope["route"] = static
                    scope["endpoint"] = static.endpoint
                    scope["path_params"] = dict(path_params) if path_params else {}
                    return static.app(scope, receive, send) if forwards else static.handle(scope, receive, send)
        partial: BaseRoute | None = None
        partial_scope: Scope = {}
        route: Any  # A Route when `inline`.
        candidates = index.by_path.get(route_path)
        if candidates is None:
            # `$` in a static route's regex also matches before a final newline: scan every route then.
            candidates = index.all_routes if "\n" in route_path else index.dynamic
        for route, inline, forwards, indexed_convertors, plan in candidates:
            if inline:
                # Route.matches(), without building a child scope to copy from.
                if scope_type != "http" or (match := route.path_regex.match(route_path)) is None:
                    continue
                convertors = route.param_convertors
                if convertors is indexed_convertors:
                    params = _planned_params(match, plan, scope)
                else:
                    params = _convert_params(match, convertors, scope)
                if params is None:
                    continue
                methods = route.methods
                if methods and scope["method"] not in methods:
                    if partial is None:
                        partial, partial_scope = route, {"endpoint": route.endpoint, "path_params": params}
                    continue
                scope["route"] = route
                scope["endpoint"] = route.endpoint
                scope["path_params"] = params
            else:
                matched, child_scope = route.matches(scope)
                if matched is not _FULL:
                    if matched is _PARTIAL and partial is None:
                        partial, partial_scope = route, child_scope
                    continue
                # The route that handles the request, for instrumentation (e.g. the OpenTelemetry span name).
                scope["route"] = route
                scope.update(child_scope)
            if forwards:
                # A full match of these route types means handle() just forwards: skip a frame.
                return route.app(scope, receive, send)  # type: ignore[no-any-return]
            return route.handle(scope, receive, send)  # type: ignore[no-any-return]
        if partial is not None:
            scope["route"] = partial
            scope.update(partial_scope)
            return partial.handle(scope, receive, send)
        if scope_type == "http" and self.redirect_slashes and route_path != "/":
            return self._redirect_or_default(route_path, scope, receive, send)
        return self.default(scope, receive, send)

    async def _redirect_or_default(self, route_path: str, scope: Scope, receive: Receive, send: Send) -> None:
        if not await self._redirect_slashes(route_path, scope, receive, send):
            await self.default(scope, receive, send)

    async def _redirect_slashes(self, route_path: str, scope: Scope, receive: Receive, send: Send) -> bool:
        """Redirect to the same path with or without its trailing slash when that path has a route."""
        redirect_scope = dict(scope)
        if route_path.endswith("/"):
            redirect_scope["path"] = redirect_scope["path"].rstrip("/")
            other_path = route_path.rstrip("/")
        else:
            redirect_scope["path"] = redirect_scope["path"] + "/"
            other_path = route_path + "/"
        if redirect_scope["path"].startswith("//"):
            # "//host" would read as another host if the URL ends up relative: never redirect there.
            return False
        for route, *_ in self._current_index().candidates(other_path):
            match, _ = route.matches(redirect_scope)
            if match is not _NONE:
                await RedirectResponse(url=str(URL(scope=redirect_scope)))(scope, receive, send)
                return True
        return False

    def __eq__(self, other: Any) -> bool:
        # Two routers are equal when they route the same way (what Mount/Host equality relies on).
        return isinstance(other, Router) and list(self.routes) == list(other.routes)

    __hash__ = None  # type: ignore[assignment]

    def mount(self, path: str, app: ASGIApp, name: str | None = None) -> None:
        self.routes.append(Mount(path, app=app, name=name))

    def host(self, host: str, app: ASGIApp, name: str | None = None) -> None:
        self.routes.append(Host(host, app=app, name=name))

    def add_route(
        self,
        path: str,
        endpoint: Callable[[Request], Awaitable[Response] | Response],
        methods: Collection[str] | None = None,
        name: str | None = None,
        include_in_schema: bool = True,
    ) -> None:
        route = Route(path, endpoint=endpoint, methods=methods, name=name, include_in_schema=include_in_schema)
        self.routes.append(route)

    def add_websocket_route(
        self, path: str, endpoint: Callable[[WebSocket], Awaitable[None]], name: str | None = None
    ) -> None:
        self.routes.append(WebSocketRoute(path, endpoint=endpoint, name=name))
