"""What a database error means for the client: a conflict (409), a transient failure (503), or a bug (500).

Unique and exclusion violations are conflicts the client can resolve. Other integrity errors (a foreign key,
NOT NULL or CHECK failing) mean the application let invalid data through: a server error. Serialization
failures, deadlocks, lock timeouts and SQLite's "database is locked" are transient: retrying the whole unit
of work can succeed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from framework.exceptions import HTTPException
from framework.problems import problem_response
from framework.requests import Request
from framework.responses import Response

__all__ = [
    "commit_failure_response_error",
    "database_exception_handlers",
    "is_conflict",
    "is_transient",
    "service_unavailable",
]

# PostgreSQL SQLSTATEs.
_CONFLICT_STATES = frozenset({"23505", "23P01"})  # unique_violation, exclusion_violation
_TRANSIENT_STATES = frozenset({"40001", "40P01", "55P03"})  # serialization_failure, deadlock, lock_not_available
_SQLITE_TRANSIENT = ("database is locked", "database table is locked", "database is busy")


def _sqlstate(error: DBAPIError) -> str | None:
    original = error.orig
    for candidate in (original, getattr(original, "__cause__", None)):
        state = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if isinstance(state, str):
            return state
    return None


def is_conflict(error: BaseException) -> bool:
    """A uniqueness (or exclusion) constraint refused the change: 409 Conflict."""
    if not isinstance(error, IntegrityError):
        return False
    state = _sqlstate(error)
    if state is not None:
        return state in _CONFLICT_STATES
    return "UNIQUE constraint failed" in str(error.orig)


def is_transient(error: BaseException) -> bool:
    """Retrying the unit of work may succeed: serialization failure, deadlock, lock timeout, SQLite busy."""
    if not isinstance(error, DBAPIError) or isinstance(error, IntegrityError):
        return False
    state = _sqlstate(error)
    if state is not None:
        return state in _TRANSIENT_STATES
    message = str(error.orig).lower()
    return any(text in message for text in _SQLITE_TRANSIENT)


def service_unavailable() -> HTTPException:
    """The 503 for a unit of work that kept failing transiently; the client may retry."""
    return HTTPException(
        503, detail="The database is busy; nothing was saved. Try again.", headers={"Retry-After": "1"}
    )


def commit_failure_response_error(error: Exception) -> Exception:
    """The exception that turns a failed COMMIT into its error response (the original one means 500)."""
    if is_conflict(error):
        return HTTPException(409, detail="The change conflicts with existing data; nothing was saved.")
    if is_transient(error):
        return service_unavailable()
    return error


async def _database_error_handler(request: Request, exc: Exception) -> Response:
    """Render a database error raised by a handler (usually at a flush): 409, 503, or re-raise for a 500."""
    if is_conflict(exc):
        return problem_response(409, detail="The change conflicts with existing data.", instance=request.url.path)
    if is_transient(exc):
        error = service_unavailable()
        return problem_response(503, detail=error.detail, headers=error.headers, instance=request.url.path)
    raise exc


def database_exception_handlers() -> dict[Any, Callable[[Request, Exception], Awaitable[Response]]]:
    """Exception handlers (`create_app(..., exception_handlers=...)`) for database errors raised in handlers.

    A duplicate caught at flush time becomes 409 and a lock timeout 503, as they would at commit time; any
    other database error stays a 500.
    """
    return {IntegrityError: _database_error_handler, OperationalError: _database_error_handler}
