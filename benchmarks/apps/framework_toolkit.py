"""framework, toolkit style: the Starlette app ported line for line (plain `Route`s, work done by hand).

Only the imports differ from `starlette_app.py`, so any difference in the numbers is the toolkit's, with one
exception: the `/db` endpoints open their sessions from `framework.db.Database` (the framework's engine
set-up and SQLite driver) instead of a bare `create_async_engine`, as a toolkit-style app using the
framework's database layer without the container would. The handlers still begin and commit by hand.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from benchmarks.apps._common import (
    JSON_PAYLOAD,
    PLAINTEXT,
    BenchDatabase,
    GreetingService,
    Item,
    PassThroughMiddleware,
    RequestInfo,
    Settings,
    di_payload,
    item_payload,
    params_payload,
)
from framework.applications import Application
from framework.db import Database
from framework.middleware import Middleware
from framework.requests import Request
from framework.responses import JSONResponse, PlainTextResponse, Response
from framework.routing import Route, WebSocketRoute
from framework.websockets import WebSocket, WebSocketDisconnect

__all__ = ["app"]

SETTINGS = Settings()
DATABASE = BenchDatabase("framework-toolkit")


async def plaintext(request: Request) -> Response:
    return PlainTextResponse(PLAINTEXT)


async def json_endpoint(request: Request) -> Response:
    return JSONResponse(JSON_PAYLOAD)


async def params(request: Request) -> Response:
    return JSONResponse(params_payload(request.path_params["user_id"], request.path_params["item_id"]))


async def echo(request: Request) -> Response:
    return JSONResponse(await request.json())


async def di(request: Request) -> Response:
    service = GreetingService(SETTINGS)
    info = RequestInfo(request.method, request.url.path)
    return JSONResponse(di_payload(service, info))


async def db_read(request: Request) -> Response:
    async with request.state.database.session() as session, session.begin():
        item = await session.get(Item, request.path_params["id"])
        if item is None:
            return PlainTextResponse("Not Found", status_code=404)
        payload = item_payload(item)
    return JSONResponse(payload)


async def db_create(request: Request) -> Response:
    data: Any = await request.json()
    item = Item(name=str(data["name"]), price=float(data["price"]))
    async with request.state.database.session(write=True) as session, session.begin():
        session.add(item)
        await session.flush()
        payload = item_payload(item)
    return JSONResponse(payload, status_code=201)


async def ws(websocket: WebSocket) -> None:
    await websocket.accept()
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            await websocket.receive_bytes()


@contextlib.asynccontextmanager
async def lifespan(app: Application) -> AsyncIterator[dict[str, Any]]:
    DATABASE.create()
    database = Database(DATABASE.url)
    try:
        yield {"database": database}
    finally:
        await database.aclose()
        DATABASE.remove()


_three = [Middleware(PassThroughMiddleware) for _ in range(3)]
app = Application(
    routes=[
        Route("/plaintext", plaintext),
        Route("/json", json_endpoint),
        Route("/users/{user_id:int}/items/{item_id}", params),
        Route("/echo", echo, methods=["POST"]),
        Route("/di", di),
        Route("/mw/json", json_endpoint, middleware=_three),
        Route("/db/{id:int}", db_read),
        Route("/db", db_create, methods=["POST"]),
        WebSocketRoute("/ws", ws),
    ],
    lifespan=lifespan,
)
