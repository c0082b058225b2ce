"""Run blocking code from async code without stalling the event loop."""

from __future__ import annotations

import functools
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from typing import Any, ParamSpec, TypeVar

import anyio
import anyio.to_thread

from framework.exceptions import StarletteDeprecationWarning

__all__ = ["iterate_in_threadpool", "run_in_threadpool", "run_until_first_complete"]

P = ParamSpec("P")
T = TypeVar("T")


async def run_until_first_complete(*args: tuple[Callable[..., Awaitable[Any]], dict[str, Any]]) -> None:
    """Run each `(func, kwargs)` concurrently and cancel the rest as soon as one returns.

    Deprecated (as in Starlette): a task group with an explicit cancel says the same thing more clearly.
    """
    warnings.warn(
        "run_until_first_complete is deprecated and will be removed in a future version.",
        StarletteDeprecationWarning,
        stacklevel=2,
    )
    async with anyio.create_task_group() as task_group:

        async def run_then_cancel(func: Callable[[], Awaitable[Any]]) -> None:
            await func()
            task_group.cancel_scope.cancel()

        for func, kwargs in args:
            task_group.start_soon(run_then_cancel, functools.partial(func, **kwargs))


async def run_in_threadpool(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Call a blocking `func` in anyio's worker thread pool and await its result."""
    if kwargs:
        # anyio's run_sync only forwards positional arguments.
        return await anyio.to_thread.run_sync(functools.partial(func, *args, **kwargs))
    return await anyio.to_thread.run_sync(func, *args)


class _StopIteration(Exception):
    """Carries the end of iteration out of the worker thread.

    A `StopIteration` cannot cross a coroutine boundary: Python turns it into a RuntimeError.
    """


def _next(iterator: Iterator[T]) -> T:
    try:
        return next(iterator)
    except StopIteration:
        raise _StopIteration from None


async def iterate_in_threadpool(iterator: Iterable[T]) -> AsyncIterator[T]:
    """Consume a blocking iterable item by item in the thread pool, as an async iterator."""
    as_iterator = iter(iterator)
    while True:
        try:
            yield await anyio.to_thread.run_sync(_next, as_iterator)
        except _StopIteration:
            break
