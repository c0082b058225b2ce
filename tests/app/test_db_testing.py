"""The test-database helpers: a rolled-back outer transaction, and a fresh SQLite file, through the container."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from dependency_injector import containers, providers
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from framework.bootstrap import create_app
from framework.controllers import controller, get, post
from framework.db import Database, RequestSession
from framework.db.testing import sqlite_test_database, transactional_database
from framework.testclient import TestClient
from framework.testing import AsyncTestClient, overrides
from tests.app.test_db_support import BACKENDS, Base, Event, make_database

__all__ = ["make_database"]

MakeDatabase = Callable[..., Any]


@controller("/events")
class EventController:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @post("", status_code=201)
    async def create_event(self, note: str) -> dict[str, str]:
        self.session.add(Event(note=note))
        return {"note": note}

    @get("/count")
    async def count_events(self) -> dict[str, int]:
        return {"count": int(await self.session.scalar(select(func.count()).select_from(Event)) or 0)}


class Container(containers.DeclarativeContainer):
    database = providers.Singleton(Database, url="sqlite+aiosqlite:///./never-used.db")
    session = RequestSession(database)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.mark.anyio
async def test_transactional_database_rolls_every_test_back(backend: str, make_database: MakeDatabase) -> None:
    real = await make_database(backend, tables=False)
    container = Container()
    for _ in range(2):  # two "tests" in a row each start from an empty database
        async with transactional_database(real, Base.metadata) as test_db:
            with overrides(container, database=test_db):
                async with AsyncTestClient(create_app(container, controllers=[EventController])) as client:
                    assert (await client.get("/events/count")).json() == {"count": 0}
                    assert (await client.post("/events", params={"note": "a"})).status_code == 201
                    assert (await client.post("/events", params={"note": "b"})).status_code == 201
                    assert (await client.get("/events/count")).json() == {"count": 2}
    async with real.session() as session:
        tables = await session.run_sync(lambda sync: sync.connection().dialect.has_table(sync.connection(), "events"))
    assert tables is False  # even the tables were created inside the rolled-back transaction


@pytest.mark.anyio
async def test_transactional_database_keeps_request_rollbacks_inside_savepoints(make_database: MakeDatabase) -> None:
    real = await make_database("sqlite", tables=False)
    container = Container()
    async with transactional_database(real, Base.metadata) as test_db:
        with overrides(container, database=test_db):
            async with AsyncTestClient(create_app(container, controllers=[EventController])) as client:
                assert (await client.post("/events", params={"note": "same"})).status_code == 201
                duplicate = await client.post("/events", params={"note": "same"})
                assert duplicate.status_code == 409  # rolled back to its savepoint; the test transaction lives on
                assert (await client.get("/events/count")).json() == {"count": 1}


def test_sqlite_test_database_is_a_fresh_file_usable_from_sync_tests(tmp_path: Path) -> None:
    database = sqlite_test_database(tmp_path / "test.db", Base.metadata)
    container = Container()
    try:
        app = create_app(container, controllers=[EventController])
        with overrides(container, database=database), TestClient(app, backend="asyncio") as client:
            assert client.post("/events", params={"note": "x"}).status_code == 201
            assert client.get("/events/count").json() == {"count": 1}
    finally:
        # An overriding instance belongs to the test, which closes it.
        asyncio.run(database.aclose())
    with pytest.raises(FileExistsError, match="wants a new file"):
        sqlite_test_database(tmp_path / "test.db")
