"""Request limits for GraphQL: checked on the parsed document before validation or any resolver runs.

graphql-core validates and executes whatever it is given: a 10,000-alias query, a fragment cycle or a deeply
nested selection costs CPU in validation alone, before a resolver could refuse anything. So the document is
parsed once (with a token cap), walked once without recursion (fragment spreads followed, cycles detected)
and rejected with a 4xx when it exceeds a limit; the parsed document is then handed to Strawberry.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    parse,
)

from framework.graphql.errors import GraphQLRequestError

__all__ = ["GraphQLLimits", "ParsedOperation", "check_query"]

_INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})


@dataclass(frozen=True, slots=True)
class GraphQLLimits:
    """Upper bounds on one GraphQL request; `None` switches a limit off.

    `max_query_bytes` bounds the query text (UTF-8), `max_tokens` the lexical tokens the parser reads,
    `max_depth` the nesting of fields (through fragments), `max_aliases` the aliased fields of the expanded
    document (a fragment spread twice counts twice), `max_operations_per_batch` the operations of one
    batched HTTP request (batching itself is switched on in Strawberry's `StrawberryConfig(batching_config=...)`).
    """

    max_query_bytes: int | None = 64 * 1024
    max_tokens: int | None = 10_000
    max_depth: int | None = 15
    max_aliases: int | None = 30
    max_operations_per_batch: int | None = 10


@dataclass(frozen=True, slots=True)
class ParsedOperation:
    """A document that passed the limits, and the type of the operation it selects (None when ambiguous)."""

    document: DocumentNode
    operation_type: OperationType | None


@dataclass(slots=True)
class _Walked:
    """What one selection tree holds, spreads not followed: its own depth, aliases and spreads (at a depth)."""

    depth: int
    aliases: int
    spreads: list[tuple[str, int]]
    introspection: bool


def check_query(
    query: str,
    limits: GraphQLLimits,
    *,
    operation_name: str | None = None,
    introspection: bool = False,
) -> ParsedOperation:
    """Parse `query` once and enforce `limits`; `GraphQLRequestError` (a 4xx) for anything over them."""
    _check_size(query, limits.max_query_bytes)
    try:
        document = parse(query, max_lexical_tokens=limits.max_tokens, max_comments=limits.max_tokens)
    except GraphQLError as error:
        raise GraphQLRequestError(400, error.message, code="GRAPHQL_PARSE_FAILED") from None
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    walked = {name: _walk(fragment.selection_set) for name, fragment in fragments.items()}
    depths, aliases = _expand_fragments(walked)
    asks_introspection = any(w.introspection for w in walked.values())
    for operation in operations:
        own = _walk(operation.selection_set)
        depth = max([own.depth, *(at + depths.get(name, 0) for name, at in own.spreads)])
        if limits.max_depth is not None and depth > limits.max_depth:
            raise GraphQLRequestError(
                400,
                f"The GraphQL query is nested too deeply: depth {depth}, the limit is {limits.max_depth}.",
                code="QUERY_TOO_DEEP",
            )
        total = own.aliases + sum(aliases.get(name, 0) for name, _ in own.spreads)
        if limits.max_aliases is not None and total > limits.max_aliases:
            raise GraphQLRequestError(
                400,
                f"The GraphQL query has too many aliases: {total}, the limit is {limits.max_aliases}.",
                code="TOO_MANY_ALIASES",
            )
        asks_introspection = asks_introspection or own.introspection
    if asks_introspection and not introspection:
        raise GraphQLRequestError(400, "GraphQL introspection is disabled.", code="INTROSPECTION_DISABLED")
    return ParsedOperation(document, _selected_type(operations, operation_name))


def _check_size(query: str, max_bytes: int | None) -> None:
    if max_bytes is None:
        return
    # A character is at least one UTF-8 byte: only encode when the length alone does not decide.
    size = len(query) if len(query) > max_bytes else len(query.encode())
    if size > max_bytes:
        raise GraphQLRequestError(
            413,
            f"The GraphQL query is too large: more than {max_bytes} bytes.",
            code="QUERY_TOO_LARGE",
        )


def _walk(selection_set: SelectionSetNode) -> _Walked:
    """Walk one selection tree iteratively; fragment spreads are recorded with the field depth they sit at."""
    result = _Walked(depth=0, aliases=0, spreads=[], introspection=False)
    stack: list[tuple[SelectionSetNode, int]] = [(selection_set, 0)]
    while stack:
        node, depth = stack.pop()
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                result.depth = max(result.depth, depth + 1)
                if selection.alias is not None:
                    result.aliases += 1
                if selection.name.value in _INTROSPECTION_FIELDS:
                    result.introspection = True
                if selection.selection_set is not None:
                    stack.append((selection.selection_set, depth + 1))
            elif isinstance(selection, InlineFragmentNode):
                stack.append((selection.selection_set, depth))
            elif isinstance(selection, FragmentSpreadNode):
                result.spreads.append((selection.name.value, depth))
    return result


def _expand_fragments(walked: dict[str, _Walked]) -> tuple[dict[str, int], dict[str, int]]:
    """Each fragment's depth and alias count with its spreads expanded; a cycle is a 400.

    Iterative depth-first search in post-order: a fragment is finished once every fragment it spreads is,
    and meeting a fragment that is still open means the spreads loop.
    """
    depths: dict[str, int] = {}
    aliases: dict[str, int] = {}
    open_: set[str] = set()
    for root in walked:
        if root in depths:
            continue
        stack: list[tuple[str, bool]] = [(root, False)]
        while stack:
            name, children_done = stack.pop()
            own = walked[name]
            if children_done:
                open_.discard(name)
                depths[name] = max([own.depth, *(at + depths.get(s, 0) for s, at in own.spreads)])
                aliases[name] = own.aliases + sum(aliases.get(s, 0) for s, _ in own.spreads)
                continue
            if name in depths:
                continue
            open_.add(name)
            stack.append((name, True))
            for spread, _ in own.spreads:
                if spread in open_:
                    raise GraphQLRequestError(
                        400, f"Fragment '{spread}' spreads itself (a fragment cycle).", code="FRAGMENT_CYCLE"
                    )
                if spread in walked and spread not in depths:
                    stack.append((spread, False))
    return depths, aliases


def _selected_type(operations: list[OperationDefinitionNode], operation_name: str | None) -> OperationType | None:
    if operation_name is None:
        return operations[0].operation if len(operations) == 1 else None
    for operation in operations:
        if operation.name is not None and operation.name.value == operation_name:
            return operation.operation
    return None
