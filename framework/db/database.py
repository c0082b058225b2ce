"""`Database`: one engine and its session factories, configured for correct transactions on each backend."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from sqlalchemy import MetaData
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from framework.db.sqlite import BEGIN_MODE_OPTION, configure_sqlite, install_clean_check_in
from framework.db.sqlite_driver import one_hop_dbapi, wait_stopped

__all__ = ["DATABASE_INFO_KEY", "WRITE_INFO_KEY", "Database"]

# Keys in `AsyncSession.info`: the Database a session came from, and whether it was opened as a writer.
DATABASE_INFO_KEY = "framework.database"
WRITE_INFO_KEY = "framework.write"


def _sqlite_engine_options(url: URL, options: dict[str, Any]) -> dict[str, Any]:
    """Defaults that cut worker-thread hand-offs on SQLite; options passed explicitly win.

    On aiosqlite: the one-hop adaptation (`framework.db.sqlite_driver`). Everywhere: no unconditional
    rollback when a connection returns to the pool (`install_clean_check_in` rolls back only what is open).
    """
    options = {"pool_reset_on_return": None, **options}
    if url.get_driver_name() == "aiosqlite" and "module" not in options:
        options["module"] = one_hop_dbapi()
    if _is_file(url) and not _POOL_OPTIONS.intersection(options):
        options.update(_SQLITE_POOL)
    return options


# A file database serves one writer at a time, and every connection is a thread of its own contending for the
# GIL: beyond two connections, more only adds thread switches and writers sleeping in SQLite's busy handler.
# Measured under uvicorn with 32 concurrent clients (docs/database.md): two connections and no overflow
# against SQLAlchemy's 5 + 10 gave 31% more reads/s and 11% more writes/s, with the writes' p99 latency
# falling from 870 to 36 ms. Requests beyond two wait for a connection in the pool's queue (`pool_timeout`).
_SQLITE_POOL = {"pool_size": 2, "max_overflow": 0}
_POOL_OPTIONS = frozenset(("poolclass", "pool", "pool_size", "max_overflow"))


def _is_file(url: URL) -> bool:
    database = url.database or ""
    return database not in ("", ":memory:") and url.query.get("mode") != "memory"


class Database:
    """The application's database: an `AsyncEngine` plus session factories; create one per process.

    `url` is a SQLAlchemy URL (`sqlite+aiosqlite:///./app.db`, `postgresql+asyncpg://user@host/db`); other
    keyword arguments go to `create_async_engine`. On SQLite the connections get WAL, a busy timeout
    (`busy_timeout` seconds), foreign keys on, and real BEGIN/SAVEPOINT/COMMIT; sessions opened with
    `write=True` begin `IMMEDIATE`, taking the write lock before their first read. Dispose it when the
    application stops (`await database.aclose()`; create_app's lifespan does it for a container Singleton).
    """

    url: URL
    engine: AsyncEngine

    def __init__(self, url: str | URL, *, busy_timeout: float = 5.0, **engine_options: Any) -> None:
        self.url = make_url(url)
        self._busy_timeout = busy_timeout
        if self.is_sqlite:
            engine_options = _sqlite_engine_options(self.url, engine_options)
        self.engine = create_async_engine(self.url, **engine_options)
        writer = self.engine
        if self.is_sqlite:
            configure_sqlite(self.engine.sync_engine, busy_timeout=busy_timeout)
            if engine_options["pool_reset_on_return"] is None:
                install_clean_check_in(self.engine.sync_engine)
            writer = self.engine.execution_options(**{BEGIN_MODE_OPTION: "IMMEDIATE"})
        self._set_binds(self.engine, writer)

    def _set_binds(
        self, reader: AsyncEngine | AsyncConnection, writer: AsyncEngine | AsyncConnection, **kw: Any
    ) -> None:
        """Build the two session factories; a test database binds both to one connection."""
        self.sessionmaker = async_sessionmaker(
            reader, expire_on_commit=False, info={DATABASE_INFO_KEY: self, WRITE_INFO_KEY: False}, **kw
        )
        self._writer_sessionmaker = async_sessionmaker(
            writer, expire_on_commit=False, info={DATABASE_INFO_KEY: self, WRITE_INFO_KEY: True}, **kw
        )
        self._writer_bind = writer

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url.render_as_string(hide_password=True)!r})"

    @property
    def is_sqlite(self) -> bool:
        """Whether this is a SQLite database (one writer at a time; BEGIN IMMEDIATE for writers)."""
        return self.url.get_backend_name() == "sqlite"

    def session(self, *, write: bool = False) -> AsyncSession:
        """A new session; no I/O happens until it is used. `write=True` begins IMMEDIATE on SQLite."""
        factory: async_sessionmaker[AsyncSession] = self._writer_sessionmaker if write else self.sessionmaker
        return factory()

    def mark_writer(self, session: AsyncSession) -> None:
        """Make a session that has not begun yet begin as a writer (see `framework.db.begin_write`)."""
        session.sync_session.bind = (
            self._writer_bind.sync_engine
            if isinstance(self._writer_bind, AsyncEngine)
            else self._writer_bind.sync_connection
        )
        session.info[WRITE_INFO_KEY] = True

    async def create_all(self, metadata: MetaData) -> None:
        """Create the tables of `metadata` that do not exist (tests and examples; apps use migrations)."""
        async with self.engine.begin() as connection:
            await connection.run_sync(metadata.create_all)

    async def drop_all(self, metadata: MetaData) -> None:
        """Drop the tables of `metadata` (tests)."""
        async with self.engine.begin() as connection:
            await connection.run_sync(metadata.drop_all)

    async def aclose(self) -> None:
        """Close every pooled connection; the engine reconnects if it is used again."""
        await self.engine.dispose()
        # Connections discarded after a cancellation may still be finishing on their threads.
        await wait_stopped(self.engine.dialect.dbapi, self._busy_timeout + 1.0)

    dispose = aclose

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
