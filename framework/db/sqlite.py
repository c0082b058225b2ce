"""SQLite connections whose BEGIN, SAVEPOINT and COMMIT are real, and writers that lock up front.

pysqlite's legacy transaction control (which aiosqlite inherits) opens transactions behind SQLAlchemy's back:
released savepoints survive an outer rollback and concurrent read-modify-write loses updates silently. So
the driver is put in autocommit mode on connect and SQLAlchemy's "begin" event emits the BEGIN itself:
`BEGIN IMMEDIATE` for connections marked as writers (the write lock is taken before the first read, so two
writers serialise instead of failing on a lock upgrade), `BEGIN` (deferred) for readers.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

__all__ = ["BEGIN_MODE_OPTION", "configure_sqlite"]

# Execution option carrying "IMMEDIATE" or "DEFERRED" from a session's bind to the begin event.
BEGIN_MODE_OPTION = "framework_sqlite_begin"
_MODES = frozenset({"DEFERRED", "IMMEDIATE", "EXCLUSIVE"})


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
        if mode not in _MODES:
            raise ValueError(f"{BEGIN_MODE_OPTION} must be one of {sorted(_MODES)}, got {mode!r}.")
        connection.exec_driver_sql(f"BEGIN {mode}")

    event.listen(engine, "connect", on_connect)
    event.listen(engine, "begin", on_begin)
