from __future__ import annotations

import functools
from typing import Any

import pytest

from framework._utils import (
    AwaitableOrContextManagerWrapper,
    collapse_excgroups,
    get_route_path,
    is_async_callable,
)


async def async_func() -> None: ...


def sync_func() -> None: ...


class AsyncCallable:
    async def __call__(self) -> None: ...


class SyncCallable:
    def __call__(self) -> None: ...


class WithMethods:
    async def async_method(self) -> None: ...

    def sync_method(self) -> None: ...


def test_is_async_callable_functions() -> None:
    assert is_async_callable(async_func)
    assert not is_async_callable(sync_func)
    assert not is_async_callable(None)
    assert not is_async_callable("text")


def test_is_async_callable_objects_and_methods() -> None:
    assert is_async_callable(AsyncCallable())
    assert not is_async_callable(SyncCallable())
    assert is_async_callable(WithMethods().async_method)
    assert not is_async_callable(WithMethods().sync_method)


def test_is_async_callable_sees_through_partials() -> None:
    assert is_async_callable(functools.partial(async_func))
    assert is_async_callable(functools.partial(functools.partial(async_func)))
    assert is_async_callable(functools.partial(AsyncCallable()))
    assert not is_async_callable(functools.partial(sync_func))


def test_is_async_callable_lambda() -> None:
    assert not is_async_callable(lambda: None)


@pytest.mark.parametrize(
    ("path", "root_path", "expected"),
    [
        ("/users", "", "/users"),
        ("/api/users", "/api", "/users"),
        ("/api", "/api", ""),
        ("/api/", "/api", "/"),
        ("/apiary", "/api", "/apiary"),
        ("/other", "/api", "/other"),
        ("/", "/", ""),
    ],
)
def test_get_route_path(path: str, root_path: str, expected: str) -> None:
    scope: dict[str, Any] = {"path": path, "root_path": root_path}
    assert get_route_path(scope) == expected


def test_get_route_path_without_root_path_key() -> None:
    assert get_route_path({"path": "/x"}) == "/x"


def test_collapse_excgroups_unwraps_single_exception() -> None:
    with pytest.raises(ValueError, match="inner"), collapse_excgroups():
        raise ExceptionGroup("group", [ExceptionGroup("nested", [ValueError("inner")])])


def test_collapse_excgroups_keeps_multi_exception_groups() -> None:
    with pytest.raises(ExceptionGroup) as info, collapse_excgroups():
        raise ExceptionGroup("group", [ValueError("a"), KeyError("b")])
    assert len(info.value.exceptions) == 2


def test_collapse_excgroups_passes_plain_exceptions_and_success() -> None:
    with pytest.raises(RuntimeError, match="plain"), collapse_excgroups():
        raise RuntimeError("plain")
    with collapse_excgroups():
        value = 1
    assert value == 1


class _Closable:
    def __init__(self) -> None:
        self.closed = False

    async def close(self) -> None:
        self.closed = True


async def _make() -> _Closable:
    return _Closable()


@pytest.mark.anyio
async def test_awaitable_or_context_manager_wrapper_await() -> None:
    thing = await AwaitableOrContextManagerWrapper(_make())
    assert isinstance(thing, _Closable)
    assert not thing.closed


@pytest.mark.anyio
async def test_awaitable_or_context_manager_wrapper_async_with_closes() -> None:
    async with AwaitableOrContextManagerWrapper(_make()) as thing:
        assert not thing.closed
    assert thing.closed
