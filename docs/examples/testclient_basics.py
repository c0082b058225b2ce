"""Test an app in-process: plain requests, the lifespan, server errors and a WebSocket."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest

from framework.applications import Application
from framework.requests import Request
from framework.responses import JSONResponse, PlainTextResponse
from framework.routing import Route, WebSocketRoute
from framework.testclient import TestClient
from framework.websockets import WebSocket


@contextlib.asynccontextmanager
async def lifespan(app: Application) -> AsyncIterator[dict[str, str]]:
    yield {"greeting": "Hello"}  # becomes request.state for every request


async def hello(request: Request) -> JSONResponse:
    return JSONResponse({"message": f"{request.state.greeting}, {request.query_params.get('name', 'world')}!"})


async def broken(request: Request) -> PlainTextResponse:
    raise ValueError("database unreachable")


async def echo(websocket: WebSocket) -> None:
    await websocket.accept()
    text = await websocket.receive_text()
    await websocket.send_text(text.upper())
    await websocket.close(code=1000)


app = Application(
    routes=[Route("/", hello), Route("/broken", broken), WebSocketRoute("/ws", echo)],
    lifespan=lifespan,
)

# `with` runs startup before the block and shutdown after it.
with TestClient(app) as client:
    response = client.get("/", params={"name": "docs"})
    assert response.status_code == 200
    assert response.json() == {"message": "Hello, docs!"}
    assert response.request.headers["user-agent"] == "testclient"

    with client.websocket_connect("/ws") as websocket:
        websocket.send_text("shout")
        assert websocket.receive_text() == "SHOUT"

# By default an exception in the app is raised in the test...
with pytest.raises(ValueError, match="database unreachable"):
    TestClient(app).get("/broken")

# ...or, if you want to see what a client would get, turned into a 500 response.
with TestClient(app, raise_server_exceptions=False) as client:
    assert client.get("/broken").status_code == 500
