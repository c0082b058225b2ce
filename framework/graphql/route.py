"""`GraphQLRoute`: one path serving GraphQL over HTTP (GET, POST) and WebSocket, inside the request scope.

The route settles the request's unit of work itself, before its response starts: committed when every
operation succeeded, rolled back when any operation reported an error (a GraphQL response with errors is
still a 200, so the status alone cannot tell the session to roll back). A failed commit becomes a GraphQL
error response instead of a 200 that lied.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from typing import Any

from cross_web import HTTPException as _BaseViewHTTPException
from strawberry.http.websocket_origin import normalize_allowed_origins
from strawberry.schema.base import BaseSchema

from framework._utils import get_route_path
from framework.datastructures import URLPath
from framework.di.scope import RequestScope, get_current_scope, open_scope
from framework.exceptions import HTTPException
from framework.graphql._extension import OperationState, install_extension, operation_state
from framework.graphql.errors import INTERNAL_ERROR_MESSAGE, GraphQLRequestError, error_code_for_status
from framework.graphql.limits import GraphQLLimits
from framework.graphql.view import GRAPHQL_RESPONSE_MEDIA_TYPE, ContextGetter, GraphQLView, WebSocketConnectHook
from framework.middleware import Middleware
from framework.middleware.body_limit import RequestBodyLimitMiddleware
from framework.problems import DomainError
from framework.requests import Request
from framework.responses import Response
from framework.routing import BaseRoute, Match, NoMatchFound, compile_path, replace_params
from framework.types import ASGIApp, Receive, Scope, Send
from framework.websockets import WebSocket

__all__ = ["GraphQLRoute"]

logger = logging.getLogger("framework.graphql")

_SUPPORTED_PROTOCOLS = frozenset({"graphql-transport-ws"})
_JSON_RANGES = frozenset({"application/json", "application/*", "*/*"})


class GraphQLRoute(BaseRoute):
    """Serve a Strawberry schema at `path`: queries and mutations over HTTP, subscriptions over WebSocket.

    Put it in `routes=[...]` of an `Application` or of `create_app`. GraphiQL and introspection follow the
    app's debug flag unless `graphiql`/`introspection` say otherwise. `limits` bound every document before it
    is validated or executed. `context_getter(context)` may return another object to use as `info.context`;
    `on_ws_connect(context)` authenticates a WebSocket's `connection_init` (raise a DomainError, an
    HTTPException or strawberry's ConnectionRejectionError to refuse it; return a dict to send as ack payload).
    `middleware` wraps both the HTTP and the WebSocket side (e.g. a login check), `max_body_size` sets
    the request body limit of this route (it replaces the app-wide one).
    The schema gets the framework's extension added (once) on construction.
    """

    def __init__(
        self,
        path: str,
        schema: BaseSchema,
        *,
        graphiql: bool | None = None,
        introspection: bool | None = None,
        allow_queries_via_get: bool = True,
        multipart_uploads_enabled: bool = False,
        subscription_protocols: Sequence[str] = ("graphql-transport-ws",),
        max_subscriptions_per_connection: int | None = 100,
        allowed_origins: Sequence[str] = (),
        context_getter: ContextGetter | None = None,
        on_ws_connect: WebSocketConnectHook | None = None,
        limits: GraphQLLimits | None = None,
        container: Any = None,
        max_body_size: int | None = None,
        middleware: Sequence[Middleware] | None = None,
        name: str | None = None,
    ) -> None:
        _check_arguments(path, subscription_protocols)
        self.path = path
        self.name = "graphql" if name is None else name
        self.schema = schema
        self.limits = limits or GraphQLLimits()
        install_extension(schema)
        self.view = GraphQLView(
            schema,
            graphiql=graphiql,
            introspection=introspection,
            allow_queries_via_get=allow_queries_via_get,
            multipart_uploads_enabled=multipart_uploads_enabled,
            subscription_protocols=subscription_protocols,
            max_subscriptions_per_connection=max_subscriptions_per_connection,
            allowed_origins=normalize_allowed_origins(allowed_origins),
            context_getter=context_getter,
            on_ws_connect=on_ws_connect,
            limits=self.limits,
            container=container,
        )
        self.endpoint = self.view
        app: ASGIApp = self._dispatch
        if max_body_size is not None:
            app = RequestBodyLimitMiddleware(app, max_body_size)
        for cls, args, kwargs in reversed(middleware or ()):
            app = cls(app, *args, **kwargs)
        self.app = app
        self.path_regex, self.path_format, self.param_convertors = compile_path(path)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(path={self.path!r}, name={self.name!r})"

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] not in ("http", "websocket"):
            return Match.NONE, {}
        match = self.path_regex.match(get_route_path(scope))
        if match is None:
            return Match.NONE, {}
        path_params = dict(scope.get("path_params", ()))
        try:
            path_params.update({k: self.param_convertors[k].convert(v) for k, v in match.groupdict().items()})
        except ValueError:
            return Match.NONE, {}
        return Match.FULL, {"endpoint": self.endpoint, "path_params": path_params}

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        if name != self.name or set(path_params) != set(self.param_convertors):
            raise NoMatchFound(name, path_params)
        path, _ = replace_params(self.path_format, self.param_convertors, path_params)
        return URLPath(path=path, protocol="")

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        _require_asyncio()
        await self.app(scope, receive, send)

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        else:
            await self._websocket(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)
        request_scope = get_current_scope()
        try:
            if request_scope is None:  # no scope middleware (a plain Application): the route opens one
                async with open_scope(scope, receive, send) as own_scope:
                    response = await self._respond(request, own_scope)
                    await response(scope, receive, send)
            else:
                response = await self._respond(request, request_scope)
                await response(scope, receive, send)
        finally:
            await request.close()  # uploaded files

    async def _respond(self, request: Request, request_scope: RequestScope) -> Response:
        if request_scope.connection is None:
            request_scope.connection = request
        state = OperationState(
            debug=self.view.is_debug(request), media_type=_negotiate(request.headers.get("accept", ""))
        )
        token = operation_state.set(state)
        try:
            try:
                response = await self.view.run(request)
            except _BaseViewHTTPException as error:
                code = (
                    error.code if isinstance(error, GraphQLRequestError) else error_code_for_status(error.status_code)
                )
                headers = error.headers if isinstance(error, GraphQLRequestError) else {}
                response = _error_response(error.status_code, error.reason, code, state.media_type, headers)
            except HTTPException as error:  # the body limit (413) or a malformed multipart body (400)
                code = error_code_for_status(error.status_code)
                response = _error_response(error.status_code, error.detail, code, state.media_type, error.headers)
            failed = state.failed or response.status_code >= 400
            response = await _settle(request_scope, response, failed, state.media_type)
        finally:
            operation_state.reset(token)
        return response

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        connection_scope = get_current_scope()
        if connection_scope is None:
            async with open_scope(scope, receive, send) as own_scope:
                own_scope.connection = websocket
                await self.view.run(websocket)
            return
        if connection_scope.connection is None:
            connection_scope.connection = websocket
        await self.view.run(websocket)


def _check_arguments(path: str, subscription_protocols: Sequence[str]) -> None:
    if not path.startswith("/"):
        raise ValueError(f"GraphQLRoute path must start with '/', got {path!r}.")
    unsupported = [p for p in subscription_protocols if p not in _SUPPORTED_PROTOCOLS]
    if unsupported:
        raise ValueError(
            f"GraphQLRoute: unsupported subscription protocol(s) {', '.join(map(repr, unsupported))}. "
            "Fix: use subscription_protocols=('graphql-transport-ws',) (or () for no subscriptions)."
        )


async def _settle(request_scope: RequestScope, response: Response, failed: bool, media_type: str) -> Response:
    """Run the scope's before-response callbacks now (commit, or roll back when `failed`); map their failure."""
    try:
        await request_scope.run_before_response(400 if failed else response.status_code)
    except HTTPException as error:
        return _error_response(
            error.status_code, error.detail, error_code_for_status(error.status_code), media_type, error.headers
        )
    except DomainError as error:
        code = error.code or error_code_for_status(error.status)
        return _error_response(error.status, error.detail or error.title or "Error", code, media_type, error.headers)
    except Exception:
        logger.exception("Settling the request's unit of work failed")
        return _error_response(500, INTERNAL_ERROR_MESSAGE, "INTERNAL_SERVER_ERROR", media_type, None)
    return response


def _error_response(status: int, message: str, code: str, media_type: str, headers: Any) -> Response:
    body = json.dumps({"errors": [{"message": message, "extensions": {"code": code}}]}, separators=(",", ":"))
    all_headers = dict(headers or {})
    if status == 405:
        all_headers.setdefault("Allow", "GET, POST")
    return Response(body, status_code=status, headers=all_headers, media_type=media_type)


def _negotiate(accept: str) -> str:
    """application/graphql-response+json when the client accepts it at least as much as JSON, else JSON."""
    if GRAPHQL_RESPONSE_MEDIA_TYPE not in accept:
        return "application/json"
    graphql_quality = json_quality = 0.0
    for item in accept.split(","):
        media, _, params = item.strip().partition(";")
        media = media.strip().lower()
        if media == GRAPHQL_RESPONSE_MEDIA_TYPE:
            graphql_quality = max(graphql_quality, _quality(params))
        elif media in _JSON_RANGES:
            json_quality = max(json_quality, _quality(params))
    if graphql_quality > 0 and graphql_quality >= json_quality:
        return GRAPHQL_RESPONSE_MEDIA_TYPE
    return "application/json"


def _quality(params: str) -> float:
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key.strip().lower() == "q":
            try:
                return min(max(float(value), 0.0), 1.0)
            except ValueError:
                return 0.0
    return 1.0


def _require_asyncio() -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        raise RuntimeError(
            "GraphQLRoute needs an asyncio event loop: Strawberry and graphql-core run on asyncio only. "
            "Serve the app on asyncio (uvicorn's default), not trio."
        ) from None
