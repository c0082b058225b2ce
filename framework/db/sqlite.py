"""SQLite connections whose BEGIN, SAVEPOINT and COMMIT are real, and writers that lock up front.

pysqlite's legacy transaction control (which aiosqlite inherits) opens transactions behind SQLAlchemy's back:
released savepoints survive an outer rollback and concurrent read-modify-write loses updates silently. So
the driver is put in autocommit mode on connect and SQLAlchemy's "begin" event emits the BEGIN itself:
`BEGIN IMMEDIATE` for connections marked as writers (the write lock is taken before the first read, so two
writers serialise instead of failing on a lock upgrade), `BEGIN` (deferred) for readers. On the one-hop
aiosqlite adaptation (`framework.db.sqlite_driver`) that BEGIN rides along with the transaction's first
statement instead of costing hand-offs of its own.

The pool's rollback-on-return is replaced by a check-in hook that rolls back only a transaction that is
really open: a unit of work always ends its transaction itself, so the usual unconditional ROLLBACK would be
one more wasted hand-off per request.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import PoolResetState

__all__ = ["BEGIN_MODE_OPTION", "configure_sqlite", "install_clean_check_in"]

# Execution option carrying "IMMEDIATE" or "DEFERRED" from a session's bind to the begin event.
BEGIN_MODE_OPTION = "framework_sqlite_begin"
_MODES = frozenset({"DEFERRED", "IMMEDIATE", "EXCLUSIVE"})
_BEGIN_STATEMENTS = {mode: f"BEGIN {mode}" for mode in _MODES}


def configure_sqlite(
    engine: Engine, *, busy_timeout: float = 5.0, foreign_keys: bool = True, journal_mode: str | None = "WAL"
) -> None:
    """Install the connect and begin hooks on a (sync) SQLite engine.

    `busy_timeout` (seconds) is how long a writer waits for the lock; WAL keeps readers off the writer's lock.
    """
    pragmas = [f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}"]
    if journal_mode:
        pragmas.append(f"PRAGMA journal_mode = {journal_mode}")
    pragmas.append(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")

    def on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        # None = the driver never emits BEGIN/COMMIT on its own; SQLAlchemy's begin event does.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            for pragma in pragmas:
                cursor.execute(pragma)
        finally:
            cursor.close()

    def on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(BEGIN_MODE_OPTION, "DEFERRED")
        statement = _BEGIN_STATEMENTS.get(mode)
        if statement is None:
            raise ValueError(f"{BEGIN_MODE_OPTION} must be one of {sorted(_MODES)}, got {mode!r}.")
        defer_begin = getattr(connection.connection.dbapi_connection, "defer_begin", None)
        if defer_begin is not None:
            defer_begin(statement)  # run with the first statement, in its hand-off
        else:
            connection.exec_driver_sql(statement)

    event.listen(engine, "connect", on_connect)
    event.listen(engine, "begin", on_begin)


def install_clean_check_in(engine: Engine) -> None:
    """Roll back on check-in only a transaction that is really open; pair with `pool_reset_on_return=None`.

    The pool's default reset issues a ROLLBACK for every returned connection, even one whose transaction
    was just committed. On the one-hop adaptation the driver says whether a transaction is open without a
    hand-off; on any other connection this falls back to the plain rollback.
    """

    def on_reset(dbapi_connection: Any, connection_record: Any, reset_state: PoolResetState) -> None:
        if reset_state.terminate_only or not reset_state.asyncio_safe:
            return  # the connection is being discarded, or there is no event loop to talk to it from
        reset = getattr(dbapi_connection, "reset_transaction", None)
        if reset is not None:
            reset()
        elif not reset_state.transaction_was_reset:
            dbapi_connection.rollback()

    event.listen(engine, "reset", on_reset)
