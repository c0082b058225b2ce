"""Small helpers shared across toolkit modules (not public API)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Generator
from contextlib import AbstractAsyncContextManager, contextmanager
from typing import Any, Generic, Protocol, TypeGuard, TypeVar, overload

from framework.types import Scope

__all__ = [
    "AwaitableOrContextManager",
    "AwaitableOrContextManagerWrapper",
    "SupportsAsyncClose",
    "collapse_excgroups",
    "get_route_path",
    "is_async_callable",
]

T = TypeVar("T")
AwaitableCallable = Callable[..., Awaitable[T]]


@overload
def is_async_callable(obj: AwaitableCallable[T]) -> TypeGuard[AwaitableCallable[T]]: ...


@overload
def is_async_callable(obj: Any) -> TypeGuard[AwaitableCallable[Any]]: ...


def is_async_callable(obj: Any) -> Any:
    """Tell coroutine functions apart from sync ones, so callers know whether to await or offload.

    Meant for set-up time (routes, handlers, tasks), not per request: it uses `inspect`.
    """
    while isinstance(obj, functools.partial):
        obj = obj.func
    if inspect.iscoroutinefunction(obj):
        return True
    call = getattr(obj, "__call__", None)  # noqa: B004 - we need the attribute itself, not callable()
    return callable(obj) and inspect.iscoroutinefunction(call)


T_co = TypeVar("T_co", covariant=True)


class AwaitableOrContextManager(Awaitable[T_co], AbstractAsyncContextManager[T_co], Protocol[T_co]):
    """Something that can be awaited or used with `async with` (e.g. a connection helper)."""


class SupportsAsyncClose(Protocol):
    async def close(self) -> None: ...  # pragma: no cover


SupportsAsyncCloseType = TypeVar("SupportsAsyncCloseType", bound=SupportsAsyncClose, covariant=False)


class AwaitableOrContextManagerWrapper(Generic[SupportsAsyncCloseType]):
    """Let one call be used both as `await x()` and `async with x() as y:` (closing `y` on exit)."""

    __slots__ = ("aw", "entered")

    def __init__(self, aw: Awaitable[SupportsAsyncCloseType]) -> None:
        self.aw = aw

    def __await__(self) -> Generator[Any, None, SupportsAsyncCloseType]:
        return self.aw.__await__()

    async def __aenter__(self) -> SupportsAsyncCloseType:
        self.entered = await self.aw
        return self.entered

    async def __aexit__(self, *args: Any) -> bool | None:
        await self.entered.close()
        return None


@contextmanager
def collapse_excgroups() -> Generator[None, None, None]:
    """Re-raise the lone exception of a task-group `ExceptionGroup`, so handlers see the real error.

    anyio task groups wrap even a single failure in a group; user code and exception handlers
    expect the original exception type.
    """
    try:
        yield
    except BaseException as exc:
        while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
            exc = exc.exceptions[0]
        raise exc


def get_route_path(scope: Scope) -> str:
    """Return the path the router should match: `scope["path"]` without the `root_path` prefix.

    ASGI puts the full path (root_path included) in `scope["path"]`; a prefix only counts when it
    ends on a segment boundary, so root_path "/api" does not strip "/apiary".
    """
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    if not root_path or not path.startswith(root_path):
        return path
    if len(path) == len(root_path):
        return ""
    if path[len(root_path)] == "/":
        return path[len(root_path) :]
    return path
