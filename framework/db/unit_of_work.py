"""The request's unit of work: one session per scope, committed before the response starts.

`RequestSession` creates the session synchronously when something in the request first needs it (an
`AsyncSession()` does no I/O) and registers two scope hooks: `before_response` commits (status < 400) or
rolls back (status >= 400) just before `http.response.start` goes out, so a failed COMMIT still becomes an
error response; `on_exit` rolls back whatever is left (exception, cancellation) and closes the session,
shielded from cancellation, so the connection always goes back to the pool clean.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from framework.db.database import DATABASE_INFO_KEY, WRITE_INFO_KEY, Database
from framework.db.errors import commit_failure_response_error
from framework.di import RequestScope, RequestScoped, current_scope, get_current_scope

__all__ = ["RequestSession", "UnitOfWork", "begin_write", "on_commit", "units_of"]

logger = logging.getLogger("framework.db")

CommitCallback = Callable[[], Awaitable[None] | None]
UNIT_INFO_KEY = "framework.unit_of_work"
# Key of the list of units of work in `RequestScope.cache` (providers are the other keys).
_UNITS_KEY = object()
_READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class UnitOfWork:
    """One session's transaction within a scope, and the callbacks waiting for its commit."""

    __slots__ = ("callbacks", "session")

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.callbacks: list[CommitCallback] = []

    async def before_response(self, status: int) -> None:
        """Commit for a success status, roll back otherwise; a failed commit raises the error response."""
        if status >= 400:
            await self.rollback()
            return
        try:
            await self.commit()
        except Exception as error:
            replacement = commit_failure_response_error(error)
            if replacement is error:
                raise
            raise replacement from error

    async def commit(self) -> None:
        """Commit (rolling back explicitly if COMMIT fails), then run the on-commit callbacks."""
        session = self.session
        if session.in_transaction():
            try:
                await session.commit()
            except BaseException:
                self.callbacks.clear()
                await self._rollback_or_invalidate()
                raise
        callbacks, self.callbacks = self.callbacks, []
        for callback in callbacks:
            try:
                result = callback()
                if result is not None:
                    await result
            except Exception:
                # The data is committed: a failing callback is reported, it does not undo the response.
                logger.exception("on_commit callback %r failed", callback)

    async def rollback(self) -> None:
        """Discard the transaction and the callbacks registered in it."""
        self.callbacks.clear()
        if self.session.in_transaction():
            await self._rollback_or_invalidate()

    async def close(self, exc: BaseException | None) -> None:
        """Scope exit: roll back anything still open (error or cancellation), then release the connection."""
        self.callbacks.clear()
        session = self.session
        try:
            if not session.in_transaction():
                # The usual case (committed before the response): no connection is held, so closing does no
                # I/O and needs no trip through SQLAlchemy's greenlet bridge (~8 µs).
                session.sync_session.close()
                return
            try:
                await self._rollback_or_invalidate()
            finally:
                await session.close()
        finally:
            # session.info -> unit -> session is a reference cycle: break it, so that the session is freed by
            # reference counting rather than by the cyclic collector (whose passes are latency spikes).
            session.info.pop(UNIT_INFO_KEY, None)

    async def _rollback_or_invalidate(self) -> None:
        try:
            await self.session.rollback()
        except Exception:
            # The connection is in an unknown state (e.g. an operation cut short): drop it from the pool.
            logger.warning("Rollback failed; invalidating the connection", exc_info=True)
            await self.session.invalidate()


def units_of(scope: RequestScope) -> list[UnitOfWork]:
    """The units of work opened in `scope`, in creation order."""
    units: list[UnitOfWork] | None = scope.cache.get(_UNITS_KEY)
    return units if units is not None else []


def _scope_writes() -> bool:
    """Whether the current scope's session should begin as a writer: unsafe HTTP methods and background work."""
    scope = get_current_scope()
    asgi_scope = scope.asgi_scope if scope is not None else None
    if asgi_scope is None:
        return True  # background task or script: assume it writes
    if asgi_scope["type"] == "http":
        return asgi_scope["method"] not in _READ_ONLY_METHODS
    return False


def open_request_session(database: Database, write: bool | None = None) -> AsyncSession:
    """The session for the current scope (`write=None`: writer unless the request is GET/HEAD/OPTIONS)."""
    return database.session(write=_scope_writes() if write is None else write)


class RequestSession(RequestScoped[AsyncSession]):
    """Provides the request's `AsyncSession`: one per scope, committed before the response, always closed.

    `session = RequestSession(database)` in a container, `database` being the provider of a `Database`.
    `write=True/False` overrides the choice of a writer (`BEGIN IMMEDIATE` on SQLite) made from the method.
    """

    def __init__(self, database: Any = None, *, write: bool | None = None) -> None:
        if database is None:  # dependency-injector's copy protocol creates an empty provider first
            super().__init__()
        else:
            super().__init__(open_request_session, database, write)

    def on_created(self, instance: Any, scope: RequestScope) -> None:
        unit = UnitOfWork(instance)
        instance.info[UNIT_INFO_KEY] = unit
        scope.before_response(unit.before_response)
        scope.on_exit(unit.close)
        units = scope.cache.get(_UNITS_KEY)
        if units is None:
            scope.cache[_UNITS_KEY] = [unit]
        else:
            units.append(unit)


def unit_of(session: AsyncSession | None) -> UnitOfWork:
    """The unit of work of `session`, or of the current scope's only request session."""
    if session is not None:
        unit = session.info.get(UNIT_INFO_KEY)
        if isinstance(unit, UnitOfWork):
            return unit
        raise RuntimeError(f"{session!r} is not a request session; provide it with framework.db.RequestSession.")
    units = units_of(current_scope())
    if len(units) == 1:
        return units[0]
    if not units:
        raise RuntimeError(
            "No request session in the current scope: resolve a framework.db.RequestSession (e.g. through a "
            "repository) before registering on_commit callbacks or opening a transactional block."
        )
    raise RuntimeError("The current scope has several request sessions; pass session= to choose one.")


def on_commit(callback: CommitCallback, *, session: AsyncSession | None = None) -> None:
    """Run `callback()` (sync or async) after the request's transaction commits; never if it rolls back.

    Failures of the callback are logged; the data is already committed. Use it for side effects that
    must not happen for data that was not stored: sending mail, publishing events, clearing caches. A sync
    callback runs on the event loop, so keep it quick (or schedule the slow part from it).
    """
    if not callable(callback):
        raise TypeError(f"on_commit needs a callable, got {callback!r}.")
    unit_of(session).callbacks.append(callback)


def begin_write(session: AsyncSession) -> None:
    """Make `session`'s next transaction a writer (`BEGIN IMMEDIATE` on SQLite; no effect on PostgreSQL).

    For GET handlers that write: call it before the first query. Raises if the transaction already began as
    a reader, since SQLite cannot take the write lock up front any more at that point.
    """
    if session.info.get(WRITE_INFO_KEY):
        return
    if session.in_transaction():
        raise RuntimeError(
            "begin_write() was called after the session's transaction began as a reader; call it before the "
            "first query (or use RequestSession(database, write=True))."
        )
    database = session.info.get(DATABASE_INFO_KEY)
    if not isinstance(database, Database):
        raise RuntimeError(f"{session!r} was not created by a framework.db.Database.")
    database.mark_writer(session)
