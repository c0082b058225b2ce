"""Test databases: a transaction rolled back after each test, or a fresh SQLite file per test.

Both give a `Database` to put into the container in place of the real one (`overrides(container,
database=test_db)`), so the code under test runs unchanged.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, create_engine
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection

from framework.db.database import Database
from framework.db.sqlite import BEGIN_MODE_OPTION

__all__ = ["sqlite_test_database", "transactional_database"]


class _ConnectionDatabase(Database):
    """A Database whose sessions all join one connection's open transaction through savepoints."""

    def __init__(self, parent: Database, connection: AsyncConnection) -> None:
        self.url = parent.url
        self.engine = parent.engine
        self.connection = connection
        # A request "commit" releases a savepoint; the test's outer transaction is never committed.
        self._set_binds(connection, connection, join_transaction_mode="create_savepoint")

    async def aclose(self) -> None:
        """Nothing to do: `transactional_database` owns the connection and the engine."""


@asynccontextmanager
async def transactional_database(
    database: Database | str | URL, metadata: MetaData | None = None
) -> AsyncIterator[Database]:
    """A Database whose every session runs inside one outer transaction, rolled back on exit.

    With `metadata`, the tables are created inside that transaction (DDL is transactional on PostgreSQL and
    on SQLite), so they vanish with it too. Requests in the test share one connection: run them one at a
    time. Deferred constraints are only checked by a real COMMIT, which never happens here: test commit
    failures with `sqlite_test_database` or a real database instead.
    """
    owned = not isinstance(database, Database)
    parent = Database(database) if not isinstance(database, Database) else database
    try:
        async with parent.engine.connect() as connection:
            if parent.is_sqlite:
                await connection.execution_options(**{BEGIN_MODE_OPTION: "IMMEDIATE"})
            transaction = await connection.begin()
            try:
                if metadata is not None:
                    await connection.run_sync(metadata.create_all)
                yield _ConnectionDatabase(parent, connection)
            finally:
                if transaction.is_active:
                    await transaction.rollback()
    finally:
        if owned:
            await parent.aclose()


def sqlite_test_database(path: str | Path, metadata: MetaData | None = None, **options: Any) -> Database:
    """A Database on a new SQLite file at `path` (e.g. `tmp_path / "test.db"`), its tables already created.

    Synchronous, so sync tests with `TestClient` can use it: the tables are created with the standard
    library driver and no connection is left in the pool, so the app's own event loop opens the first one.
    """
    path = Path(path)
    if path.exists():
        raise FileExistsError(f"{path} exists; sqlite_test_database wants a new file (use tmp_path).")
    if metadata is not None:
        engine = create_engine(f"sqlite:///{path}")
        try:
            with engine.begin() as connection:
                metadata.create_all(connection)
        finally:
            engine.dispose()
    return Database(f"sqlite+aiosqlite:///{path}", **options)
