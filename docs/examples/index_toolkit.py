"""The toolkit on its own: a Starlette program with `starlette` -> `framework`, `Starlette` -> `Application`."""

from __future__ import annotations

from framework.applications import Application
from framework.requests import Request
from framework.responses import JSONResponse
from framework.routing import Route
from framework.testclient import TestClient


async def homepage(request: Request) -> JSONResponse:
    return JSONResponse({"hello": "world"})


async def greet(request: Request) -> JSONResponse:
    return JSONResponse({"hello": request.path_params["name"]})


app = Application(routes=[Route("/", homepage), Route("/hello/{name}", greet)])

client = TestClient(app)
assert client.get("/").json() == {"hello": "world"}
assert client.get("/hello/ada").json() == {"hello": "ada"}
assert client.get("/missing").status_code == 404
