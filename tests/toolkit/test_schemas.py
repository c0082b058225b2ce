from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml

from framework.applications import Application
from framework.endpoints import HTTPEndpoint
from framework.requests import Request
from framework.responses import JSONResponse, Response
from framework.routing import Host, Mount, Route, Router, WebSocketRoute
from framework.schemas import BaseSchemaGenerator, EndpointInfo, OpenAPIResponse, SchemaGenerator
from framework.testclient import TestClient
from framework.websockets import WebSocket

ClientFactory = Callable[..., TestClient]

schemas = SchemaGenerator({"openapi": "3.0.0", "info": {"title": "Example API", "version": "1.0"}})


def list_users(request: Request) -> Response:
    """
    responses:
      200:
        description: A list of users.
    """
    return JSONResponse([])


def create_user(request: Request) -> Response:
    """
    Create a user. This prose is not part of the schema.
    ---
    responses:
      201:
        description: The user was created.
    """
    return JSONResponse({}, status_code=201)


def get_user(request: Request) -> Response:
    """
    responses:
      200:
        description: One user.
    """
    return JSONResponse({})


def undocumented(request: Request) -> Response:
    """Just prose, which YAML reads as a string, so it stays out of the schema."""
    return JSONResponse({})


def no_docstring(request: Request) -> Response:
    return JSONResponse({})


def hidden(request: Request) -> Response:
    """
    responses:
      200:
        description: Hidden.
    """
    return JSONResponse({})


class OrganisationsEndpoint(HTTPEndpoint):
    def get(self, request: Request) -> Response:
        """
        responses:
          200:
            description: A list of organisations.
        """
        return JSONResponse([])

    def post(self, request: Request) -> Response:
        """
        responses:
          200:
            description: An organisation.
        """
        return JSONResponse({})


def list_records(request: Request) -> Response:
    """
    responses:
      200:
        description: Records of a subapp.
    """
    return JSONResponse([])


async def chat(websocket: WebSocket) -> None:
    """
    responses:
      200:
        description: Websockets are not in the schema.
    """


def openapi_schema(request: Request) -> Response:
    return schemas.OpenAPIResponse(request=request)


subapp = Application(routes=[Route("/{record_id:int}", list_records)])

ROUTES = [
    WebSocketRoute("/ws", chat),
    Route("/users", list_users, methods=["GET", "HEAD"]),
    Route("/users", create_user, methods=["POST"]),
    Route("/users/{user_id:int}", get_user),
    Route("/orgs", OrganisationsEndpoint),
    Route("/undocumented", undocumented),
    Route("/no-docstring", no_docstring),
    Route("/hidden", hidden, include_in_schema=False),
    Mount("/sub/{tenant:str}", app=subapp),
    Mount("/mounted", routes=[Route("/items/{item_id}", list_records, methods=["PUT"])]),
    Host("api.example.org", app=Router(routes=[Route("/host-route", list_users)])),
    Route("/schema", openapi_schema, include_in_schema=False),
]


def test_get_endpoints_walks_routes_mounts_and_hosts() -> None:
    endpoints = BaseSchemaGenerator().get_endpoints(ROUTES)
    found = sorted((e.path, e.http_method, e.func.__name__) for e in endpoints)
    assert found == [
        ("/host-route", "get", "list_users"),
        ("/mounted/items/{item_id}", "put", "list_records"),
        ("/no-docstring", "get", "no_docstring"),
        ("/orgs", "get", "get"),
        ("/orgs", "post", "post"),
        ("/sub/{tenant}/{record_id}", "get", "list_records"),
        ("/undocumented", "get", "undocumented"),
        ("/users", "get", "list_users"),
        ("/users", "post", "create_user"),
        ("/users/{user_id}", "get", "get_user"),
    ]
    assert all(isinstance(e, EndpointInfo) for e in endpoints)


def test_schema_has_one_entry_per_documented_endpoint() -> None:
    schema = schemas.get_schema(routes=ROUTES)
    assert schema == {
        "openapi": "3.0.0",
        "info": {"title": "Example API", "version": "1.0"},
        "paths": {
            "/users": {
                "get": {"responses": {200: {"description": "A list of users."}}},
                "post": {"responses": {201: {"description": "The user was created."}}},
            },
            "/users/{user_id}": {"get": {"responses": {200: {"description": "One user."}}}},
            "/orgs": {
                "get": {"responses": {200: {"description": "A list of organisations."}}},
                "post": {"responses": {200: {"description": "An organisation."}}},
            },
            "/sub/{tenant}/{record_id}": {"get": {"responses": {200: {"description": "Records of a subapp."}}}},
            "/mounted/items/{item_id}": {"put": {"responses": {200: {"description": "Records of a subapp."}}}},
            "/host-route": {"get": {"responses": {200: {"description": "A list of users."}}}},
        },
    }


def test_get_schema_does_not_mutate_the_base_schema() -> None:
    base: dict[str, Any] = {"openapi": "3.0.0", "paths": {"/manual": {"get": {"summary": "kept"}}}}
    generator = SchemaGenerator(base)
    schema = generator.get_schema([Route("/manual", create_user, methods=["POST"])])
    assert schema["paths"]["/manual"] == {
        "get": {"summary": "kept"},
        "post": {"responses": {201: {"description": "The user was created."}}},
    }
    assert base == {"openapi": "3.0.0", "paths": {"/manual": {"get": {"summary": "kept"}}}}


def test_parse_docstring() -> None:
    generator = BaseSchemaGenerator()
    assert generator.parse_docstring(no_docstring) == {}
    assert generator.parse_docstring(undocumented) == {}
    assert generator.parse_docstring(create_user) == {"responses": {201: {"description": "The user was created."}}}


def test_schema_endpoint_serves_yaml(test_client_factory: ClientFactory) -> None:
    client = test_client_factory(Application(routes=ROUTES))
    response = client.get("/schema")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.oai.openapi"
    assert yaml.safe_load(response.text) == schemas.get_schema(routes=ROUTES)
    assert response.text.startswith("info:\n")


def test_openapi_response_requires_a_dict() -> None:
    assert OpenAPIResponse({"a": [1, 2]}).body == b"a:\n- 1\n- 2\n"
    with pytest.raises(AssertionError, match=r"The schema passed to OpenAPIResponse should be a dictionary\."):
        OpenAPIResponse(["not", "a", "dict"])


def test_base_generator_get_schema_is_abstract() -> None:
    with pytest.raises(NotImplementedError):
        BaseSchemaGenerator().get_schema([])


def search_users(request: Request) -> Response:
    """
    responses:
      200:
        description: Users found by a QUERY body.
    """
    return JSONResponse([])


class SearchableOrgs(HTTPEndpoint):
    async def query(self, request: Request) -> Response:
        """
        responses:
          200:
            description: Organisations found by a QUERY body.
        """
        return JSONResponse([])


_QUERY_ROUTES: list[Any] = [
    Route("/users", search_users, methods=["QUERY"]),
    Route("/users", list_users, methods=["GET"]),
    Route("/orgs", SearchableOrgs),
]


@pytest.mark.parametrize("version", ["3.2.0", "3.2", "3.10.1", "4.0.0"])
def test_query_operations_are_documented_from_openapi_3_2(version: str) -> None:
    schema = SchemaGenerator({"openapi": version}).get_schema(_QUERY_ROUTES)
    assert schema["paths"]["/users"]["query"] == {"responses": {200: {"description": "Users found by a QUERY body."}}}
    assert set(schema["paths"]["/users"]) == {"get", "query"}
    assert schema["paths"]["/orgs"] == {
        "query": {"responses": {200: {"description": "Organisations found by a QUERY body."}}}
    }


@pytest.mark.parametrize("version", ["3.1.2", "3.0.0", "2.0", "", "latest"])
def test_query_operations_are_left_out_before_openapi_3_2(version: str) -> None:
    schema = SchemaGenerator({"openapi": version}).get_schema(_QUERY_ROUTES)
    assert set(schema["paths"]["/users"]) == {"get"}
    assert "/orgs" not in schema["paths"]
