"""GraphQL with Strawberry on the framework's request scope: `GraphQLRoute("/graphql", schema)`.

Resolvers get services from the container through `info.context` inside the request scope, so they share
the request's session and transaction with everything else; limits are checked before any resolver runs.
Needs the optional extra: `pip install 'framework[graphql]'`.
"""

from __future__ import annotations

try:
    import strawberry as _strawberry
except ImportError as _error:  # pragma: no cover - exercised by a subprocess test without strawberry
    raise ImportError(
        "framework.graphql needs Strawberry, which is not installed. Fix: pip install 'framework[graphql]'"
    ) from _error

from framework.graphql.context import GraphQLContext, scoped_loader
from framework.graphql.errors import GraphQLRequestError
from framework.graphql.limits import GraphQLLimits
from framework.graphql.route import GraphQLRoute
from framework.graphql.view import GraphQLView

del _strawberry

__all__ = [
    "GraphQLContext",
    "GraphQLLimits",
    "GraphQLRequestError",
    "GraphQLRoute",
    "GraphQLView",
    "scoped_loader",
]
