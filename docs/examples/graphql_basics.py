"""A GraphQL API over services from the container, next to the rest of the app."""

from __future__ import annotations

import strawberry
from dependency_injector import containers, providers
from strawberry.types import Info

from framework.bootstrap import create_app
from framework.di import RequestScoped
from framework.graphql import GraphQLContext, GraphQLRoute
from framework.problems import NotFound
from framework.testclient import TestClient


class BookStore:
    """Shared by every request (a Singleton)."""

    def __init__(self) -> None:
        self.titles = {1: "Dune", 2: "Emma"}


class Basket:
    """One per request: every resolver of a request sees the same basket."""

    def __init__(self, store: BookStore) -> None:
        self.store = store
        self.items: list[str] = []

    def add(self, book_id: int) -> str:
        if book_id not in self.store.titles:
            raise NotFound(f"Book {book_id} does not exist.", code="BOOK_NOT_FOUND")
        self.items.append(self.store.titles[book_id])
        return self.store.titles[book_id]


class Container(containers.DeclarativeContainer):
    store = providers.Singleton(BookStore)
    basket = RequestScoped(Basket, store=store)


@strawberry.type
class Query:
    @strawberry.field
    def title(self, info: Info[GraphQLContext, None], book_id: int) -> str | None:
        return info.context.get(BookStore).titles.get(book_id)


@strawberry.type
class Mutation:
    @strawberry.mutation
    def add_to_basket(self, info: Info[GraphQLContext, None], book_id: int) -> str:
        return info.context.get(Basket).add(book_id)

    @strawberry.mutation
    def basket_size(self, info: Info[GraphQLContext, None]) -> int:
        return len(info.context.get(Basket).items)


schema = strawberry.Schema(query=Query, mutation=Mutation)
app = create_app(Container(), routes=[GraphQLRoute("/graphql", schema)])

client = TestClient(app)

# Queries over POST (or GET); resolvers get services from the container.
response = client.post("/graphql", json={"query": "{ title(bookId: 1) }"})
assert response.status_code == 200
assert response.json() == {"data": {"title": "Dune"}}

# One request, one scope: both mutations use the same Basket.
response = client.post("/graphql", json={"query": "mutation { addToBasket(bookId: 2) basketSize }"})
assert response.json() == {"data": {"addToBasket": "Emma", "basketSize": 1}}

# Domain errors keep their message and code; nothing else leaks.
response = client.post("/graphql", json={"query": "mutation { addToBasket(bookId: 9) }"})
error = response.json()["errors"][0]
assert error["message"] == "Book 9 does not exist."
assert error["extensions"] == {"code": "BOOK_NOT_FOUND"}

# Mutations are refused over GET.
response = client.get("/graphql", params={"query": "mutation { basketSize }"})
assert response.status_code == 405

# Hostile documents are refused before any resolver runs.
deep = "{ title(bookId: 1) " + "a: __typename " * 40 + "}"
response = client.post("/graphql", json={"query": deep})
assert response.status_code == 400
assert response.json()["errors"][0]["extensions"]["code"] == "TOO_MANY_ALIASES"
