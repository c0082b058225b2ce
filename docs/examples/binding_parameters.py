"""Handler arguments bound from the path, query string, headers, cookies and JSON body."""

from __future__ import annotations

from typing import Annotated

from dependency_injector import containers
from pydantic import BaseModel, ConfigDict, Field

from framework.binding import Cookie, Header, Query
from framework.bootstrap import create_app
from framework.controllers import controller, get, post
from framework.testclient import TestClient


class ItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # unknown fields are a 422, not silently dropped

    name: str = Field(min_length=1)
    price: float = Field(gt=0)


class ItemOut(BaseModel):
    id: int
    name: str
    price: float


@controller("/items", tags=["items"])
class ItemController:
    @get("/{item_id:int}")
    async def get_item(
        self,
        item_id: int,  # path parameter: matched by name
        verbose: bool = False,  # plain scalar: a query parameter
        page_size: Annotated[int, Query(alias="page-size"), Field(ge=1)] = 20,  # marker + constraints
        tags: list[str] = [],  # noqa: B006 - list[T] reads repeated keys: ?tags=a&tags=b
        x_request_id: Header[str | None] = None,  # header "x-request-id", any letter case
        theme: Cookie[str] = "light",
    ) -> dict[str, object]:
        return {
            "item_id": item_id,
            "verbose": verbose,
            "page_size": page_size,
            "tags": tags,
            "request_id": x_request_id,
            "theme": theme,
        }

    @post("/", status_code=201)
    async def create_item(self, item: ItemIn) -> ItemOut:  # a pydantic model: the JSON body
        return ItemOut(id=1, **item.model_dump())


class Container(containers.DeclarativeContainer):
    pass


app = create_app(Container(), controllers=[ItemController])

with TestClient(app) as client:
    response = client.get("/items/7?verbose=yes&page-size=5&tags=a&tags=b", headers={"X-Request-ID": "r1"})
    assert response.json() == {
        "item_id": 7,
        "verbose": True,
        "page_size": 5,
        "tags": ["a", "b"],
        "request_id": "r1",
        "theme": "light",
    }

    created = client.post("/items", json={"name": "lamp", "price": "9.5"})
    assert created.status_code == 201
    assert created.json() == {"id": 1, "name": "lamp", "price": 9.5}

    # Every invalid value is reported at once, with where it came from.
    invalid = client.get("/items/7?page-size=0&verbose=maybe")
    assert invalid.status_code == 422
    assert invalid.headers["content-type"] == "application/problem+json"
    assert [error["loc"] for error in invalid.json()["errors"]] == [["query", "verbose"], ["query", "page-size"]]

    assert client.post("/items", json={"name": "lamp", "price": 1, "admin": True}).status_code == 422
    malformed = client.post("/items", content=b'{"name": "lamp"', headers={"content-type": "application/json"})
    assert malformed.status_code == 400
    wrong_type = client.post("/items", content=b"name=lamp", headers={"content-type": "text/plain"})
    assert wrong_type.status_code == 415
