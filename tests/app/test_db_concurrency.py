"""Concurrency and cancellation through HTTP on SQLite and PostgreSQL: no lost update, no leaked transaction."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import random
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import httpx
import pytest
from sqlalchemy import select, text

from framework.db import Database
from framework.testing import AsyncTestClient
from tests.app.test_db_support import BACKENDS, Counter, Event, build_app, count_rows, make_database

__all__ = ["make_database"]

pytestmark = pytest.mark.anyio

MakeDatabase = Callable[..., Any]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # aiosqlite and asyncpg are asyncio drivers


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def _seed_counter(database: Database) -> None:
    async with database.session() as session, session.begin():
        session.add(Counter(id=1, value=0))


async def _counter(database: Database) -> int:
    async with database.session() as session:
        return int(await session.scalar(select(Counter.value).where(Counter.id == 1)) or 0)


async def test_concurrent_read_modify_write_loses_no_update(backend: str, make_database: MakeDatabase) -> None:
    database = await make_database(backend, pool_size=10, max_overflow=10)
    await _seed_counter(database)
    app, _ = build_app(database)
    responses: list[httpx.Response] = []

    async def client_loop(client: AsyncTestClient) -> None:
        for _ in range(25):
            responses.append(await client.post("/db/increment"))

    async with AsyncTestClient(app) as client, anyio.create_task_group() as group:
        for _ in range(20):
            group.start_soon(client_loop, client)

    assert [r.status_code for r in responses] == [200] * 500
    assert sorted(r.json()["value"] for r in responses) == list(range(1, 501))
    assert await _counter(database) == 500
    async with database.session() as session:
        stored = set((await session.scalars(select(Event.id))).all())
    assert {r.json()["event"] for r in responses} == stored  # every 2xx has its row, and nothing else is there
    assert len(stored) == 500
    assert database.engine.pool.checkedout() == 0


async def _idle_in_transaction(database: Database) -> int:
    async with database.session() as session:
        found = await session.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE state LIKE 'idle in transaction%' "
                "AND application_name = current_setting('application_name') AND pid <> pg_backend_pid()"
            )
        )
    return int(found or 0)


@contextlib.contextmanager
def _asyncpg_cancellation_noise_tolerated() -> Iterator[list[dict[str, Any]]]:
    """Collect asyncio's loop errors, except the drivers' leftovers from connections SQLAlchemy terminated.

    A cancellation that lands in the middle of a query makes SQLAlchemy invalidate (terminate) the connection, its
    state being unknown: asyncpg then leaves a future holding "unexpected connection_lost() call" behind, and the
    abandoned graceful close of an aiosqlite connection is reported as a destroyed pending task.
    """
    loop = asyncio.get_running_loop()
    previous = loop.get_exception_handler()
    other: list[dict[str, Any]] = []

    def handler(_: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if "unexpected connection_lost() call" in str(context.get("exception")):
            return
        if "_terminate_graceful_close" in repr(context.get("task")):
            return
        other.append(context)

    loop.set_exception_handler(handler)
    try:
        yield other
        gc.collect()  # the futures report at garbage collection: make it happen while the handler is ours
    finally:
        loop.set_exception_handler(previous)


async def test_cancelled_requests_leave_no_rows_and_no_open_transaction(
    backend: str, make_database: MakeDatabase
) -> None:
    with _asyncpg_cancellation_noise_tolerated() as loop_errors:
        await _cancelled_requests(backend, make_database)
    assert loop_errors == []


async def _cancelled_requests(backend: str, make_database: MakeDatabase) -> None:
    database = await make_database(backend)
    app, _ = build_app(database)
    rng = random.Random(5)
    completed = 0

    async def cancelled_request(client: AsyncTestClient, delay: float) -> None:
        nonlocal completed
        with anyio.move_on_after(delay):
            await client.post("/db/slow")
            completed += 1

    async with AsyncTestClient(app) as client:
        for _ in range(10):
            async with anyio.create_task_group() as group:
                for _ in range(10):
                    group.start_soon(cancelled_request, client, rng.uniform(0, 0.015))
        assert completed == 0  # every request was cut off by the client, at a random point
        assert database.engine.pool.checkedout() == 0
        assert await count_rows(database, Event) == 0
        if backend == "postgresql":
            assert await _idle_in_transaction(database) == 0
        # The pool still serves a normal request afterwards.
        response = await client.post("/db/events", params={"note": "after"})
    assert response.status_code == 201
    assert await count_rows(database, Event) == 1
    assert database.engine.pool.checkedout() == 0


async def test_deferred_writers_fail_cleanly_without_retry_and_succeed_with_it(
    backend: str, make_database: MakeDatabase
) -> None:
    options = {"isolation_level": "SERIALIZABLE"} if backend == "postgresql" else {}
    database = await make_database(backend, **options)
    await _seed_counter(database)
    app, _ = build_app(database)
    async with AsyncTestClient(app) as client:
        plain: list[httpx.Response] = []
        retried: list[httpx.Response] = []
        async with anyio.create_task_group() as group:
            for _ in range(10):
                group.start_soon(lambda: _append(plain, client.get("/db/increment-deferred")))
        ok = [r for r in plain if r.status_code == 200]
        # A GET begins DEFERRED: a collision is a 503 (never a 2xx that lost its update).
        assert {r.status_code for r in plain} <= {200, 503}
        assert all(r.headers["retry-after"] == "1" for r in plain if r.status_code == 503)
        assert await _counter(database) == len(ok)
        async with anyio.create_task_group() as group:
            for _ in range(10):
                group.start_soon(lambda: _append(retried, client.get("/db/increment-retried")))
    assert [r.status_code for r in retried] == [200] * 10
    assert await _counter(database) == len(ok) + 10
    assert database.engine.pool.checkedout() == 0


async def _append(into: list[httpx.Response], request: Any) -> None:
    into.append(await request)
