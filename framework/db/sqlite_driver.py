"""SQLAlchemy on aiosqlite with one worker-thread hand-off per statement and no separate BEGIN.

aiosqlite runs every call on its connection's worker thread, and each hand-off (queue put, thread wake-up,
a wake-up of the event loop for the result) costs ~20-30 µs of CPU. SQLAlchemy's stock adaptation spends
four per statement (open a cursor, execute, fetch the rows, close the cursor) and three more for our
explicit BEGIN. Here a statement is one function run on the worker thread, which opens the cursor,
executes, fetches every row and closes the cursor; and the BEGIN that SQLAlchemy's "begin" event asks for
is held back and run in that same hand-off just before the transaction's first statement.

Holding BEGIN back changes nothing a transaction can observe: a deferred BEGIN reads nothing and takes no
lock, and `BEGIN IMMEDIATE` immediately followed by the first statement takes the write lock before that
statement reads anything, as before. A transaction that never ran a statement never reaches the database,
so its COMMIT or ROLLBACK costs nothing. Server-side cursors (`stream()`) keep SQLAlchemy's own cursor.
"""

from __future__ import annotations

import asyncio
import collections
import sqlite3
from types import ModuleType
from typing import Any

from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util.concurrency import await_

__all__ = ["OneHopConnection", "OneHopCursor", "one_hop_dbapi", "wait_stopped"]

# (description, rows, rowcount, lastrowid) of a statement, as the worker thread hands them back.
_Outcome = tuple[Any, list[Any], int, "int | None"]


def _run_statement(
    connection: sqlite3.Connection, begin: str | None, operation: str, parameters: Any, many: bool
) -> _Outcome:
    """Runs on aiosqlite's worker thread: the pending BEGIN, the statement and the fetch, in one call."""
    cursor = connection.cursor()
    try:
        if begin is not None:
            cursor.execute(begin)
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose `execute` is a single hand-off; it holds results, not a driver cursor."""

    __slots__ = ("_description", "_lastrowid", "_rowcount")

    _adapt_connection: OneHopConnection

    def __init__(self, adapt_connection: OneHopConnection) -> None:  # no super(): it would open a cursor
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]  # DB-API: None before any insert

    @property
    def arraysize(self) -> int:
        return 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        """Ignored: every row is fetched by `execute` already."""

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        self._run(operation, parameters, many=False)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        self._run(operation, seq_of_parameters, many=True)

    def _run(self, operation: Any, parameters: Any, *, many: bool) -> None:
        adapt = self._adapt_connection
        begin = adapt.take_pending_begin()
        try:
            outcome: _Outcome = await_(
                self._connection._execute(  # aiosqlite's queue to its thread
                    _run_statement, adapt._connection._conn, begin, operation, parameters, many
                )
            )
        except Exception as error:
            adapt._handle_exception(error)
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows)

    def close(self) -> None:
        self._rows.clear()

    async def _async_soft_close(self) -> None:
        """Nothing to do: the driver cursor was closed on the worker thread already."""

    def setinputsizes(self, *inputsizes: Any) -> None:
        """sqlite3 has no input sizes."""

    def nextset(self) -> None:
        """sqlite3 returns one result set per statement."""


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    """An adapted aiosqlite connection that runs a statement in one hand-off and defers BEGIN into it."""

    __slots__ = ("_pending_begin",)

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self._pending_begin: str | None = None

    def cursor(self, server_side: bool = False) -> Any:
        if server_side:
            # SQLAlchemy's streaming cursor talks to the driver directly: begin for real first.
            self._flush_pending_begin()
            return super().cursor(server_side=True)
        return OneHopCursor(self)

    def defer_begin(self, statement: str) -> None:
        """Run `statement` (a BEGIN) just before the next statement on this connection, in its hand-off."""
        self._pending_begin = statement

    def take_pending_begin(self) -> str | None:
        begin, self._pending_begin = self._pending_begin, None
        return begin

    def _flush_pending_begin(self) -> None:
        begin = self.take_pending_begin()
        if begin is not None:
            OneHopCursor(self)._run(begin, None, many=False)

    def commit(self) -> None:
        if self.take_pending_begin() is None:  # else no statement ran: nothing reached the database
            super().commit()

    def rollback(self) -> None:
        if self.take_pending_begin() is None:
            super().rollback()

    def reset_transaction(self) -> None:
        """Pool check-in: roll back only if a transaction is really open (one hand-off), else nothing."""
        self._pending_begin = None
        driver = self._connection
        if driver._connection is not None and driver.in_transaction:
            super().rollback()

    def close(self) -> None:
        self._pending_begin = None
        super().close()

    async def _terminate_graceful_close(self) -> None:
        """Close the driver connection and end its thread when SQLAlchemy discards it (e.g. after a cancel).

        Not `aiosqlite.Connection.close()`: a cancelled discard also force-stops the worker thread, and a
        close() racing with that stop waits forever for a thread that has already exited (the task then
        hangs at event-loop shutdown). `stop()` alone closes the connection on the thread and is idempotent.
        """
        driver = self._connection
        if not driver._running:
            return  # force-stopped already
        future = self._stop()
        if future is not None:
            await future

    def _terminate_force_close(self) -> None:
        self._stop()

    def _stop(self) -> asyncio.Future[Any] | None:
        """Stop the worker thread; the module remembers the stop until it is done (see `wait_stopped`)."""
        self._interrupt()
        future: asyncio.Future[Any] | None = self._connection.stop()
        if future is not None and isinstance(self.dbapi, _OneHopDBAPI):
            self.dbapi.stopping.add(future)
            future.add_done_callback(self.dbapi.stopping.discard)
        return future

    def _interrupt(self) -> None:
        """Abort a statement still running for the discarded connection (sqlite3 allows it from any thread),
        so its thread reaches the stop promptly instead of waiting out a busy timeout on a lock."""
        raw = self._connection._connection
        if raw is not None:
            raw.interrupt()


class _OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The DB-API module SQLAlchemy's aiosqlite dialect uses, handing out `OneHopConnection`s."""

    def __init__(self, aiosqlite: ModuleType, sqlite: ModuleType) -> None:
        super().__init__(aiosqlite, sqlite)
        # Stops of discarded connections still in progress: a connection discarded after a cancellation
        # may be waiting out a lock on its thread, which would otherwise finish after the event loop closed.
        self.stopping: set[asyncio.Future[Any]] = set()

    async def wait_stopped(self, timeout: float) -> None:
        """Wait (at most `timeout` seconds) until the threads of discarded connections have ended."""
        if self.stopping:
            await asyncio.wait(set(self.stopping), timeout=timeout)

    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        stock = super().connect(*arg, **kw)
        return OneHopConnection(self, stock._connection)


def one_hop_dbapi() -> ModuleType:
    """A fresh module object for `create_async_engine(..., module=one_hop_dbapi())` on sqlite+aiosqlite."""
    import aiosqlite  # the aiosqlite dialect needs it anyway; imported here so PostgreSQL apps never do

    dbapi: Any = _OneHopDBAPI(aiosqlite, sqlite3)
    return dbapi  # type: ignore[no-any-return]


async def wait_stopped(dbapi: Any, timeout: float) -> None:
    """`Database.aclose()` calls this: let discarded connections' threads finish while the loop still runs."""
    if isinstance(dbapi, _OneHopDBAPI):
        await dbapi.wait_stopped(timeout)
