"""Shared pieces of the database tests: a fresh database per test on SQLite and PostgreSQL, models, an app.

No tests here. Each PostgreSQL test gets its own schema (and application_name, to find its backends in
pg_stat_activity), dropped afterwards; each SQLite test its own file in tmp_path. The drivers are asyncio
libraries, so these tests run on the asyncio backend only.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from dependency_injector import containers, providers
from sqlalchemy import ForeignKey, MetaData, String, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from framework.applications import Application
from framework.background import BackgroundTasks
from framework.bootstrap import create_app
from framework.controllers import controller, get, post
from framework.db import NAMING_CONVENTION, Database, RequestSession, on_commit, retryable, transactional
from framework.exceptions import HTTPException
from framework.problems import Conflict
from framework.responses import JSONResponse

__all__ = ["BACKENDS", "Base", "Child", "Counter", "Event", "Parent", "build_app", "count_rows", "make_database"]

BACKENDS = ["sqlite", "postgresql"]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Parent(Base):
    __tablename__ = "parents"
    id: Mapped[int] = mapped_column(primary_key=True)


class Child(Base):
    __tablename__ = "children"
    id: Mapped[int] = mapped_column(primary_key=True)
    # Checked at COMMIT only: the flush succeeds and the commit fails.
    parent_id: Mapped[int] = mapped_column(ForeignKey("parents.id", deferrable=True, initially="DEFERRED"))


class Counter(Base):
    __tablename__ = "counters"
    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


class Event(Base):
    __tablename__ = "events"
    id: Mapped[int] = mapped_column(primary_key=True)
    note: Mapped[str] = mapped_column(String(50), unique=True)


async def _drop_schema(url: str, schema: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        await engine.dispose()


@pytest.fixture
async def make_database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    """`await make_database(backend, **engine_options)`: an empty Database with Base's tables, cleaned up after."""
    created: list[tuple[Database, str | None, str]] = []

    async def make(backend: str, *, tables: bool = True, **options: Any) -> Database:
        if backend == "sqlite":
            database = Database(f"sqlite+aiosqlite:///{tmp_path / f'db{len(created)}.sqlite'}", **options)
            created.append((database, None, ""))
        else:
            url = request.getfixturevalue("postgres_url")
            schema = f"t_{uuid.uuid4().hex[:12]}"
            admin = create_async_engine(url)
            try:
                async with admin.begin() as connection:
                    await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            finally:
                await admin.dispose()
            settings = {"search_path": schema, "application_name": schema}
            database = Database(url, connect_args={"server_settings": settings}, **options)
            created.append((database, schema, url))
        if tables:
            await database.create_all(Base.metadata)
        return database

    yield make
    with anyio.CancelScope(shield=True):
        for database, schema, url in created:
            await database.aclose()
            if schema is not None:
                await _drop_schema(url, schema)


async def count_rows(database: Database, model: type[Base]) -> int:
    async with database.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


class Probe:
    """What background tasks and on-commit callbacks saw, for the test to check."""

    def __init__(self) -> None:
        self.seen: list[Any] = []


class EventService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @transactional
    async def add_then_conflict(self, note: str) -> None:
        self.session.add(Event(note=note))
        await self.session.flush()
        raise Conflict(f"{note} is taken")


def build_app(database: Database, **create_options: Any) -> tuple[Application, Probe]:
    """An app whose handlers write in the ways the bar describes."""

    class Container(containers.DeclarativeContainer):
        db = providers.Object(database)
        session = RequestSession(db)
        probe = providers.Singleton(Probe)
        events = providers.Factory(EventService, session=session)

    container = Container()
    probe: Probe = container.probe()
    session_provider = container.session

    async def read_back(event_id: int) -> None:
        event = await session_provider().get(Event, event_id)  # a fresh scope: a new session
        probe.seen.append(None if event is None else event.note)

    async def fail() -> None:
        raise RuntimeError("task failed")

    @controller("/db")
    class DbController:
        def __init__(self, session: AsyncSession, events: EventService) -> None:
            self.session = session
            self.events = events

        @post("/two-then-raise")
        async def two_then_raise(self) -> None:
            self.session.add_all([Event(note="a"), Event(note="b")])
            await self.session.flush()
            raise RuntimeError("handler failed after writing")

        @post("/two-then-404")
        async def two_then_404(self) -> None:
            self.session.add_all([Event(note="a"), Event(note="b")])
            await self.session.flush()
            raise HTTPException(404, detail="gone")

        @post("/two-then-400-response")
        async def two_then_400_response(self) -> JSONResponse:
            self.session.add_all([Event(note="a"), Event(note="b")])
            await self.session.flush()
            return JSONResponse({"error": "bad"}, status_code=400)

        @post("/orphan", status_code=201)
        async def create_orphan(self) -> dict[str, int]:
            child = Child(parent_id=999_999)
            self.session.add(child)
            await self.session.flush()
            return {"id": child.id}

        @post("/events", status_code=201)
        async def create_event(self, note: str) -> dict[str, int]:
            event = Event(note=note)
            self.session.add(event)
            await self.session.flush()
            return {"id": event.id}

        @post("/events-unflushed", status_code=201)
        async def create_event_unflushed(self, note: str) -> dict[str, str]:
            self.session.add(Event(note=note))  # the INSERT happens in the commit's flush
            return {"note": note}

        @post("/increment")
        async def increment(self) -> dict[str, int]:
            counter = await self.session.get(Counter, 1, with_for_update=True)
            assert counter is not None
            counter.value += 1
            event = Event(note=f"e{uuid.uuid4().hex[:20]}")
            self.session.add(event)
            await self.session.flush()
            return {"value": counter.value, "event": event.id}

        @get("/increment-deferred")
        async def increment_deferred(self) -> dict[str, int]:
            counter = await self.session.get(Counter, 1)
            assert counter is not None
            counter.value += 1
            return {"value": counter.value}

        @get("/increment-retried")
        @retryable(attempts=30, backoff=0.002)
        async def increment_retried(self) -> dict[str, int]:
            counter = await self.session.get(Counter, 1)
            assert counter is not None
            counter.value += 1
            return {"value": counter.value}

        @post("/slow")
        async def slow(self) -> None:
            self.session.add(Event(note=f"s{uuid.uuid4().hex[:20]}"))
            await self.session.flush()
            await anyio.sleep(0.001)
            self.session.add(Event(note=f"s{uuid.uuid4().hex[:20]}"))
            await self.session.flush()
            await anyio.sleep(30)

        @post("/with-task", status_code=201)
        async def create_with_task(self, tasks: BackgroundTasks) -> dict[str, int]:
            event = Event(note="tasked")
            self.session.add(event)
            await self.session.flush()
            tasks.add_task(read_back, event.id)
            return {"id": event.id}

        @post("/with-failing-task", status_code=201)
        async def create_with_failing_task(self, tasks: BackgroundTasks) -> dict[str, str]:
            self.session.add(Event(note="kept"))
            tasks.add_task(fail)
            return {"status": "created"}

        @post("/on-commit")
        async def with_on_commit(self, fail_after: bool = False) -> dict[str, bool]:
            self.session.add(Event(note="committed"))
            on_commit(lambda: probe.seen.append("sync callback"))

            async def async_callback() -> None:
                probe.seen.append("async callback")

            on_commit(async_callback)
            if fail_after:
                raise HTTPException(409, detail="changed my mind")
            return {"ok": True}

        @post("/savepoint")
        async def with_savepoint(self) -> dict[str, str]:
            self.session.add(Event(note="outer"))
            try:
                await self.events.add_then_conflict("inner")
            except Conflict:
                pass
            return {"ok": "yes"}

    app = create_app(container, controllers=[DbController], openapi=False, **create_options)
    return app, probe
