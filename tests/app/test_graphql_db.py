"""GraphQL mutations and REST handlers share the request's session, transaction and rules (SQLite)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import strawberry
from dependency_injector import containers, providers
from pydantic import BaseModel
from sqlalchemy import ForeignKey, MetaData, String, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from strawberry.types import Info

from framework.applications import Application
from framework.bootstrap import create_app
from framework.controllers import controller, get, post
from framework.db import NAMING_CONVENTION, Database, RequestSession
from framework.db.testing import sqlite_test_database
from framework.graphql import GraphQLContext, GraphQLRoute
from framework.testing import AsyncTestClient

Ctx = Info[GraphQLContext, None]


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, Any]]:
    return ("asyncio", {})  # aiosqlite and Strawberry are asyncio libraries


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Project(Base):
    __tablename__ = "projects"
    id: Mapped[int] = mapped_column(primary_key=True)


class Task(Base):
    __tablename__ = "tasks"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    # Checked at COMMIT only: the flush succeeds and the commit fails.
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", deferrable=True, initially="DEFERRED"), default=None
    )


class TaskService:
    """The service both APIs use; it flushes, the request's unit of work commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def create(self, title: str, *, project_id: int | None = None) -> Task:
        task = Task(title=title, project_id=project_id)
        self.session.add(task)
        await self.session.flush()
        return task

    async def titles(self) -> list[str]:
        return list((await self.session.scalars(select(Task.title).order_by(Task.id))).all())


class Container(containers.DeclarativeContainer):
    database = providers.Dependency(instance_of=Database)
    session = RequestSession(database)
    tasks = providers.Factory(TaskService, session=session)


class TaskIn(BaseModel):
    title: str


@controller("/tasks")
class TaskController:
    def __init__(self, tasks: TaskService) -> None:
        self._tasks = tasks

    @get("")
    async def list_tasks(self) -> list[str]:
        return await self._tasks.titles()

    @post("", status_code=201)
    async def create_task(self, data: TaskIn) -> dict[str, str]:
        task = await self._tasks.create(data.title)
        return {"title": task.title}


@strawberry.type
class Query:
    @strawberry.field
    async def tasks(self, info: Ctx) -> list[str]:
        return await info.context.get(TaskService).titles()


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def create_task(self, info: Ctx, title: str, fail: bool = False, project_id: int | None = None) -> str:
        task = await info.context.get(TaskService).create(title, project_id=project_id)
        if fail:
            raise RuntimeError("the resolver failed after writing")
        return task.title


schema = strawberry.Schema(query=Query, mutation=Mutation)


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[Application]:
    database = sqlite_test_database(tmp_path / "app.db", Base.metadata)
    container = Container(database=database)
    try:
        yield create_app(container, controllers=[TaskController], routes=[GraphQLRoute("/graphql", schema)])
    finally:
        await database.aclose()


async def count_tasks(app: Application) -> int:
    database: Database = app.state.container.database()
    async with database.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Task)) or 0)


async def graphql(client: AsyncTestClient, query: str) -> Any:
    response = await client.post("/graphql", json={"query": query})
    return response


@pytest.mark.anyio
async def test_graphql_and_rest_see_the_same_data(app: Application) -> None:
    async with AsyncTestClient(app) as client:
        created = await graphql(client, 'mutation { createTask(title: "from graphql") }')
        assert created.json() == {"data": {"createTask": "from graphql"}}
        rest = await client.post("/tasks", json={"title": "from rest"})
        assert rest.status_code == 201
        listed = await client.get("/tasks")
        assert listed.json() == ["from graphql", "from rest"]
        queried = await graphql(client, "{ tasks }")
        assert queried.json() == {"data": {"tasks": ["from graphql", "from rest"]}}


@pytest.mark.anyio
async def test_a_mutation_that_raises_after_writing_leaves_no_rows(app: Application) -> None:
    async with AsyncTestClient(app) as client:
        response = await graphql(client, 'mutation { createTask(title: "doomed", fail: true) }')
        assert response.status_code == 200
        assert response.json()["errors"][0]["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
        assert (await client.get("/tasks")).json() == []
    assert await count_tasks(app) == 0


@pytest.mark.anyio
async def test_one_failing_field_rolls_back_the_whole_mutation(app: Application) -> None:
    async with AsyncTestClient(app) as client:
        query = 'mutation { a: createTask(title: "first") b: createTask(title: "second", fail: true) }'
        body = (await graphql(client, query)).json()
        assert body["errors"][0]["path"] == ["b"]
    assert await count_tasks(app) == 0


@pytest.mark.anyio
async def test_a_failed_commit_is_an_error_response_not_a_success(app: Application) -> None:
    async with AsyncTestClient(app) as client:
        # The flush succeeds; the deferred foreign key fails at COMMIT, before the response starts.
        response = await graphql(client, 'mutation { createTask(title: "orphan", projectId: 99) }')
        assert response.status_code >= 400
        body = response.json()
        assert set(body) == {"errors"}
        assert body["errors"][0]["extensions"]["code"]
        # The REST handler follows the same rule.
        assert (await client.get("/tasks")).json() == []
    assert await count_tasks(app) == 0
