"""FastAPI: its idioms (typed path parameters, `Depends`, a pydantic body model, a mounted sub-app for middleware)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from functools import lru_cache
from typing import Annotated, Any

from fastapi import Body, Depends, FastAPI, HTTPException, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from starlette.middleware import Middleware

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

DATABASE = BenchDatabase("fastapi")


class ItemIn(BaseModel):
    name: str
    price: float


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def get_service(settings: Annotated[Settings, Depends(get_settings)]) -> GreetingService:
    return GreetingService(settings)


def get_request_info(request: Request) -> RequestInfo:
    return RequestInfo(request.method, request.url.path)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.state.sessions() as session, session.begin():
        yield session


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    DATABASE.create()
    engine = create_async_engine(DATABASE.url)
    try:
        yield {"sessions": async_sessionmaker(engine)}
    finally:
        await engine.dispose()
        DATABASE.remove()


app = FastAPI(lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None)
mw = FastAPI(
    middleware=[Middleware(PassThroughMiddleware) for _ in range(3)],
    openapi_url=None,
    docs_url=None,
    redoc_url=None,
)


@app.get("/plaintext", response_class=PlainTextResponse)
async def plaintext() -> str:
    return PLAINTEXT


@app.get("/json")
async def json_endpoint() -> dict[str, Any]:
    return JSON_PAYLOAD


@mw.get("/json")
async def mw_json_endpoint() -> dict[str, Any]:
    return JSON_PAYLOAD


@app.get("/users/{user_id}/items/{item_id}")
async def params(user_id: int, item_id: str) -> dict[str, Any]:
    return params_payload(user_id, item_id)


@app.post("/echo")
async def echo(data: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    return data


@app.get("/di")
async def di(
    service: Annotated[GreetingService, Depends(get_service)],
    info: Annotated[RequestInfo, Depends(get_request_info)],
) -> dict[str, str]:
    return di_payload(service, info)


@app.get("/db/{id}")
async def db_read(id: int, session: Annotated[AsyncSession, Depends(get_session)]) -> dict[str, Any]:
    item = await session.get(Item, id)
    if item is None:
        raise HTTPException(404)
    return item_payload(item)


@app.post("/db", status_code=201)
async def db_create(data: ItemIn, session: Annotated[AsyncSession, Depends(get_session)]) -> dict[str, Any]:
    item = Item(name=data.name, price=data.price)
    session.add(item)
    await session.flush()
    return item_payload(item)


@app.websocket("/ws")
async def ws(websocket: WebSocket) -> None:
    await websocket.accept()
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            await websocket.receive_bytes()


app.mount("/mw", mw)
