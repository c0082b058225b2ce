"""Finding the documented operations in an app's route tree.

A controller endpoint carries its metadata in the `__framework_route__` attribute (set by
`framework.controllers`): an object with at least `compiled` (the `CompiledHandler`), and optionally `tags`,
`summary`, `description`, `responses`, `include_in_schema`, `deprecated` and `operation_id`. Anything else in
the tree (plain toolkit routes, static files) is not part of the document.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from framework.binding.compiler import CompiledHandler
from framework.routing import BaseRoute, Mount, Route

__all__ = ["ROUTE_ATTRIBUTE", "Operation", "RouteMetadata", "iter_operations", "openapi_path"]

ROUTE_ATTRIBUTE = "__framework_route__"
_CONVERTOR = re.compile(r"{([a-zA-Z_][a-zA-Z0-9_]*):[a-zA-Z_][a-zA-Z0-9_]*}")
_METHOD_ORDER = ("GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE")


class RouteMetadata(Protocol):
    """What an endpoint's `__framework_route__` must provide; the other documented attributes are optional."""

    compiled: CompiledHandler


@dataclass(frozen=True, slots=True)
class Operation:
    """One documented method + path, with everything the document builder needs."""

    method: str
    path: str
    compiled: CompiledHandler
    operation_id: str
    tags: tuple[str, ...] = ()
    summary: str | None = None
    description: str | None = None
    deprecated: bool = False
    responses: Mapping[Any, Any] = field(default_factory=dict)


def openapi_path(path: str) -> str:
    """`/users/{user_id:int}` -> `/users/{user_id}`: OpenAPI paths carry no convertors."""
    return _CONVERTOR.sub(r"{\1}", path)


def _walk(routes: Sequence[BaseRoute], prefix: str) -> Iterator[tuple[str, Route]]:
    for route in routes:
        if isinstance(route, Mount):
            yield from _walk(route.routes, prefix + route.path)
        elif isinstance(route, Route) and route.include_in_schema:
            yield prefix + route.path, route


def _methods(route: Route) -> list[str]:
    methods = set(route.methods or ("GET",))
    if "GET" in methods:
        methods.discard("HEAD")  # added automatically for GET routes
    return sorted(methods, key=lambda m: _METHOD_ORDER.index(m) if m in _METHOD_ORDER else len(_METHOD_ORDER))


def _docstring_parts(compiled: CompiledHandler) -> tuple[str | None, str | None]:
    doc = inspect.getdoc(compiled.function)
    if not doc:
        # Without a docstring the handler name reads well enough: "list_users" -> "List users".
        return compiled.function.__name__.replace("_", " ").strip().capitalize() or None, None
    summary, _, rest = doc.partition("\n")
    return summary.strip() or None, rest.strip() or None


def _operation(method: str, path: str, meta: Any, compiled: CompiledHandler, multi: bool) -> Operation:
    doc_summary, doc_description = _docstring_parts(compiled)
    operation_id = getattr(meta, "operation_id", None) or compiled.where.replace(".", "_")
    if multi:
        operation_id = f"{operation_id}_{method.lower()}"
    return Operation(
        method=method.lower(),
        path=openapi_path(path),
        compiled=compiled,
        operation_id=operation_id,
        tags=tuple(getattr(meta, "tags", ()) or ()),
        summary=getattr(meta, "summary", None) or doc_summary,
        description=getattr(meta, "description", None) or doc_description,
        deprecated=bool(getattr(meta, "deprecated", False)),
        responses=dict(getattr(meta, "responses", None) or {}),
    )


def iter_operations(routes: Sequence[BaseRoute]) -> Iterator[Operation]:
    """Every documented controller operation under `routes`, mounts included, in route order."""
    seen: set[str] = set()
    for path, route in _walk(routes, ""):
        meta = getattr(route.endpoint, ROUTE_ATTRIBUTE, None)
        compiled = getattr(meta, "compiled", None)
        if not isinstance(compiled, CompiledHandler) or not getattr(meta, "include_in_schema", True):
            continue
        methods = _methods(route)
        for method in methods:
            operation = _operation(method, path, meta, compiled, len(methods) > 1)
            unique, counter = operation.operation_id, 2
            while unique in seen:  # the same handler mounted twice still needs distinct ids
                unique, counter = f"{operation.operation_id}_{counter}", counter + 1
            seen.add(unique)
            yield operation if unique == operation.operation_id else replace(operation, operation_id=unique)
