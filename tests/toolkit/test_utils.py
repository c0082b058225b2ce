from __future__ import annotations

import functools
from typing import Any
from unittest.mock import create_autospec

import pytest

from framework._utils import (
    AwaitableOrContextManagerWrapper,
    collapse_excgroups,
    create_collapsing_task_group,
    get_route_path,
    is_async_callable,
    parse_host_header,
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


def test_autospec_of_coroutine_function_is_async() -> None:
    assert is_async_callable(create_autospec(async_func))
    assert not is_async_callable(create_autospec(sync_func))


class _Boom(Exception):
    pass


@pytest.mark.anyio
async def test_collapsing_task_group_reraises_single_error_as_itself() -> None:
    async def fail() -> None:
        raise _Boom("task failed")

    with pytest.raises(_Boom, match="task failed"):
        async with create_collapsing_task_group() as task_group:
            task_group.start_soon(fail)


@pytest.mark.anyio
async def test_collapsing_task_group_keeps_groups_of_several() -> None:
    async def fail() -> None:
        raise _Boom("task failed")

    async def fail_twice() -> None:
        async with create_collapsing_task_group() as task_group:
            task_group.start_soon(fail)
            raise _Boom("body failed")

    with pytest.raises(ExceptionGroup) as caught:
        await fail_twice()
    assert len(caught.value.exceptions) == 2


@pytest.mark.parametrize(
    ("header", "host", "port"),
    [
        ("example.com", "example.com", None),
        ("Example.com:8080", "Example.com", "8080"),
        ("[::1]:443", "[::1]", "443"),
        ("[v1.future]", "[v1.future]", None),
    ],
)
def test_parse_host_header_accepts_authorities(header: str, host: str, port: str | None) -> None:
    parsed = parse_host_header(header)
    assert parsed is not None
    assert (parsed.host, parsed.port) == (host, port)
    assert parsed.is_valid_port


@pytest.mark.parametrize(
    "header", [None, "", "a@b", "a/b", "host:", "host:x", "[::1]x", "[:::]", "::1", "[V1.caps]", "a b"]
)
def test_parse_host_header_refuses_malformed(header: str | None) -> None:
    assert parse_host_header(header) is None


def test_host_port_range_is_checked_without_huge_ints() -> None:
    assert parse_host_header("h:000080").is_valid_port  # type: ignore[union-attr]
    assert not parse_host_header("h:65536").is_valid_port  # type: ignore[union-attr]
    assert not parse_host_header("h:" + "9" * 10_000).is_valid_port  # type: ignore[union-attr]
