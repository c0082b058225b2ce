"""The schema extension that ties Strawberry's execution to the request being served.

It hands Strawberry the document the limits check already parsed (so a query is parsed once), rewrites
result errors to what a client may see, and records that the operation failed so the route rolls the unit
of work back. Per-operation data travels in a context variable, which follows `asyncio.gather` and the
WebSocket operation tasks without touching the user's context object.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from graphql import DocumentNode
from strawberry.extensions import SchemaExtension
from strawberry.schema.base import BaseSchema

from framework.graphql.errors import present_error

__all__ = ["OperationState", "install_extension", "operation_state"]


@dataclass(slots=True)
class OperationState:
    """What the route knows about the operations it runs: debug, response media type, parsed documents, failure."""

    debug: bool
    media_type: str = "application/json"
    documents: dict[str, DocumentNode] = field(default_factory=dict)
    failed: bool = False


operation_state: ContextVar[OperationState] = ContextVar("framework.graphql.operation")


class _RequestBinding(SchemaExtension):
    def on_parse(self) -> Iterator[None]:
        state = operation_state.get(None)
        context = self.execution_context
        if state is not None and context.graphql_document is None and context.query is not None:
            document = state.documents.get(context.query)
            if document is not None:
                context.graphql_document = document
        yield

    def on_operation(self) -> Iterator[None]:
        self._streamed = False
        yield
        if not self._streamed:
            _settle(self.execution_context.result)

    def on_stream_result(self, result: Any) -> Iterator[None]:
        self._streamed = True
        _settle(result)
        yield


def _settle(result: Any) -> None:
    state = operation_state.get(None)
    errors = getattr(result, "errors", None)
    if state is None or not errors:
        return
    state.failed = True
    result.errors = [present_error(error, debug=state.debug) for error in errors]


def install_extension(schema: BaseSchema) -> None:
    """Add the binding extension to `schema` once (schemas keep extensions as a tuple of classes)."""
    extensions = tuple(getattr(schema, "extensions", ()))
    if _RequestBinding not in extensions:
        schema.extensions = (*extensions, _RequestBinding)  # type: ignore[attr-defined]
