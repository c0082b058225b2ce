"""graphql-transport-ws with the framework's rules: limits per `subscribe`, a request scope per operation.

The connection has its scope (opened by the scope middleware, or by the route): the `connection_init` hook
runs there, so authentication can use request-scoped services. Each operation then runs in a scope of its
own, so a mutation sent over the socket gets its own session and transaction, settled before its result is
sent: committed when the result has no errors, rolled back otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from graphql import DocumentNode
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler, Operation
from strawberry.subscriptions.protocols.graphql_transport_ws.types import Message, SubscribeMessage

from framework.di.scope import RequestScope, get_current_scope, open_scope
from framework.exceptions import HTTPException
from framework.graphql._adapters import WebSocketAdapter
from framework.graphql._extension import OperationState, operation_state
from framework.graphql.errors import INTERNAL_ERROR_MESSAGE, GraphQLRequestError, error_code_for_status
from framework.graphql.limits import check_query

if TYPE_CHECKING:
    from framework.graphql.view import GraphQLView

__all__ = ["TransportWSHandler"]


class TransportWSHandler(BaseGraphQLTransportWSHandler[Any, Any]):
    """Strawberry's protocol state machine, with the checks and scopes added around each operation."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._documents: dict[str, DocumentNode] = {}
        self._connection_scope = get_current_scope()
        self._socket = cast(WebSocketAdapter, self.websocket).websocket
        self._graphql_view = cast("GraphQLView", self.view)
        self._debug = self._graphql_view.is_debug(self._socket)

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if self._would_start(message):
            payload: Any = message.get("payload")
            if isinstance(payload, dict) and isinstance(payload.get("query"), str):
                name = payload.get("operationName")
                try:
                    parsed = check_query(
                        payload["query"],
                        self._graphql_view.limits,
                        operation_name=name if isinstance(name, str) else None,
                        introspection=self._graphql_view.allows_introspection(self._debug),
                    )
                except GraphQLRequestError as error:
                    await self._send_error(message["id"], error.reason, error.code)
                    return
                self._documents[message["id"]] = parsed.document
        await super().handle_subscribe(message)

    def _would_start(self, message: SubscribeMessage) -> bool:
        """Whether the base handler will start this operation (else it closes or refuses it itself)."""
        cap = self.max_subscriptions_per_connection
        return (
            self.connection_acknowledged
            and message["id"] not in self.operations
            and (cap is None or len(self.operations) < cap)
        )

    async def run_operation(self, operation: Operation[Any, Any]) -> None:
        state = OperationState(debug=self._debug)
        document = self._documents.pop(operation.id, None)
        if document is not None:
            state.documents[operation.query] = document
        operation_state.set(state)  # this task's own copy of the context
        socket = self._socket
        async with open_scope(socket.scope, socket.receive, socket.send) as scope:
            scope.connection = socket
            await super().run_operation(operation)

    async def send_message(self, message: Message) -> None:
        scope = get_current_scope()
        if scope is not None and scope is not self._connection_scope and message["type"] in ("next", "error"):
            message = await self._settle(scope, message)
        await super().send_message(message)

    async def _settle(self, scope: RequestScope, message: Message) -> Message:
        """Commit or roll back the operation's unit of work before the client sees its result."""
        state = operation_state.get(None)
        failed = message["type"] == "error" or (state is not None and state.failed)
        try:
            await scope.run_before_response(400 if failed else 200)
        except Exception as exc:
            if message["type"] != "next":
                return message
            status = exc.status_code if isinstance(exc, HTTPException) else 500
            text = exc.detail if isinstance(exc, HTTPException) else INTERNAL_ERROR_MESSAGE
            error = {"message": text, "extensions": {"code": error_code_for_status(status)}}
            return cast(Message, {"id": message["id"], "type": "next", "payload": {"data": None, "errors": [error]}})
        return message

    async def _send_error(self, operation_id: str, text: str, code: str) -> None:
        error = {"message": text, "extensions": {"code": code}}
        await self.send_message(cast(Message, {"id": operation_id, "type": "error", "payload": [error]}))
