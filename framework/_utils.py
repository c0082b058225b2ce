"""Small helpers shared across toolkit modules (not public API)."""

from __future__ import annotations

import functools
import ipaddress
import re
import sys
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeGuard, TypeVar, overload

import anyio
import anyio.abc

from framework.types import Scope

if sys.version_info >= (3, 13):
    from inspect import iscoroutinefunction
else:
    # Before 3.13 only asyncio's version recognises mocks marked as coroutines (AsyncMock, create_autospec).
    from asyncio import iscoroutinefunction

__all__ = [
    "AwaitableOrContextManager",
    "AwaitableOrContextManagerWrapper",
    "ParsedHost",
    "SupportsAsyncClose",
    "collapse_excgroups",
    "create_collapsing_task_group",
    "get_route_path",
    "is_async_callable",
    "parse_host_header",
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
    if iscoroutinefunction(obj):
        return True
    call = getattr(obj, "__call__", None)  # noqa: B004 - we need the attribute itself, not callable()
    return callable(obj) and iscoroutinefunction(call)


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


@asynccontextmanager
async def create_collapsing_task_group() -> AsyncGenerator[anyio.abc.TaskGroup, None]:
    """A task group that re-raises a lone failure as itself instead of inside an ExceptionGroup.

    The exception keeps its own cause/context, so tracebacks read as if no task group were involved.
    Groups of two or more failures are re-raised unchanged: no single one of them is "the" error.
    """
    try:
        async with anyio.create_task_group() as task_group:
            yield task_group
    except BaseExceptionGroup as group:
        if len(group.exceptions) != 1:
            raise
        (exc,) = group.exceptions
        cause = exc.__cause__
        if cause is None and not exc.__suppress_context__:
            cause = exc.__context__
        raise exc from cause


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


# RFC 3986 authority without userinfo: a reg-name (or IPv4), a bracketed IPv6 or IPvFuture literal, and
# an optional numeric port. Anything else (slashes, "@", spaces, a bare ":") could move the authority or
# the path of URLs built from the header, so it is refused outright.
_HOST_HEADER = re.compile(
    r"(?P<host>[A-Za-z0-9._~%!$&'()*+,;=-]+"
    r"|\[(?P<ipv6>[0-9A-Fa-f]*:[0-9A-Fa-f.:]+)\]"
    r"|\[v[0-9A-Fa-f]+\.[A-Za-z0-9._~!$&'()*+,;=:-]+\])"
    r"(?::(?P<port>[0-9]+))?"
)


@dataclass(frozen=True, slots=True)
class ParsedHost:
    """A syntactically valid Host header: `host` keeps an IP literal's brackets, `port` is the digits or None."""

    host: str
    port: str | None

    @property
    def authority(self) -> str:
        return self.host if self.port is None else f"{self.host}:{self.port}"

    @property
    def is_valid_port(self) -> bool:
        if self.port is None:
            return True
        # Leading zeros are allowed ("080"); the length check keeps int() away from huge digit strings.
        significant = self.port.lstrip("0")
        return len(significant) <= 5 and int(significant or "0") <= 65535


def parse_host_header(value: str | None) -> ParsedHost | None:
    """Split a Host header into host and port; None when it is missing or not a valid authority."""
    if value is None:
        return None
    match = _HOST_HEADER.fullmatch(value)
    if match is None:
        return None
    if match["ipv6"] is not None:
        try:
            ipaddress.IPv6Address(match["ipv6"])
        except ValueError:
            return None
    return ParsedHost(match["host"], match["port"])
