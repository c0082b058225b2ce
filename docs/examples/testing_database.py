"""Tests against a real database: each test in a transaction that is rolled back, wired in by the container."""

from __future__ import annotations

import asyncio

from dependency_injector import containers, providers
from sqlalchemy import String, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from framework.bootstrap import create_app
from framework.controllers import controller, get, post
from framework.db import Database, Model, RequestSession
from framework.db.testing import transactional_database
from framework.testing import AsyncTestClient, overrides


class Chore(Model):
    __tablename__ = "chores"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))


@controller("/tasks")
class TaskController:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @post("", status_code=201)
    async def create_task(self, title: str) -> dict[str, str]:
        self.session.add(Chore(title=title))
        return {"title": title}

    @get("/count")
    async def count_tasks(self) -> dict[str, int]:
        return {"count": await self.session.scalar(select(func.count()).select_from(Chore)) or 0}


class Container(containers.DeclarativeContainer):
    database = providers.Singleton(Database, url="sqlite+aiosqlite:///./app.db")
    session = RequestSession(database)


async def a_test(container: Container, database: Database) -> None:
    """What a test function does: the same app, with the test database put in through the container."""
    async with transactional_database(database, Model.metadata) as test_db:
        with overrides(container, database=test_db):
            async with AsyncTestClient(create_app(container, controllers=[TaskController])) as client:
                assert (await client.get("/tasks/count")).json() == {"count": 0}
                assert (await client.post("/tasks", params={"title": "write docs"})).status_code == 201
                assert (await client.get("/tasks/count")).json() == {"count": 1}


async def main() -> None:
    container = Container()
    database = Database("sqlite+aiosqlite:///./test.db")
    await a_test(container, database)
    await a_test(container, database)  # starts empty again: the first test's rows and tables were rolled back
    await database.aclose()


asyncio.run(main())
