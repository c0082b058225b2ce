from __future__ import annotations

import threading
from collections.abc import Iterator

import anyio
import pytest

from framework.concurrency import iterate_in_threadpool, run_in_threadpool, run_until_first_complete
from framework.exceptions import StarletteDeprecationWarning


def _whoami(prefix: str, *, suffix: str = "") -> tuple[str, int]:
    return prefix + suffix, threading.get_ident()


@pytest.mark.anyio
async def test_run_in_threadpool_runs_in_another_thread_with_args() -> None:
    result, ident = await run_in_threadpool(_whoami, "a", suffix="b")
    assert result == "ab"
    assert ident != threading.get_ident()


@pytest.mark.anyio
async def test_run_in_threadpool_positional_only() -> None:
    assert await run_in_threadpool(sorted, [3, 1, 2]) == [1, 2, 3]


@pytest.mark.anyio
async def test_run_in_threadpool_propagates_exceptions() -> None:
    def boom() -> None:
        raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        await run_in_threadpool(boom)


@pytest.mark.anyio
async def test_iterate_in_threadpool_yields_all_items_in_order() -> None:
    threads: list[int] = []

    def gen() -> Iterator[int]:
        for i in range(5):
            threads.append(threading.get_ident())
            yield i

    assert [item async for item in iterate_in_threadpool(gen())] == [0, 1, 2, 3, 4]
    assert threading.get_ident() not in threads


@pytest.mark.anyio
async def test_iterate_in_threadpool_accepts_iterables() -> None:
    assert [item async for item in iterate_in_threadpool(["a", "b"])] == ["a", "b"]
    empty: list[str] = []
    assert [item async for item in iterate_in_threadpool(empty)] == []


@pytest.mark.anyio
async def test_iterate_in_threadpool_stop_iteration_from_iterator_ends_cleanly() -> None:
    class Countdown:
        def __init__(self) -> None:
            self.n = 2

        def __iter__(self) -> Countdown:
            return self

        def __next__(self) -> int:
            if self.n == 0:
                raise StopIteration
            self.n -= 1
            return self.n

    assert [item async for item in iterate_in_threadpool(Countdown())] == [1, 0]


@pytest.mark.anyio
async def test_iterate_in_threadpool_propagates_errors() -> None:
    def gen() -> Iterator[int]:
        yield 1
        raise ValueError("broken")

    iterator = iterate_in_threadpool(gen())
    assert await iterator.__anext__() == 1
    with pytest.raises(ValueError, match="broken"):
        await iterator.__anext__()


@pytest.mark.anyio
async def test_run_until_first_complete_cancels_the_rest() -> None:
    finished: list[str] = []

    async def quick(label: str) -> None:
        finished.append(label)

    async def slow(label: str) -> None:
        await anyio.sleep(10)
        finished.append(label)  # pragma: no cover - cancelled first

    with pytest.warns(StarletteDeprecationWarning, match="run_until_first_complete is deprecated"):
        with anyio.fail_after(5):
            await run_until_first_complete((slow, {"label": "slow"}), (quick, {"label": "quick"}))
    assert finished == ["quick"]
