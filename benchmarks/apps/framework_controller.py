"""framework, controller style: controllers + a dependency-injector container, through `create_app`.

The request-scoped database session and its transaction belong to `framework.db.RequestSession`: the
handler only reads or adds rows; the framework commits before the response starts.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from dependency_injector import containers, providers
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

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
from framework.bootstrap import create_app
from framework.controllers import controller, get, post
from framework.db import Database, RequestSession
from framework.di import CurrentRequest, RequestScoped
from framework.middleware import Middleware
from framework.problems import NotFound
from framework.requests import Request
from framework.responses import PlainTextResponse

__all__ = ["Container", "app"]

DATABASE = BenchDatabase("framework-controller")


class ItemIn(BaseModel):
    name: str
    price: float


def request_info(request: Request) -> RequestInfo:
    return RequestInfo(request.method, request.url.path)


@controller()
class BasicController:
    @get("/plaintext", response_class=PlainTextResponse)
    async def plaintext(self) -> str:
        return PLAINTEXT

    @get("/json")
    async def json(self) -> dict[str, Any]:
        return JSON_PAYLOAD

    @get("/users/{user_id:int}/items/{item_id}")
    async def params(self, user_id: int, item_id: str) -> dict[str, Any]:
        return params_payload(user_id, item_id)

    @post("/echo")
    async def echo(self, data: dict[str, Any]) -> dict[str, Any]:
        return data


@controller("/mw", name="mw", middleware=[Middleware(PassThroughMiddleware) for _ in range(3)])
class MiddlewareController:
    @get("/json")
    async def json(self) -> dict[str, Any]:
        return JSON_PAYLOAD


@controller()
class DIController:
    def __init__(self, service: GreetingService, info: RequestInfo) -> None:
        self._service = service
        self._info = info

    @get("/di")
    async def di(self) -> dict[str, str]:
        return di_payload(self._service, self._info)


@controller("/db")
class DBController:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    @get("/{id:int}")
    async def read(self, id: int) -> dict[str, Any]:
        item = await self._session.get(Item, id)
        if item is None:
            raise NotFound(f"No item {id}.")
        return item_payload(item)

    @post("", status_code=201)
    async def create(self, data: ItemIn) -> dict[str, Any]:
        item = Item(name=data.name, price=data.price)
        self._session.add(item)
        await self._session.flush()
        return item_payload(item)


class Container(containers.DeclarativeContainer):
    settings = providers.Singleton(Settings)
    greeting_service = RequestScoped(GreetingService, settings=settings)
    request_info = RequestScoped(request_info, CurrentRequest())
    database = providers.Singleton(Database, url=DATABASE.url)
    session = RequestSession(database)
    di_controller = providers.Factory(DIController, service=greeting_service, info=request_info)
    db_controller = providers.Factory(DBController, session=session)


@contextlib.asynccontextmanager
async def lifespan(app: Application) -> AsyncIterator[None]:
    DATABASE.create()
    try:
        yield
    finally:
        await container.database().dispose()
        DATABASE.remove()


container = Container()
app = create_app(
    container,
    controllers=[BasicController, MiddlewareController, DIController, DBController],
    lifespan=lifespan,
    openapi=False,
)
