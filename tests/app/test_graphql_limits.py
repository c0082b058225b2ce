"""Hostile GraphQL documents are refused with a 4xx GraphQL error before validation or any resolver runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import strawberry
from dependency_injector import containers, providers
from strawberry.schema.config import StrawberryConfig
from strawberry.types import Info

from framework.applications import Application
from framework.bootstrap import create_app
from framework.graphql import GraphQLContext, GraphQLLimits, GraphQLRoute
from framework.testclient import TestClient


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, Any]]:
    return ("asyncio", {})  # Strawberry runs on asyncio only


class Calls:
    def __init__(self) -> None:
        self.resolved = 0


class Container(containers.DeclarativeContainer):
    calls = providers.Singleton(Calls)


@strawberry.type
class Node:
    value: int

    @strawberry.field
    def child(self, info: Info[GraphQLContext, None]) -> Node:
        info.context.get(Calls).resolved += 1
        return Node(value=self.value + 1)


@strawberry.type
class Query:
    @strawberry.field
    def node(self, info: Info[GraphQLContext, None]) -> Node:
        info.context.get(Calls).resolved += 1
        return Node(value=0)

    @strawberry.field
    def hello(self, info: Info[GraphQLContext, None]) -> str:
        info.context.get(Calls).resolved += 1
        return "hi"


schema = strawberry.Schema(query=Query, config=StrawberryConfig(batching_config={"max_operations": 5000}))


def build(container: Container, limits: GraphQLLimits | None = None) -> Application:
    return create_app(container, routes=[GraphQLRoute("/graphql", schema, limits=limits)])


def nested(depth: int) -> str:
    """A query `depth` fields deep: node, depth - 2 children, value."""
    return "{ node " + "{ child " * (depth - 2) + "{ value }" + " }" * (depth - 2) + " }"


def assert_refused(response: Any, status: int, code: str, container: Container) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"errors"}
    assert body["errors"][0]["extensions"]["code"] == code
    assert body["errors"][0]["message"]
    assert container.calls().resolved == 0, "a resolver ran for a refused document"


def test_depth_1000_is_refused(test_client_factory: Callable[..., TestClient]) -> None:
    container = Container()
    client = test_client_factory(build(container))
    response = client.post("/graphql", json={"query": nested(1000)})
    # graphql-core's parser itself stops at its nesting limit, so this one fails as a parse error.
    assert_refused(response, 400, "GRAPHQL_PARSE_FAILED", container)
    assert "nested too deeply" in response.json()["errors"][0]["message"]


def test_depth_over_the_limit_is_refused_and_at_the_limit_runs(test_client_factory: Callable[..., TestClient]) -> None:
    container = Container()
    client = test_client_factory(build(container))
    response = client.post("/graphql", json={"query": nested(16)})
    assert_refused(response, 400, "QUERY_TOO_DEEP", container)
    assert response.json()["errors"][0]["message"] == (
        "The GraphQL query is nested too deeply: depth 16, the limit is 15."
    )
    ok = client.post("/graphql", json={"query": nested(15)})
    assert ok.status_code == 200
    assert "errors" not in ok.json()


def test_depth_counts_through_fragments(test_client_factory: Callable[..., TestClient]) -> None:
    container = Container()
    client = test_client_factory(build(container, GraphQLLimits(max_depth=4)))
    query = (
        "{ node { ...A } } "
        "fragment A on Node { child { ...B } } "
        "fragment B on Node { ... on Node { child { child { value } } } }"
    )
    response = client.post("/graphql", json={"query": query})
    assert_refused(response, 400, "QUERY_TOO_DEEP", container)
    assert "depth 5, the limit is 4" in response.json()["errors"][0]["message"]


def test_ten_thousand_aliases_are_refused(test_client_factory: Callable[..., TestClient]) -> None:
    container = Container()
    query = "{ " + " ".join(f"a{i}: hello" for i in range(10_000)) + " }"
    client = test_client_factory(build(container))
    # 110 KB: the default size cap stops it before parsing...
    assert_refused(client.post("/graphql", json={"query": query}), 413, "QUERY_TOO_LARGE", container)
    # ...without it, the token cap while parsing...
    client = test_client_factory(build(container, GraphQLLimits(max_query_bytes=None)))
    assert_refused(client.post("/graphql", json={"query": query}), 400, "GRAPHQL_PARSE_FAILED", container)
    # ...and without token and size caps, the alias count.
    uncapped = GraphQLLimits(max_tokens=None, max_query_bytes=None)
    client = test_client_factory(build(container, uncapped))
    response = client.post("/graphql", json={"query": query})
    assert_refused(response, 400, "TOO_MANY_ALIASES", container)
    assert response.json()["errors"][0]["message"] == (
        "The GraphQL query has too many aliases: 10000, the limit is 30."
    )


def test_aliases_multiply_through_fragment_spreads(test_client_factory: Callable[..., TestClient]) -> None:
    container = Container()
    client = test_client_factory(build(container))
    aliases = " ".join(f"h{i}: hello" for i in range(8))
    # F has 8 aliases, G spreads F twice, H spreads G twice: 32 aliased fields once expanded.
    query = f"{{ ...H }} fragment F on Query {{ {aliases} }} fragment G on Query {{ ...F ...F }} "
    query += "fragment H on Query { ...G ...G }"
    response = client.post("/graphql", json={"query": query})
    assert_refused(response, 400, "TOO_MANY_ALIASES", container)
    assert "32" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    "query",
    [
        "{ ...A } fragment A on Query { ...A }",
        "{ ...A } fragment A on Query { hello ...B } fragment B on Query { ... on Query { ...C } } "
        "fragment C on Query { ...A }",
        "{ hello } fragment A on Query { ...B } fragment B on Query { ...A }",  # unused, still refused
    ],
    ids=["self", "three", "unused"],
)
def test_fragment_cycles_are_refused(query: str, test_client_factory: Callable[..., TestClient]) -> None:
    container = Container()
    client = test_client_factory(build(container))
    response = client.post("/graphql", json={"query": query})
    assert_refused(response, 400, "FRAGMENT_CYCLE", container)
    assert "fragment cycle" in response.json()["errors"][0]["message"]


def test_batch_of_1000_operations_is_refused(test_client_factory: Callable[..., TestClient]) -> None:
    container = Container()
    client = test_client_factory(build(container))
    response = client.post("/graphql", json=[{"query": "{ hello }"}] * 1000)
    assert_refused(response, 400, "TOO_MANY_OPERATIONS", container)
    assert response.json()["errors"][0]["message"] == "A batch holds 1 to 10 operations; this one has 1000."
    ok = client.post("/graphql", json=[{"query": "{ hello }"}, {"query": "{ a: hello }"}])
    assert ok.status_code == 200
    assert ok.json() == [{"data": {"hello": "hi"}}, {"data": {"a": "hi"}}]


def test_one_bad_operation_refuses_the_whole_batch(test_client_factory: Callable[..., TestClient]) -> None:
    container = Container()
    client = test_client_factory(build(container))
    response = client.post("/graphql", json=[{"query": "{ hello }"}, {"query": nested(40)}])
    assert_refused(response, 400, "QUERY_TOO_DEEP", container)


def test_one_megabyte_query_is_refused(test_client_factory: Callable[..., TestClient]) -> None:
    container = Container()
    client = test_client_factory(build(container))
    query = "{ hello }" + " " * (1024 * 1024)
    response = client.post("/graphql", json={"query": query})
    assert_refused(response, 413, "QUERY_TOO_LARGE", container)
    assert response.json()["errors"][0]["message"] == "The GraphQL query is too large: more than 65536 bytes."
    # Multi-byte characters count in bytes, not characters.
    wide = "{ hello }" + "#" + "é" * 40_000 + "\n"
    assert_refused(client.post("/graphql", json={"query": wide}), 413, "QUERY_TOO_LARGE", container)
    small = test_client_factory(build(container, GraphQLLimits(max_query_bytes=1000)))
    over_get = small.get("/graphql", params={"query": "{ hello }" + " " * 1000})
    assert_refused(over_get, 413, "QUERY_TOO_LARGE", container)


def test_limits_are_configurable_and_can_be_switched_off(test_client_factory: Callable[..., TestClient]) -> None:
    container = Container()
    strict = test_client_factory(build(container, GraphQLLimits(max_depth=2, max_aliases=0)))
    assert_refused(
        strict.post("/graphql", json={"query": "{ node { child { value } } }"}), 400, "QUERY_TOO_DEEP", container
    )
    assert_refused(strict.post("/graphql", json={"query": "{ x: hello }"}), 400, "TOO_MANY_ALIASES", container)
    relaxed = GraphQLLimits(max_depth=None, max_aliases=None, max_tokens=None, max_query_bytes=None)
    client = test_client_factory(build(container, relaxed))
    response = client.post("/graphql", json={"query": nested(40)})
    assert response.status_code == 200
    assert container.calls().resolved == 39  # node and 38 children


def test_token_cap(test_client_factory: Callable[..., TestClient]) -> None:
    container = Container()
    client = test_client_factory(build(container, GraphQLLimits(max_tokens=20)))
    response = client.post("/graphql", json={"query": "{ " + "hello " * 30 + "}"})
    assert_refused(response, 400, "GRAPHQL_PARSE_FAILED", container)
    assert "more than 20 tokens" in response.json()["errors"][0]["message"]
