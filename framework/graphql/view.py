"""Strawberry's framework-agnostic async view, implemented over the toolkit's Request, Response and WebSocket.

The base view owns the GraphQL-over-HTTP and WebSocket protocols; this class answers its questions (how to
read a request, build a response, accept a socket) and adds the framework's rules: limits before execution,
strict request parsing (bad input is a 4xx, never a 500), content negotiation, debug-only GraphiQL and
introspection, and per-scope service resolution through `GraphQLContext`.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeGuard

import anyio
from cross_web import AsyncHTTPRequestAdapter
from graphql import OperationType
from strawberry.exceptions import ConnectionRejectionError
from strawberry.file_uploads.utils import replace_placeholders_with_files
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData, process_result
from strawberry.http.async_base_view import AsyncBaseHTTPView
from strawberry.http.ides import get_graphql_ide_html
from strawberry.http.parse_content_type import parse_content_type
from strawberry.schema.base import BaseSchema
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.unset import UNSET, UnsetType

from framework.di.background import in_fresh_scopes
from framework.exceptions import HTTPException
from framework.graphql._adapters import RequestAdapter, WebSocketAdapter, loads_json
from framework.graphql._extension import operation_state
from framework.graphql._websocket import TransportWSHandler
from framework.graphql.context import GraphQLContext, ProviderIndex
from framework.graphql.errors import GraphQLRequestError, present_error
from framework.graphql.limits import GraphQLLimits, check_query
from framework.problems import DomainError
from framework.requests import HTTPConnection, Request
from framework.responses import HTMLResponse, Response
from framework.websockets import WebSocket

__all__ = ["GRAPHQL_RESPONSE_MEDIA_TYPE", "ContextGetter", "GraphQLView", "WebSocketConnectHook"]

GRAPHQL_RESPONSE_MEDIA_TYPE = "application/graphql-response+json"
ContextGetter = Callable[[GraphQLContext], Any]
WebSocketConnectHook = Callable[[Any], Awaitable[Mapping[str, object] | None]]
_JSON_TYPES = frozenset({"application/json", GRAPHQL_RESPONSE_MEDIA_TYPE})
_SKIPPED_HEADERS = frozenset({b"content-length", b"content-type"})
_PREFLIGHT_HEADERS = ("graphql-require-preflight", "apollo-require-preflight", "x-apollo-operation-name")


class GraphQLView(AsyncBaseHTTPView[Request, Response, Response, WebSocket, WebSocket, Any, Any]):
    """The protocol engine behind `GraphQLRoute`; one per route, shared by all requests."""

    request_adapter_class = RequestAdapter
    websocket_adapter_class = WebSocketAdapter
    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ide = "graphiql"  # served only when `graphiql_enabled` says so, see render_graphql_ide

    def __init__(
        self,
        schema: BaseSchema,
        *,
        graphiql: bool | None,
        introspection: bool | None,
        allow_queries_via_get: bool,
        multipart_uploads_enabled: bool,
        subscription_protocols: Sequence[str],
        max_subscriptions_per_connection: int | None,
        allowed_origins: frozenset[str],
        context_getter: ContextGetter | None,
        on_ws_connect: WebSocketConnectHook | None,
        limits: GraphQLLimits,
        container: Any,
    ) -> None:
        self.schema = schema
        self.limits = limits
        self.protocols = tuple(subscription_protocols)
        self.multipart_uploads_enabled = multipart_uploads_enabled
        self.max_subscriptions_per_connection = max_subscriptions_per_connection
        self.allowed_origins = allowed_origins
        self._graphiql = graphiql
        self._introspection = introspection
        self._allow_get = allow_queries_via_get
        self._context_getter = context_getter
        self._on_ws_connect = on_ws_connect
        self._index = ProviderIndex(container) if container is not None else None
        self._ide_html: str | None = None

    @property
    def allow_queries_via_get(self) -> bool:
        return self._allow_get

    # -- per-request policy ---------------------------------------------------------------------------------

    def is_debug(self, connection: HTTPConnection) -> bool:
        """The application's debug flag (GraphiQL, introspection and error details follow it by default)."""
        return bool(getattr(connection.scope.get("app"), "debug", False))

    def allows_introspection(self, debug: bool) -> bool:
        return debug if self._introspection is None else self._introspection

    def _provider_index(self, connection: HTTPConnection) -> ProviderIndex | None:
        if self._index is None:
            container = getattr(getattr(connection.scope.get("app"), "state", None), "container", None)
            if container is not None:
                self._index = ProviderIndex(container)
        return self._index

    # -- hooks of the base view ---------------------------------------------------------------------------

    async def get_sub_response(self, request: Request) -> Response:
        sub_response = Response()
        sub_response.raw_headers = []
        return sub_response

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Any:
        context = GraphQLContext(
            request,
            response if isinstance(response, Response) else None,
            debug=self.is_debug(request),
            providers_index=self._provider_index(request),
        )
        if self._context_getter is None:
            return context
        result = self._context_getter(context)
        return await result if inspect.isawaitable(result) else result

    async def get_root_value(self, request: Request | WebSocket) -> Any:
        return None

    def decode_json(self, data: str | bytes) -> object:
        try:
            return loads_json(data)
        except ValueError:
            raise GraphQLRequestError(400, "Unable to parse the request body as JSON.", code="BAD_REQUEST") from None

    async def parse_http_body(self, request: AsyncHTTPRequestAdapter) -> GraphQLRequestData | list[GraphQLRequestData]:
        content_type, _ = parse_content_type(request.content_type or "")
        if request.method == "GET":
            data = self.parse_query_params(request.query_params)
        elif content_type in _JSON_TYPES:
            data = self.parse_json(await request.get_body())
        elif content_type == "multipart/form-data" and self.multipart_uploads_enabled:
            data = await self._parse_upload(request)
        else:
            raise GraphQLRequestError(
                415,
                "Send GraphQL requests as application/json"
                + (" or multipart/form-data." if self.multipart_uploads_enabled else "."),
                code="UNSUPPORTED_MEDIA_TYPE",
            )
        if isinstance(data, list):
            return self._batch(data)
        return _request_data(data)

    def _batch(self, items: list[Any]) -> list[GraphQLRequestData]:
        config = self.schema.config.batching_config
        if config is None:
            raise GraphQLRequestError(
                400, "Batching is not enabled; send one operation per request.", code="BATCHING_DISABLED"
            )
        caps = [config["max_operations"], self.limits.max_operations_per_batch]
        cap = min(c for c in caps if c is not None)
        if len(items) > cap or not items:
            raise GraphQLRequestError(
                400, f"A batch holds 1 to {cap} operations; this one has {len(items)}.", code="TOO_MANY_OPERATIONS"
            )
        return [_request_data(item) for item in items]

    async def _parse_upload(self, request: AsyncHTTPRequestAdapter) -> Any:
        # multipart/form-data is a "simple" request a foreign page may send with the user's cookies: demanding a
        # custom header forces a CORS preflight, which such a page cannot pass.
        if not any(name in request.headers for name in _PREFLIGHT_HEADERS):
            raise GraphQLRequestError(
                400,
                "Multipart GraphQL requests must carry a 'GraphQL-Require-Preflight' header (CSRF protection).",
                code="BAD_REQUEST",
            )
        form = await request.get_form_data()
        operations = self.parse_json(str(form.form.get("operations", "")))
        files_map = self.parse_json(str(form.form.get("map", "{}")))
        if not isinstance(operations, dict | list) or not isinstance(files_map, dict):
            raise GraphQLRequestError(400, "Malformed multipart GraphQL request.", code="BAD_REQUEST")
        try:
            return replace_placeholders_with_files(operations, files_map, form.files)  # type: ignore[arg-type]
        except (KeyError, IndexError, TypeError, ValueError, AttributeError):
            raise GraphQLRequestError(
                400, "The multipart 'map' does not match the files and operations sent.", code="BAD_REQUEST"
            ) from None

    async def execute_operation(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: Any,
        root_value: Any,
        sub_response: Response,
    ) -> Any:
        state = operation_state.get()
        method = request_adapter.method
        for item in request_data if isinstance(request_data, list) else [request_data]:
            if not item.query:
                raise GraphQLRequestError(400, "No GraphQL query found in the request.", code="BAD_REQUEST")
            parsed = check_query(
                item.query,
                self.limits,
                operation_name=item.operation_name,
                introspection=self.allows_introspection(state.debug),
            )
            _check_method(parsed.operation_type, method, allow_get=self._allow_get)
            state.documents[item.query] = parsed.document
        return await super().execute_operation(
            request, request_adapter, request_data, context, root_value, sub_response
        )

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        state = operation_state.get()
        if result.errors:
            state.failed = True
            result.errors = [present_error(error, debug=state.debug) for error in result.errors]
        data = process_result(result)
        if isinstance(result, PreExecutionError) and state.media_type == GRAPHQL_RESPONSE_MEDIA_TYPE:
            data.pop("data", None)  # graphql-response+json: no "data" means the request was not executed
        return data

    def create_response(
        self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse], sub_response: Response
    ) -> Response:
        state = operation_state.get()
        status = 200
        if isinstance(response_data, dict) and "data" not in response_data:
            status = 400
        response = Response(self.encode_json(response_data), status_code=status, media_type=state.media_type)
        response.raw_headers.extend(h for h in sub_response.raw_headers if h[0] not in _SKIPPED_HEADERS)
        if sub_response.status_code != 200:
            response.status_code = sub_response.status_code
        if sub_response.background is not None:
            response.background = in_fresh_scopes(sub_response.background)
        return response

    async def render_graphql_ide(self, request: Request) -> Response:
        enabled = self.is_debug(request) if self._graphiql is None else self._graphiql
        if not enabled:
            raise GraphQLRequestError(404, "Not Found", code="NOT_FOUND")
        if self._ide_html is None:
            self._ide_html = await anyio.to_thread.run_sync(get_graphql_ide_html, "graphiql")
        return HTMLResponse(self._ide_html)

    # -- WebSocket ------------------------------------------------------------------------------------------

    def is_websocket_request(self, request: Request | WebSocket) -> TypeGuard[WebSocket]:
        return isinstance(request, WebSocket)

    async def pick_websocket_subprotocol(self, request: WebSocket) -> str | None:
        offered: list[str] = list(request.scope.get("subprotocols") or ())
        return next((protocol for protocol in offered if protocol in self.protocols), None)

    async def create_websocket_response(self, request: WebSocket, subprotocol: str | None) -> WebSocket:
        await request.accept(subprotocol=subprotocol)
        return request

    def get_websocket_headers(self, request: WebSocket) -> Mapping[str, str]:
        return request.headers

    async def reject_websocket(self, request: WebSocket) -> WebSocket:
        await request.close(code=1008)  # before accepting: the server answers the handshake with 403
        return request

    async def on_ws_connect(self, context: Any) -> UnsetType | dict[str, object] | None:
        """Run the route's `on_ws_connect` hook; a DomainError or HTTPException from it refuses the connection."""
        unset: UnsetType = UNSET
        if self._on_ws_connect is None:
            return unset
        try:
            payload = await self._on_ws_connect(context)
        except (DomainError, HTTPException) as error:
            raise ConnectionRejectionError from error
        return unset if payload is None else dict(payload)


def _request_data(data: object) -> GraphQLRequestData:
    if not isinstance(data, dict):
        raise GraphQLRequestError(400, "A GraphQL request must be a JSON object.", code="BAD_REQUEST")
    query, variables, name, extensions = (data.get(k) for k in ("query", "variables", "operationName", "extensions"))
    for key, value, kind in (
        ("query", query, str),
        ("variables", variables, dict),
        ("operationName", name, str),
        ("extensions", extensions, dict),
    ):
        if value is not None and not isinstance(value, kind):
            expected = "a string" if kind is str else "an object"
            raise GraphQLRequestError(400, f"'{key}' must be {expected} or null.", code="BAD_REQUEST")
    return GraphQLRequestData(query=query, variables=variables, operation_name=name, extensions=extensions)


def _check_method(operation_type: OperationType | None, method: str, *, allow_get: bool) -> None:
    if operation_type is OperationType.SUBSCRIPTION:
        raise GraphQLRequestError(
            400,
            "Subscriptions are served over a WebSocket (graphql-transport-ws) at this path.",
            code="BAD_REQUEST",
        )
    if method != "GET":
        return
    if operation_type is OperationType.MUTATION:
        raise GraphQLRequestError(
            405, "Mutations cannot be sent with GET; use POST.", code="METHOD_NOT_ALLOWED", headers={"Allow": "POST"}
        )
    if not allow_get:
        raise GraphQLRequestError(
            405, "Queries over GET are disabled here; use POST.", code="METHOD_NOT_ALLOWED", headers={"Allow": "POST"}
        )
