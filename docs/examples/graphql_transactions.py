"""GraphQL mutations in the request's transaction: committed before the response, rolled back on any error."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import strawberry
from dependency_injector import containers, providers
from sqlalchemy import String, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from strawberry.types import Info

from framework.applications import Application
from framework.bootstrap import create_app
from framework.controllers import controller, get
from framework.db import Database, Model, RequestSession
from framework.db.testing import sqlite_test_database
from framework.graphql import GraphQLContext, GraphQLRoute
from framework.testclient import TestClient


class Task(Model):
    __tablename__ = "example_graphql_tasks"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))


class TaskService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def create(self, title: str) -> str:
        self.session.add(Task(title=title))
        await self.session.flush()  # services flush; the unit of work commits
        return title

    async def count(self) -> int:
        return int(await self.session.scalar(select(func.count()).select_from(Task)) or 0)


class Container(containers.DeclarativeContainer):
    database = providers.Dependency(instance_of=Database)
    session = RequestSession(database)
    tasks = providers.Factory(TaskService, session=session)


@controller("/tasks")
class TaskController:
    def __init__(self, tasks: TaskService) -> None:
        self._tasks = tasks

    @get("/count")
    async def count_tasks(self) -> dict[str, int]:
        return {"count": await self._tasks.count()}


@strawberry.type
class Query:
    @strawberry.field
    async def task_count(self, info: Info[GraphQLContext, None]) -> int:
        return await info.context.get(TaskService).count()


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def create_task(self, info: Info[GraphQLContext, None], title: str) -> str:
        title = await info.context.get(TaskService).create(title)
        if title == "boom":
            raise RuntimeError("failed after writing")
        return title


@contextlib.asynccontextmanager
async def lifespan(app: Application) -> AsyncIterator[None]:
    yield
    await database.aclose()  # release pooled connections when the app stops


database = sqlite_test_database("tasks.db", Model.metadata)
schema = strawberry.Schema(query=Query, mutation=Mutation)
app = create_app(
    Container(database=database),
    controllers=[TaskController],
    routes=[GraphQLRoute("/graphql", schema)],
    lifespan=lifespan,
)

with TestClient(app) as client:
    ok = client.post("/graphql", json={"query": 'mutation { createTask(title: "write docs") }'})
    assert ok.json() == {"data": {"createTask": "write docs"}}

    # The resolver raised after its INSERT was flushed: the whole request rolls back.
    failed = client.post("/graphql", json={"query": 'mutation { createTask(title: "boom") }'})
    assert failed.json()["errors"][0]["message"] == "Internal server error."

    # REST and GraphQL read the same committed data.
    assert client.get("/tasks/count").json() == {"count": 1}
    assert client.post("/graphql", json={"query": "{ taskCount }"}).json() == {"data": {"taskCount": 1}}
