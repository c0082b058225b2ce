"""Describe endpoints with YAML in their docstrings and serve the collected OpenAPI schema."""

from __future__ import annotations

import yaml

from framework.applications import Application
from framework.requests import Request
from framework.responses import JSONResponse, Response
from framework.routing import Route
from framework.schemas import SchemaGenerator
from framework.testclient import TestClient

schemas = SchemaGenerator({"openapi": "3.0.0", "info": {"title": "Users API", "version": "1.0"}})


async def list_users(request: Request) -> JSONResponse:
    """
    List every user. Prose before the "---" line stays out of the schema.
    ---
    responses:
      200:
        description: A list of users.
    """
    return JSONResponse([{"id": 1, "name": "Ada"}])


async def get_user(request: Request) -> JSONResponse:
    """
    responses:
      200:
        description: One user.
      404:
        description: No such user.
    """
    return JSONResponse({"id": request.path_params["user_id"], "name": "Ada"})


async def openapi_schema(request: Request) -> Response:
    return schemas.OpenAPIResponse(request=request)


app = Application(
    routes=[
        Route("/users", list_users),
        Route("/users/{user_id:int}", get_user),
        Route("/schema", openapi_schema, include_in_schema=False),
    ]
)

with TestClient(app) as client:
    response = client.get("/schema")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.oai.openapi"
    schema = yaml.safe_load(response.text)
    # Path convertors are dropped (`{user_id:int}` becomes `{user_id}`) and HEAD is left out.
    assert schema == {
        "openapi": "3.0.0",
        "info": {"title": "Users API", "version": "1.0"},
        "paths": {
            "/users": {"get": {"responses": {200: {"description": "A list of users."}}}},
            "/users/{user_id}": {
                "get": {"responses": {200: {"description": "One user."}, 404: {"description": "No such user."}}}
            },
        },
    }
