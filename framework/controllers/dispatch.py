"""The ASGI callables controller routes run per request: everything they need is captured at start-up.

Each HTTP route gets one `serve(scope, receive, send)` function. For an async method without guards,
form data or background tasks it is generated at start-up as one straight-line function: build the
`Request`, record it on the request scope, bind the arguments, create the controller (inlined when its
provider is a plain `Factory`), await the method, render the result and send it. Other handlers go
through the compiled binder. No `getattr`, no `inspect`, no bound-method creation on the hot path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from framework._exception_handler import past_trackers
from framework.binding import CompiledHandler
from framework.binding.compiler import error_response
from framework.binding.extractors import path_identity_type
from framework.di.background import in_fresh_scopes
from framework.di.creators import compile_function, instance_source
from framework.di.scope import _current
from framework.exceptions import HTTPException
from framework.middleware import Middleware
from framework.problems import DomainError, http_exception_problem
from framework.requests import Request
from framework.responses import Response
from framework.routing import Route, _forwards_full_match
from framework.types import ASGIApp, Receive, Scope, Send
from framework.websockets import WebSocket

__all__ = ["ControllerHTTPRoute", "HTTPHandlerEndpoint", "WebSocketHandlerEndpoint", "bind_handler"]

_current_scope = _current.get


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


# The per-request path of an async handler. `{arguments}` binds the handler's arguments (before the
# controller is created: a request that does not validate creates nothing) and `{instance}` creates the
# controller. Complete-body responses (`Response.__call__`) are sent inline, past the send trackers (each
# marked as started, as sending the start through it would; they have nothing else to do for the rest of
# the response); the request scope's response gate, or any other wrapper, is kept.
_SERVE = """\
async def serve(scope, receive, send):
{request}    try:
{arguments}        result = await _function({instance}{pass_arguments})
    except _HANDLED as exc:
        response = _error_response(exc, {request_for_error})
    else:
        response = {render}
    if response.background is not None:
        response.background = _in_fresh_scopes(response.background)
    if response.__class__.__call__ is not _SEND_WHOLE:
        await response(scope, receive, send)
        return
    send = _past_trackers(send)
    await send({{"type": "http.response.start", "status": response.status_code, "headers": response.raw_headers}})
    await send({{"type": "http.response.body", "body": response.body}})
    if response.background is not None:
        await response.background()
"""


def _generated_serve(
    compiled: CompiledHandler, function: Callable[..., Any], make_instance: Callable[[], Any], provider: Any
) -> ASGIApp:
    """`serve` for an async handler without guards, form data or background tasks, as one function."""
    namespace: dict[str, Any] = {
        "_Request": Request,
        "_current_scope": _current_scope,
        "_function": function,
        "_make_instance": make_instance,
        "_bind_now": compiled.bind_now,
        "_bind": compiled.bind,
        "_render": compiled.render,
        "_HANDLED": (DomainError, HTTPException),
        "_error_response": error_response,
        "_in_fresh_scopes": in_fresh_scopes,
        "_SEND_WHOLE": Response.__call__,
        "_past_trackers": past_trackers,
    }
    arguments, pass_arguments = _arguments_source(compiled, namespace)
    if compiled.direct_render is None:
        request, request_for_error = _BUILD_REQUEST, "request"
    else:
        # Nothing to bind: the `Request` is built only if something asks for it (`CurrentRequest` builds it
        # from the scope; an error response here), saving its construction on the usual path.
        namespace["_request_of"] = _request_of
        request, request_for_error = "", "_request_of(scope, receive, send)"
    source = _SERVE.format(
        request=request,
        request_for_error=request_for_error,
        arguments=arguments,
        instance=instance_source(provider, namespace) or "_make_instance()",
        pass_arguments=pass_arguments,
        render=_render_source(compiled, namespace),
    )
    return compile_function(source, "serve", namespace, f"serve {compiled.where}")


_BUILD_REQUEST = """\
    request = _Request(scope, receive, send)
    request_scope = _current_scope(None)
    if request_scope is not None:
        request_scope.connection = request
"""


def _request_of(scope: Scope, receive: Receive, send: Send) -> Request:
    """The request's `Request`: the one the request scope already has, or a new one recorded there."""
    request_scope = _current_scope(None)
    if request_scope is not None and request_scope.connection.__class__ is Request:
        connection: Request = request_scope.connection
        return connection
    request = Request(scope, receive, send)
    if request_scope is not None:
        request_scope.connection = request
    return request


def _arguments_source(compiled: CompiledHandler, namespace: dict[str, Any]) -> tuple[str, str]:
    """The lines binding the handler's arguments (indented for `_SERVE`'s `try`) and how the call passes them."""
    if compiled.direct_render is not None:  # no arguments at all
        return "", ""
    if not compiled.binds_now:  # a body to read
        return "        arguments = await _bind(request)\n", ", **arguments"
    exact = [path_identity_type(parameter) for parameter in compiled.parameters]
    if None in exact:
        return "        arguments = _bind_now(request)\n", ", **arguments"
    # Only path parameters whose values the router's convertors already made of the declared type (`int`,
    # `str`, ...): read as they are. Anything else takes the binder, which validates and reports it.
    lines = ["        path_params = request.path_params\n"]
    checks: list[str] = []
    for index, (parameter, kind) in enumerate(zip(compiled.parameters, exact, strict=True)):
        namespace[f"_T{index}"] = kind
        lines.append(f"        _v{index} = path_params[{parameter.name!r}]\n")
        checks.append(f"_v{index}.__class__ is not _T{index}")
    lines.append(f"        if {' or '.join(checks)}:\n            arguments = _bind_now(request)\n")
    lines += [f"            _v{index} = arguments[{p.name!r}]\n" for index, p in enumerate(compiled.parameters)]
    return "".join(lines), "".join(f", {p.name}=_v{index}" for index, p in enumerate(compiled.parameters))


def _render_source(compiled: CompiledHandler, namespace: dict[str, Any]) -> str:
    """The expression making the response from `result`: the renderer's first step for its most common result
    written out (see `CommonResult`), the renderer for the rest."""
    common = compiled.common_result
    if common is None:
        return "_render(result)"
    namespace.update(_Result=common.result_class, _Response=common.response_class, _status=common.status)
    if common.encode is None:
        made = "_Response(result, status_code=_status)"
    else:
        namespace["_encode"] = common.encode
        made = "_Response(_encode(result), _status)"
    return f"{made} if result.__class__ is _Result else _render(result)"


def _serve_compiled(compiled: CompiledHandler, bound: Callable[..., Any]) -> ASGIApp:
    """Any other handler (form data, background tasks, guards, a sync method): the compiled handler's own path."""

    async def serve(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)
        request_scope = _current_scope(None)
        if request_scope is not None:
            request_scope.connection = request
        response = await compiled(bound, request)
        if response.background is not None:
            response.background = in_fresh_scopes(response.background)
        await response(scope, receive, send)

    return serve


class _HandlerEndpoint:
    """What both endpoint kinds hold: the compiled handler, the bound-call factory and the route's metadata."""

    __slots__ = ("__framework_route__", "bound", "compiled")

    def __init__(self, compiled: CompiledHandler, bound: Callable[..., Any], meta: Any = None) -> None:
        self.compiled = compiled
        self.bound = bound
        # What OpenAPI and tooling read about the route (a ControllerRoute).
        self.__framework_route__ = meta

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.compiled.where}>"


class HTTPHandlerEndpoint(_HandlerEndpoint):
    """One controller method as an ASGI app; `serve` is the same app as a plain function (what routes call).

    Given the method, the controller's `make_instance` and its guards (and the container provider behind
    `make_instance`, whose creation can then be inlined), common handler shapes get a generated `serve`.
    """

    __slots__ = ("serve",)

    def __init__(
        self,
        compiled: CompiledHandler,
        bound: Callable[..., Any],
        meta: Any = None,
        *,
        function: Callable[..., Any] | None = None,
        make_instance: Callable[[], Any] | None = None,
        guards: tuple[Callable[[], Any], ...] = (),
        provider: Any = None,
    ) -> None:
        super().__init__(compiled, bound, meta)
        self.serve: ASGIApp
        if function is None or make_instance is None or guards or not compiled.is_async or not compiled.plain_binding:
            self.serve = _serve_compiled(compiled, bound)
        else:
            self.serve = _generated_serve(compiled, function, make_instance, provider)

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Any:
        return self.serve(scope, receive, send)


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

    def __init__(
        self,
        path: str,
        endpoint: HTTPHandlerEndpoint,
        *,
        allow: str,
        middleware: list[Middleware] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(path, endpoint, **kwargs)
        self.allow = allow
        # The route runs the endpoint's plain `serve` function: no `__call__` indirection per request.
        app: ASGIApp = endpoint.serve
        for cls, args, options in reversed(middleware or ()):
            app = cls(app, *args, **options)
        self.app = app

    # Declared as forwarding: the router calls `self.app` itself for a full match, and `handle` only runs for
    # a request whose verb no route of the path handles.
    @_forwards_full_match
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.methods is not None and scope["method"] not in self.methods:
            error = HTTPException(405, headers={"Allow": self.allow})
            await http_exception_problem(error, scope.get("path"))(scope, receive, send)
            return
        await self.app(scope, receive, send)
