"""BlackSheep: its idioms (rodi services injected by type, `FromJSON`, a mounted sub-app for middleware).

BlackSheep can inject the request into services only through an app-wide middleware
(`register_http_context`), which every endpoint would pay for; so the request-info object is built in the
handler, while the settings (singleton) and the greeting service (scoped) come from its container.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from blacksheep import Application, FromJSON, Request, WebSocket, WebSocketDisconnectError, json, text
from blacksheep.server.responses import not_found
from blacksheep.server.routing import Router
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from benchmarks.apps._common import (
    JSON_PAYLOAD,
    PLAINTEXT,
    BenchDatabase,
    GreetingService,
    Item,
    RequestInfo,
    Settings,
    di_payload,
    item_payload,
    params_payload,
)

__all__ = ["app"]

DATABASE = BenchDatabase("blacksheep")
_state: dict[str, Any] = {}


@dataclass
class ItemIn:
    name: str
    price: float


async def pass_through(request: Request, handler: Any) -> Any:
    return await handler(request)


app = Application(router=Router())
app.services.add_instance(Settings())
app.services.add_scoped(GreetingService)

mw = Application(router=Router())
mw.middlewares.extend([pass_through, pass_through, pass_through])


@app.router.get("/plaintext")
async def plaintext() -> Any:
    return text(PLAINTEXT)


@app.router.get("/json")
async def json_endpoint() -> Any:
    return json(JSON_PAYLOAD)


@mw.router.get("/json")
async def mw_json_endpoint() -> Any:
    return json(JSON_PAYLOAD)


@app.router.get("/users/{int:user_id}/items/{item_id}")
async def params(user_id: int, item_id: str) -> Any:
    return json(params_payload(user_id, item_id))


@app.router.post("/echo")
async def echo(data: FromJSON[dict[str, Any]]) -> Any:
    return json(data.value)


@app.router.get("/di")
async def di(request: Request, service: GreetingService) -> Any:
    info = RequestInfo(request.method, request.path)
    return json(di_payload(service, info))


@app.router.get("/db/{int:id}")
async def db_read(id: int) -> Any:
    async with _state["sessions"]() as session, session.begin():
        item = await session.get(Item, id)
        if item is None:
            return not_found()
        payload = item_payload(item)
    return json(payload)


@app.router.post("/db")
async def db_create(data: FromJSON[ItemIn]) -> Any:
    item = Item(name=data.value.name, price=data.value.price)
    async with _state["sessions"]() as session, session.begin():
        session.add(item)
        await session.flush()
        payload = item_payload(item)
    return json(payload, status=201)


@app.router.ws("/ws")
async def ws(websocket: WebSocket) -> None:
    await websocket.accept()
    with contextlib.suppress(WebSocketDisconnectError):
        while True:
            await websocket.receive_bytes()


async def startup(application: Application) -> None:
    DATABASE.create()
    engine = create_async_engine(DATABASE.url)
    _state["engine"] = engine
    _state["sessions"] = async_sessionmaker(engine)


async def shutdown(application: Application) -> None:
    await _state.pop("engine").dispose()
    DATABASE.remove()


app.on_start += startup
app.on_stop += shutdown
app.mount("/mw", mw)
