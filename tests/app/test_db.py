"""The transaction per request, through HTTP, on SQLite and PostgreSQL: the bar of the database issue."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import text
from sqlalchemy.util.concurrency import await_

from framework.testing import AsyncTestClient
from tests.app.test_db_support import BACKENDS, Child, Counter, Event, build_app, count_rows, make_database

__all__ = ["make_database"]

pytestmark = pytest.mark.anyio

MakeDatabase = Callable[..., Any]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # aiosqlite and asyncpg are asyncio drivers


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def test_handler_raising_after_two_writes_is_500_and_stores_nothing(
    backend: str, make_database: MakeDatabase
) -> None:
    database = await make_database(backend)
    app, _ = build_app(database)
    async with AsyncTestClient(app, raise_app_exceptions=False) as client:
        response = await client.post("/db/two-then-raise")
    assert response.status_code == 500
    assert await count_rows(database, Event) == 0
    assert database.engine.pool.checkedout() == 0


async def test_http_exception_after_writes_is_404_and_stores_nothing(backend: str, make_database: MakeDatabase) -> None:
    database = await make_database(backend)
    app, _ = build_app(database)
    async with AsyncTestClient(app) as client:
        response = await client.post("/db/two-then-404")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "gone"
    assert await count_rows(database, Event) == 0


async def test_returned_error_response_rolls_back(backend: str, make_database: MakeDatabase) -> None:
    database = await make_database(backend)
    app, _ = build_app(database)
    async with AsyncTestClient(app) as client:
        response = await client.post("/db/two-then-400-response")
    assert response.status_code == 400
    assert response.json() == {"error": "bad"}
    assert await count_rows(database, Event) == 0


async def test_successful_write_is_committed_before_the_response(backend: str, make_database: MakeDatabase) -> None:
    database = await make_database(backend)
    app, _ = build_app(database)
    async with AsyncTestClient(app) as client:
        response = await client.post("/db/events", params={"note": "hello"})
    assert response.status_code == 201
    assert response.json() == {"id": 1}
    assert await count_rows(database, Event) == 1
    assert database.engine.pool.checkedout() == 0


async def test_failed_commit_is_5xx_and_the_pool_keeps_working(backend: str, make_database: MakeDatabase) -> None:
    database = await make_database(backend)
    app, _ = build_app(database)
    async with AsyncTestClient(app, raise_app_exceptions=False) as client:
        failed = await client.post("/db/orphan")
        assert failed.status_code == 500
        assert failed.text == "Internal Server Error"
        assert database.engine.pool.checkedout() == 0
        # The connection went back clean: the same pool serves the next requests.
        for note in ("after-1", "after-2"):
            response = await client.post("/db/events", params={"note": note})
            assert response.status_code == 201
    assert await count_rows(database, Child) == 0
    assert await count_rows(database, Event) == 2


async def test_unique_violation_at_commit_is_409(backend: str, make_database: MakeDatabase) -> None:
    database = await make_database(backend)
    app, _ = build_app(database)
    async with AsyncTestClient(app) as client:
        first = await client.post("/db/events-unflushed", params={"note": "same"})
        second = await client.post("/db/events-unflushed", params={"note": "same"})
        third = await client.post("/db/events-unflushed", params={"note": "other"})
    assert first.status_code == 201
    assert second.status_code == 409
    assert second.headers["content-type"] == "application/problem+json"
    assert second.json()["detail"] == "The change conflicts with existing data; nothing was saved."
    assert third.status_code == 201
    assert await count_rows(database, Event) == 2


async def test_background_task_reads_the_committed_row_in_its_own_session(
    backend: str, make_database: MakeDatabase
) -> None:
    database = await make_database(backend)
    app, probe = build_app(database)
    async with AsyncTestClient(app) as client:
        response = await client.post("/db/with-task")
    assert response.status_code == 201
    assert probe.seen == ["tasked"]
    assert database.engine.pool.checkedout() == 0


async def test_failing_background_task_does_not_change_the_response(
    backend: str, make_database: MakeDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    database = await make_database(backend)
    app, _ = build_app(database)
    with caplog.at_level(logging.ERROR):
        async with AsyncTestClient(app) as client:
            response = await client.post("/db/with-failing-task")
    assert response.status_code == 201
    assert response.json() == {"status": "created"}
    assert await count_rows(database, Event) == 1
    assert "task failed" in caplog.text


async def test_on_commit_callbacks_run_after_commit_only(backend: str, make_database: MakeDatabase) -> None:
    database = await make_database(backend)
    app, probe = build_app(database)
    async with AsyncTestClient(app) as client:
        rolled_back = await client.post("/db/on-commit", params={"fail_after": "true"})
        assert rolled_back.status_code == 409
        assert probe.seen == []
        committed = await client.post("/db/on-commit")
    assert committed.status_code == 200
    assert probe.seen == ["sync callback", "async callback"]
    assert await count_rows(database, Event) == 1


async def test_transactional_rolls_back_only_its_savepoint(backend: str, make_database: MakeDatabase) -> None:
    database = await make_database(backend)
    app, _ = build_app(database)
    async with AsyncTestClient(app) as client:
        response = await client.post("/db/savepoint")
    assert response.status_code == 200
    async with database.session() as session:
        notes = (await session.scalars(text("SELECT note FROM events"))).all()
    assert notes == ["outer"]


def _trace_statements(database: Any) -> list[str]:
    """Every statement SQLite itself runs on connections opened from now on (the driver's trace callback)."""
    statements: list[str] = []

    def on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        await_(dbapi_connection.driver_connection.set_trace_callback(statements.append))

    sa_event.listen(database.engine.sync_engine, "connect", on_connect)
    return statements


async def test_read_only_requests_begin_deferred_and_writes_immediate(make_database: MakeDatabase) -> None:
    database = await make_database("sqlite")
    async with database.session() as session, session.begin():
        session.add(Counter(id=1, value=0))
    await database.engine.dispose()
    statements = _trace_statements(database)
    app, _ = build_app(database)
    async with AsyncTestClient(app) as client:
        assert (await client.post("/db/events", params={"note": "x"})).status_code == 201
        await client.get("/db/increment-deferred")
    transactions = [s for s in statements if s.startswith(("BEGIN", "COMMIT", "ROLLBACK"))]
    assert transactions == ["BEGIN IMMEDIATE", "COMMIT", "BEGIN DEFERRED", "COMMIT"]
    # The BEGIN runs with the first statement of its transaction, not on its own.
    first_insert = next(i for i, s in enumerate(statements) if s.startswith("INSERT INTO events"))
    assert statements[first_insert - 1] == "BEGIN IMMEDIATE"
