"""`retryable`: re-run a whole unit of work when the database says "try again", a bounded number of times.

A serialization failure or deadlock (PostgreSQL) or a lock that could not be taken (SQLite "database is
locked", PostgreSQL lock timeout) aborts the whole transaction, so only re-running everything from its start
helps. The decorated function therefore owns the request's transaction: it commits when the function returns
(and the commit is retried with it), and after the last attempt the client gets 503 with Retry-After.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar, overload

import anyio

from framework._utils import is_async_callable
from framework.db.errors import is_transient, service_unavailable
from framework.db.unit_of_work import UnitOfWork, units_of
from framework.di import get_current_scope

__all__ = ["retryable"]

P = ParamSpec("P")
R = TypeVar("R")


@overload
def retryable(func: Callable[P, Awaitable[R]], /) -> Callable[P, Awaitable[R]]: ...


@overload
def retryable(
    *, attempts: int = 3, backoff: float = 0.02
) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]: ...


def retryable(func: Any = None, /, *, attempts: int = 3, backoff: float = 0.02) -> Any:
    """Mark an async handler or service method as safe to re-run on transient database failures.

    Use it bare (`@retryable`) or with options (`@retryable(attempts=5)`). Each retry rolls the request's
    sessions back, waits a jittered exponential `backoff` (seconds) and calls the function again; after
    `attempts` failed tries it raises a 503 `HTTPException`. The function must be safe to repeat (no side
    effects outside the database; put those in `on_commit`). Nested inside a running transaction (a retryable
    method called from a retryable handler) it just runs: the outermost owner retries.
    """
    if attempts < 1:
        raise ValueError(f"retryable(attempts=...) must be at least 1, got {attempts}.")

    def decorate(function: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        if not is_async_callable(function):
            raise TypeError(f"@retryable needs an async function; {function!r} is not one.")

        @functools.wraps(function)
        async def run_with_retries(*args: P.args, **kwargs: P.kwargs) -> R:
            scope = get_current_scope()
            if scope is None or any(unit.session.in_transaction() for unit in units_of(scope)):
                return await function(*args, **kwargs)
            for attempt in range(1, attempts + 1):
                try:
                    result = await function(*args, **kwargs)
                    for unit in units_of(scope):
                        await unit.commit()
                    return result
                except Exception as error:
                    await _rollback_all(units_of(scope))
                    if not is_transient(error):
                        raise
                    if attempt == attempts:
                        raise service_unavailable() from error
                # Jitter spreads the retries of requests that collided so they do not collide again.
                await anyio.sleep(backoff * 2 ** (attempt - 1) * (0.5 + random.random()))
            raise AssertionError("unreachable")  # pragma: no cover

        return run_with_retries

    if func is not None:
        return decorate(func)
    return decorate


async def _rollback_all(units: list[UnitOfWork]) -> None:
    for unit in units:
        await unit.rollback()
