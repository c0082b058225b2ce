"""Litestar: its idioms (typed handlers, `Provide` dependencies, msgspec bodies, per-route middleware)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from litestar import Litestar, MediaType, Request, WebSocket, get, post, websocket
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import NotFoundException, WebSocketDisconnect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

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

__all__ = ["app"]

SETTINGS = Settings()
DATABASE = BenchDatabase("litestar")


@dataclass
class ItemIn:
    name: str
    price: float


def provide_settings() -> Settings:
    return SETTINGS


def provide_service(settings: Settings) -> GreetingService:
    return GreetingService(settings)


def provide_request_info(request: Request[Any, Any, Any]) -> RequestInfo:
    return RequestInfo(request.method, request.url.path)


async def provide_session(state: State) -> AsyncIterator[AsyncSession]:
    async with state.sessions() as session, session.begin():
        yield session


@get("/plaintext", media_type=MediaType.TEXT)
async def plaintext() -> str:
    return PLAINTEXT


@get("/json")
async def json_endpoint() -> dict[str, Any]:
    return JSON_PAYLOAD


@get("/mw/json", middleware=[PassThroughMiddleware, PassThroughMiddleware, PassThroughMiddleware])
async def mw_json_endpoint() -> dict[str, Any]:
    return JSON_PAYLOAD


@get("/users/{user_id:int}/items/{item_id:str}")
async def params(user_id: int, item_id: str) -> dict[str, Any]:
    return params_payload(user_id, item_id)


@post("/echo", status_code=200)
async def echo(data: dict[str, Any]) -> dict[str, Any]:
    return data


@get(
    "/di",
    dependencies={
        "settings": Provide(provide_settings, use_cache=True, sync_to_thread=False),
        "service": Provide(provide_service, sync_to_thread=False),
        "info": Provide(provide_request_info, sync_to_thread=False),
    },
)
async def di(service: GreetingService, info: RequestInfo) -> dict[str, str]:
    return di_payload(service, info)


_session = {"session": Provide(provide_session)}


@get("/db/{id:int}", dependencies=_session)
async def db_read(id: int, session: AsyncSession) -> dict[str, Any]:
    item = await session.get(Item, id)
    if item is None:
        raise NotFoundException()
    return item_payload(item)


@post("/db", dependencies=_session, status_code=201)
async def db_create(data: ItemIn, session: AsyncSession) -> dict[str, Any]:
    item = Item(name=data.name, price=data.price)
    session.add(item)
    await session.flush()
    return item_payload(item)


@websocket("/ws")
async def ws(socket: WebSocket[Any, Any, Any]) -> None:
    await socket.accept()
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            await socket.receive_bytes()


@contextlib.asynccontextmanager
async def lifespan(app: Litestar) -> AsyncIterator[None]:
    DATABASE.create()
    engine = create_async_engine(DATABASE.url)
    app.state.sessions = async_sessionmaker(engine)
    try:
        yield
    finally:
        await engine.dispose()
        DATABASE.remove()


app = Litestar(
    route_handlers=[plaintext, json_endpoint, mw_json_endpoint, params, echo, di, db_read, db_create, ws],
    lifespan=[lifespan],
    openapi_config=None,
)
