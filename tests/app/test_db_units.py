"""Database, Repository, transactional, retryable and on_commit outside HTTP, inside explicit scopes."""

from __future__ import annotations

import contextlib
import gc
import weakref
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from framework.db import Database, InvalidQuery, Repository, RequestSession, begin_write, on_commit, retryable
from framework.di import open_scope
from framework.exceptions import HTTPException
from framework.problems import NotFound
from tests.app.test_db_support import BACKENDS, Event, make_database

__all__ = ["make_database"]

pytestmark = pytest.mark.anyio

MakeDatabase = Callable[..., Any]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class EventRepository(Repository[Event]):
    ordering = ("note", "id")


async def test_sqlite_connections_are_configured_for_correct_transactions(make_database: MakeDatabase) -> None:
    database = await make_database("sqlite")
    async with database.session() as session:
        assert (await session.scalar(text("PRAGMA journal_mode"))) == "wal"
        assert (await session.scalar(text("PRAGMA foreign_keys"))) == 1
        assert (await session.scalar(text("PRAGMA busy_timeout"))) == 5000


async def test_released_savepoint_is_undone_by_the_outer_rollback(backend: str, make_database: MakeDatabase) -> None:
    database = await make_database(backend)
    async with database.session(write=True) as session:
        async with session.begin_nested():
            session.add(Event(note="inside savepoint"))
        await session.rollback()
    assert await _notes(database) == []


async def test_repository_get_list_add_remove(backend: str, make_database: MakeDatabase) -> None:
    database = await make_database(backend)
    async with database.session(write=True) as session:
        repository = EventRepository(session)
        for note in ("b", "c", "a"):
            await repository.add(Event(note=note))
        assert [e.note for e in await repository.list(order_by="note")] == ["a", "b", "c"]
        assert [e.note for e in await repository.list(order_by="-note", limit=2)] == ["c", "b"]
        assert [e.note for e in await repository.list(offset=1)] == ["c", "a"]  # primary key order
        first = await repository.get(1)
        assert first.note == "b"
        assert await repository.get_or_none(99) is None
        with pytest.raises(NotFound, match=r"Event 99 does not exist\."):
            await repository.get(99)
        await repository.remove(first)
        assert await repository.get_or_none(1) is None
        await session.rollback()  # a repository never commits: nothing was stored
    assert await _notes(database) == []


async def test_repository_rejects_ordering_and_paging_outside_the_allow_list(make_database: MakeDatabase) -> None:
    database = await make_database("sqlite")
    async with database.session() as session:
        repository = EventRepository(session)
        with pytest.raises(InvalidQuery, match=r"Cannot order by 'secret'; allowed: id, note\.") as info:
            await repository.list(order_by="secret")
        assert isinstance(info.value, ValueError)
        assert info.value.status == 422
        with pytest.raises(InvalidQuery, match="limit must be between 0 and 1000"):
            await repository.list(limit=5000)
        with pytest.raises(InvalidQuery, match="offset must not be negative"):
            await repository.list(offset=-1)
        with pytest.raises(InvalidQuery, match="Cannot order by '__class__'"):
            await repository.list(order_by="-__class__")


async def test_begin_write_only_before_the_transaction_starts(make_database: MakeDatabase) -> None:
    database = await make_database("sqlite")
    async with database.session() as session:
        begin_write(session)
        await session.execute(select(Event))
        connection = await session.connection()
        assert connection.sync_connection is not None
        assert connection.sync_connection.get_execution_options()["framework_sqlite_begin"] == "IMMEDIATE"
    async with database.session() as session:
        await session.execute(select(Event))
        with pytest.raises(RuntimeError, match="call it before the first query"):
            begin_write(session)


async def test_request_session_commits_at_scope_end_and_runs_on_commit(
    backend: str, make_database: MakeDatabase
) -> None:
    database = await make_database(backend)
    provider = RequestSession(database)
    called: list[str] = []
    async with open_scope():
        session = provider()
        assert provider() is session
        session.add(Event(note="scoped"))
        on_commit(lambda: called.append("committed"))
    assert called == ["committed"]
    assert await _notes(database) == ["scoped"]
    with pytest.raises(RuntimeError, match="boom"):
        await _write_then_fail(provider, called)
    assert called == ["committed"]
    assert await _notes(database) == ["scoped"]
    assert database.engine.pool.checkedout() == 0


@pytest.mark.parametrize("fail", [False, True])
async def test_a_closed_request_session_is_freed_without_the_cyclic_collector(
    fail: bool, make_database: MakeDatabase
) -> None:
    # Cyclic garbage per request makes the collector's full passes (tens of ms in a large app) frequent.
    database = await make_database("sqlite")
    provider = RequestSession(database)
    gc.collect()
    gc.disable()
    try:
        with contextlib.suppress(RuntimeError):
            async with open_scope():
                session = provider()
                session.add(Event(note="freed"))
                alive = weakref.ref(session.sync_session)
                del session
                if fail:
                    raise RuntimeError("boom")
        assert alive() is None, "the request session is only freed by the cyclic collector"
    finally:
        gc.enable()


async def test_on_commit_outside_a_request_session_explains() -> None:
    async with open_scope():
        with pytest.raises(RuntimeError, match="No request session in the current scope"):
            on_commit(lambda: None)
    with pytest.raises(TypeError, match="needs a callable"):
        on_commit("not callable")  # type: ignore[arg-type]


async def _write_then_fail(provider: RequestSession, called: list[str]) -> None:
    async with open_scope():
        provider().add(Event(note="lost"))
        on_commit(lambda: called.append("never"))
        raise RuntimeError("boom")


def _locked() -> OperationalError:
    return OperationalError("UPDATE ...", {}, Exception("database is locked"))


async def test_retryable_reruns_the_unit_of_work_then_gives_503(make_database: MakeDatabase) -> None:
    database = await make_database("sqlite")
    provider = RequestSession(database)
    attempts: list[int] = []

    @retryable(attempts=3, backoff=0)
    async def flaky(fail_times: int) -> str:
        provider().add(Event(note=f"try{len(attempts)}"))
        attempts.append(1)
        if len(attempts) <= fail_times:
            raise _locked()
        return "done"

    async with open_scope():
        assert await flaky(2) == "done"
    assert len(attempts) == 3
    assert await _notes(database) == ["try2"]  # the failed attempts were rolled back

    attempts.clear()
    with pytest.raises(HTTPException) as info:
        async with open_scope():
            await flaky(5)
    assert info.value.status_code == 503
    assert info.value.headers == {"Retry-After": "1"}
    assert len(attempts) == 3
    assert await _notes(database) == ["try2"]


async def test_retryable_does_not_retry_other_errors_and_checks_its_arguments() -> None:
    calls = 0

    @retryable
    async def broken() -> None:
        nonlocal calls
        calls += 1
        raise ValueError("not transient")

    async with open_scope():
        with pytest.raises(ValueError, match="not transient"):
            await broken()
    assert calls == 1
    with pytest.raises(ValueError, match="at least 1"):
        retryable(attempts=0)
    with pytest.raises(TypeError, match="needs an async function"):
        retryable(lambda: None)  # type: ignore[arg-type,return-value]


async def _notes(database: Database) -> list[str]:
    async with database.session() as session:
        return list((await session.scalars(select(Event.note).order_by(Event.id))).all())
