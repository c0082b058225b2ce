"""The OpenAPI 3.1 document built from controllers, and the `/openapi.json` and `/docs` routes."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

import pytest
from dependency_injector import containers
from pydantic import BaseModel, Field

from framework.applications import Application
from framework.binding import Cookie, Form, Header, Query
from framework.bootstrap import create_app
from framework.controllers import controller, delete, get, post, put, websocket
from framework.datastructures import UploadFile
from framework.openapi import DocsAssets, build_openapi, docs_html, openapi_path, openapi_routes
from framework.problems import NotFound
from framework.requests import Request
from framework.responses import HTMLResponse, PlainTextResponse, Response
from framework.routing import Mount, Route
from framework.testclient import TestClient
from framework.websockets import WebSocket

ClientFactory = Callable[..., TestClient]


class UserIn(BaseModel):
    name: str = Field(min_length=1, description="Display name")


class UserOut(BaseModel):
    id: int
    name: str


class Address(BaseModel):
    city: str


class ErrorBody(BaseModel):
    reason: str


class Container(containers.DeclarativeContainer):
    pass


@controller("/users", tags=["users"])
class UserController:
    @get(
        "/{user_id:int}", responses={404: NotFound, 410: ErrorBody, 418: "I am a teapot", 503: {"description": "Down"}}
    )
    async def get_user(
        self,
        user_id: int,
        verbose: Query[bool] = False,
        page_size: Annotated[int, Query(alias="page-size", description="Items per page")] = 20,
        x_trace: Header[str | None] = None,
        session: Cookie[str | None] = None,
    ) -> UserOut:
        """Fetch one user.

        Returns 404 when the user does not exist.
        """
        return UserOut(id=user_id, name="ann")

    @post("/", status_code=201, summary="Create a user", description="Names must be unique.")
    async def create_user(self, user: UserIn) -> UserOut:
        return UserOut(id=1, name=user.name)

    @put("/{user_id:int}/address", tags=["addresses"])
    async def replace_address(self, user_id: int, address: Address) -> Address:
        return address

    @delete("/{user_id:int}")
    async def remove_user(self, user_id: int) -> None:
        return None

    @get("/search")
    async def search_users(self, tags: list[str] = []) -> list[UserOut]:  # noqa: B006
        return []

    @get("/hidden", include_in_schema=False)
    async def hidden_route(self) -> dict[str, str]:
        return {}

    @get("/page", response_class=HTMLResponse)
    async def user_page(self) -> str:
        return "<p>users</p>"

    @get("/raw")
    async def raw_response(self) -> Response:
        return PlainTextResponse("raw")

    @post("/login")
    async def login(self, username: Form[str], password: Form[str]) -> dict[str, str]:
        return {}

    @post("/avatar")
    async def upload_avatar(self, avatar: UploadFile, files: list[UploadFile]) -> dict[str, str]:
        return {}

    @websocket("/live")
    async def live_updates(self, websocket: WebSocket) -> None:
        await websocket.close()


async def plain_endpoint(request: Request) -> Response:
    return PlainTextResponse("toolkit")


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    app = create_app(Container(), controllers=[UserController], routes=[Route("/plain", plain_endpoint)])
    with TestClient(app) as client:
        response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    result: dict[str, Any] = response.json()
    return result


def test_document_header(document: dict[str, Any]) -> None:
    assert document["openapi"] == "3.1.0"
    assert document["info"] == {"title": "framework", "version": "0.1.0"}
    assert document["tags"] == [{"name": "users"}, {"name": "addresses"}]


def test_paths_strip_convertors_and_skip_non_controller_routes(document: dict[str, Any]) -> None:
    assert sorted(document["paths"]) == [
        "/users",
        "/users/avatar",
        "/users/login",
        "/users/page",
        "/users/raw",
        "/users/search",
        "/users/{user_id}",
        "/users/{user_id}/address",
    ]
    assert sorted(document["paths"]["/users/{user_id}"]) == ["delete", "get"]
    assert openapi_path("/a/{id:int}/{rest:path}/{plain}") == "/a/{id}/{rest}/{plain}"


def test_operation_metadata(document: dict[str, Any]) -> None:
    get_user = document["paths"]["/users/{user_id}"]["get"]
    assert get_user["operationId"] == "UserController_get_user"
    assert get_user["tags"] == ["users"]
    assert get_user["summary"] == "Fetch one user."
    assert get_user["description"] == "Returns 404 when the user does not exist."
    create = document["paths"]["/users"]["post"]
    assert (create["summary"], create["description"]) == ("Create a user", "Names must be unique.")
    assert document["paths"]["/users/{user_id}/address"]["put"]["tags"] == ["users", "addresses"]
    assert document["paths"]["/users/search"]["get"]["summary"] == "Search users"


def test_parameters(document: dict[str, Any]) -> None:
    parameters = document["paths"]["/users/{user_id}"]["get"]["parameters"]
    assert parameters == [
        {"name": "user_id", "in": "path", "required": True, "schema": {"type": "integer"}},
        {"name": "verbose", "in": "query", "required": False, "schema": {"type": "boolean", "default": False}},
        {
            "name": "page-size",
            "in": "query",
            "required": False,
            "schema": {"type": "integer", "default": 20},
            "description": "Items per page",
        },
        {
            "name": "x-trace",
            "in": "header",
            "required": False,
            "schema": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        },
        {
            "name": "session",
            "in": "cookie",
            "required": False,
            "schema": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        },
    ]
    search = document["paths"]["/users/search"]["get"]["parameters"][0]
    assert search["schema"] == {"type": "array", "items": {"type": "string"}, "default": []}


def test_request_bodies(document: dict[str, Any]) -> None:
    create = document["paths"]["/users"]["post"]
    assert create["requestBody"] == {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/UserIn"}}},
    }
    login = document["paths"]["/users/login"]["post"]["requestBody"]
    form_schema = login["content"]["application/x-www-form-urlencoded"]["schema"]
    assert form_schema["required"] == ["username", "password"]
    assert form_schema["properties"]["username"] == {"type": "string"}
    upload = document["paths"]["/users/avatar"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert upload["properties"]["avatar"]["format"] == "binary"
    assert upload["properties"]["files"]["type"] == "array"


def test_responses(document: dict[str, Any]) -> None:
    create = document["paths"]["/users"]["post"]["responses"]
    assert sorted(create) == ["201", "400", "415", "422"]
    assert create["201"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/UserOut"}
    assert create["422"]["content"]["application/problem+json"]["schema"] == {
        "$ref": "#/components/schemas/ValidationProblem"
    }
    removed = document["paths"]["/users/{user_id}"]["delete"]["responses"]
    assert removed["204"] == {"description": "No Content"}
    search = document["paths"]["/users/search"]["get"]["responses"]["200"]["content"]["application/json"]
    assert search["schema"] == {"type": "array", "items": {"$ref": "#/components/schemas/UserOut"}}
    page = document["paths"]["/users/page"]["get"]["responses"]
    assert page["200"]["content"] == {"text/html": {"schema": {"type": "string"}}}
    assert "422" not in page
    assert "content" not in document["paths"]["/users/raw"]["get"]["responses"]["200"]


def test_declared_responses(document: dict[str, Any]) -> None:
    responses = document["paths"]["/users/{user_id}"]["get"]["responses"]
    assert responses["404"]["content"]["application/problem+json"]["schema"] == {
        "$ref": "#/components/schemas/ProblemDetails"
    }
    assert responses["410"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorBody"}
    assert responses["418"] == {"description": "I am a teapot"}
    assert responses["503"] == {"description": "Down"}


def test_components(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert {"UserIn", "UserOut", "Address", "ErrorBody", "ProblemDetails", "ValidationProblem"} <= set(schemas)
    assert schemas["UserIn"]["properties"]["name"]["description"] == "Display name"
    assert schemas["UserIn"]["properties"]["name"]["minLength"] == 1
    # Every $ref points at a component that exists.
    text = json.dumps(document)
    for ref in {part.split('"')[0] for part in text.split('"$ref": "#/components/schemas/')[1:]}:
        assert ref in schemas


def test_hidden_and_websocket_routes_are_left_out(document: dict[str, Any]) -> None:
    assert "/users/hidden" not in document["paths"]
    assert "/users/live" not in document["paths"]


def test_document_is_built_once_and_sees_later_routes(test_client_factory: ClientFactory) -> None:
    app = create_app(Container(), controllers=[], openapi=False)
    routes = list(app.routes)
    extra = create_app(Container(), controllers=[UserController], openapi=False).routes
    served = openapi_routes(routes, title="Late", version="2")
    routes.extend(extra)  # added after openapi_routes(): still documented, since the build is lazy
    with test_client_factory(Application(routes=served)) as client:
        first = client.get("/openapi.json")
        routes.clear()
        second = client.get("/openapi.json")
    assert first.json()["info"] == {"title": "Late", "version": "2"}
    assert "/users" in first.json()["paths"]
    assert second.content == first.content


def test_mounted_controller_routes_get_the_prefix() -> None:
    controller_routes = create_app(Container(), controllers=[UserController], openapi=False).routes
    document = build_openapi([Mount("/api", routes=controller_routes)], title="t", version="1")
    assert "/api/users/{user_id}" in document["paths"]


def test_docs_page(test_client_factory: ClientFactory) -> None:
    assets = DocsAssets(js_url="/static/swagger.js", css_url="/static/swagger.css", favicon_url="/static/icon.png")
    routes = openapi_routes([], title="Shop <API>", version="1", docs_assets=assets, openapi_url="/spec.json")
    with test_client_factory(Application(routes=routes), root_path="/prefix") as client:
        response = client.get("/docs")
        spec = client.get("/spec.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = response.text
    assert "<title>Shop &lt;API&gt;</title>" in page
    assert 'src="/static/swagger.js"' in page
    assert 'href="/static/swagger.css"' in page
    assert 'href="/static/icon.png"' in page
    assert 'url: "/prefix/spec.json"' in page
    assert spec.json()["paths"] == {}


def test_docs_page_escapes_urls() -> None:
    page = docs_html(title="t", openapi_url="/x</script><script>alert(1)", assets=DocsAssets(js_url='a"b'))
    assert "</script><script>alert" not in page
    assert 'src="a&quot;b"' in page
    assert "cdn.jsdelivr.net" in docs_html(title="t", openapi_url="/o", assets=DocsAssets())


def test_routes_can_be_switched_off() -> None:
    assert openapi_routes([], title="t", version="1", openapi_url=None) == []
    only_document = openapi_routes([], title="t", version="1", docs_url=None)
    assert [getattr(route, "path", None) for route in only_document] == ["/openapi.json"]


def test_create_app_without_openapi(test_client_factory: ClientFactory) -> None:
    app = create_app(Container(), controllers=[UserController], openapi=False)
    with test_client_factory(app) as client:
        assert client.get("/openapi.json").status_code == 404
