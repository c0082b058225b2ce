"""The one-hop aiosqlite adaptation: fewer hand-offs to the worker thread, the same transactions as before."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import insert, select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.util.concurrency import await_

from framework.db import Database
from tests.app.test_db_support import Counter, Event, count_rows, make_database

__all__ = ["make_database"]

pytestmark = pytest.mark.anyio

MakeDatabase = Callable[..., Any]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def hand_offs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of every function sent to an aiosqlite worker thread while the test runs."""
    names: list[str] = []
    original = aiosqlite.Connection._execute

    async def counting(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        names.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)  # type: ignore[no-untyped-call]

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counting)
    return names


async def _traced(database: Database) -> list[str]:
    """Every statement SQLite runs on connections opened from now on (the pool is emptied first)."""
    await database.engine.dispose()
    statements: list[str] = []

    def on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        await_(dbapi_connection.driver_connection.set_trace_callback(statements.append))

    sa_event.listen(database.engine.sync_engine, "connect", on_connect)
    async with database.engine.connect():  # open the connection now, so its set-up is not traced below
        pass
    statements.clear()
    return statements


async def test_a_read_transaction_costs_two_hand_offs(make_database: MakeDatabase, hand_offs: list[str]) -> None:
    database = await make_database("sqlite")
    async with database.engine.connect():  # the pool's connection exists before counting
        pass
    hand_offs.clear()
    session = database.session()
    try:
        assert await session.get(Counter, 1) is None
        await session.commit()
    finally:
        await session.close()
    # BEGIN + SELECT + fetch in one; COMMIT; no cursor round trips and no rollback when the pool takes it back.
    assert hand_offs == ["_run_statement", "commit"]


async def test_begin_runs_with_the_first_statement_and_an_empty_transaction_costs_nothing(
    make_database: MakeDatabase,
) -> None:
    database = await make_database("sqlite")
    statements = await _traced(database)
    async with database.session() as session, session.begin():
        pass
    assert statements == []
    async with database.session(write=True) as session, session.begin():
        session.add(Event(note="a"))
    assert [s.split(" (")[0] for s in statements] == ["BEGIN IMMEDIATE", "INSERT INTO events", "COMMIT"]


async def test_reads_in_one_transaction_are_repeatable(make_database: MakeDatabase) -> None:
    database = await make_database("sqlite")
    async with database.session() as session, session.begin():
        session.add(Counter(id=1, value=0))
    async with database.session() as reader:
        first = await reader.scalar(select(Counter.value))
        async with database.session(write=True) as writer, writer.begin():
            await writer.execute(update(Counter).values(value=Counter.value + 1))
        assert await reader.scalar(select(Counter.value)) == first == 0
        await reader.commit()
        assert await reader.scalar(select(Counter.value)) == 1


async def test_a_connection_returned_inside_a_transaction_is_rolled_back_on_check_in(
    make_database: MakeDatabase,
) -> None:
    database = await make_database("sqlite", pool_size=1)
    statements = await _traced(database)
    async with database.engine.connect() as connection:  # never committed
        await connection.execute(insert(Event).values(note="lost"))
    assert statements[-1] == "ROLLBACK"
    statements.clear()
    async with database.engine.begin() as connection:  # committed: nothing to roll back on check-in
        await connection.execute(insert(Event).values(note="kept"))
    assert statements[-1] == "COMMIT"
    assert await count_rows(database, Event) == 1
    assert database.engine.pool.checkedout() == 0


async def test_rowcount_lastrowid_executemany_and_streaming(make_database: MakeDatabase) -> None:
    database = await make_database("sqlite")
    async with database.engine.begin() as connection:
        result = await connection.execute(insert(Event).values(note="one"))
        assert result.lastrowid == 1
        many = await connection.execute(insert(Event), [{"note": "two"}, {"note": "three"}])
        assert many.rowcount == 2
        changed = await connection.execute(update(Event).where(Event.note != "one").values(note=Event.note + "!"))
        assert changed.rowcount == 2
    async with database.session() as session:
        stream = await session.stream_scalars(select(Event.note).order_by(Event.id))
        assert [note async for note in stream] == ["one", "two!", "three!"]
        await session.commit()
    assert database.engine.pool.checkedout() == 0


async def test_a_writer_that_cannot_get_the_lock_fails_cleanly(make_database: MakeDatabase) -> None:
    database = await make_database("sqlite", busy_timeout=0.05)
    async with database.session(write=True) as holder, holder.begin():
        holder.add(Event(note="held"))
        await holder.flush()  # holds the write lock until the block ends
        async with database.session(write=True) as blocked:
            with pytest.raises(OperationalError, match="database is locked"):
                await blocked.execute(text("SELECT 1"))
            await blocked.rollback()
            assert not blocked.in_transaction()
    async with database.session(write=True) as session, session.begin():
        session.add(Event(note="after"))
    assert await count_rows(database, Event) == 2
    assert database.engine.pool.checkedout() == 0


async def test_sql_errors_surface_as_sqlalchemy_errors_and_the_transaction_stays_usable(
    make_database: MakeDatabase,
) -> None:
    database = await make_database("sqlite")
    async with database.session(write=True) as session:
        session.add(Event(note="x"))
        await session.flush()
        with pytest.raises(OperationalError, match="no such table"):
            await session.execute(text("SELECT * FROM missing"))
        await session.commit()
    assert await count_rows(database, Event) == 1


@pytest.mark.parametrize(
    ("options", "size", "overflow"),
    [({}, 2, 0), ({"pool_size": 7}, 7, 10), ({"max_overflow": 3}, 5, 3)],
    ids=["default", "own-size", "own-overflow"],
)
async def test_a_sqlite_file_gets_a_pool_of_two_unless_told_otherwise(
    tmp_path: Any, options: dict[str, Any], size: int, overflow: int
) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'pool.db'}", **options)
    try:
        pool: Any = database.engine.pool
        assert pool.size() == size
        assert pool._max_overflow == overflow
    finally:
        await database.aclose()


async def test_an_in_memory_sqlite_keeps_sqlalchemys_pool() -> None:
    # SQLAlchemy gives an in-memory database a pool of its own kind, which takes no size: left alone.
    database = Database("sqlite+aiosqlite:///:memory:")
    try:
        assert not hasattr(database.engine.pool, "_max_overflow")
        async with database.session() as session:
            assert await session.scalar(text("SELECT 1")) == 1
    finally:
        await database.aclose()
