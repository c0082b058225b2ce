from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from framework.background import BackgroundTask, BackgroundTasks
from framework.responses import PlainTextResponse
from framework.testclient import TestClient
from framework.types import Receive, Scope, Send


@pytest.mark.anyio
async def test_async_task_runs_with_arguments() -> None:
    calls: list[tuple[int, str]] = []

    async def record(number: int, *, label: str) -> None:
        calls.append((number, label))

    task = BackgroundTask(record, 1, label="one")
    assert task.is_async
    assert task.func is record
    assert task.args == (1,)
    assert task.kwargs == {"label": "one"}
    await task()
    assert calls == [(1, "one")]


@pytest.mark.anyio
async def test_sync_task_runs_in_threadpool() -> None:
    seen: list[int] = []

    def record() -> None:
        seen.append(threading.get_ident())

    task = BackgroundTask(record)
    assert not task.is_async
    await task()
    assert len(seen) == 1
    assert seen[0] != threading.get_ident()


@pytest.mark.anyio
async def test_background_tasks_run_sequentially_in_order() -> None:
    order: list[str] = []

    async def first(name: str) -> None:
        order.append(name)

    def second(name: str) -> None:
        order.append(name)

    tasks = BackgroundTasks()
    tasks.add_task(first, "a")
    tasks.add_task(second, name="b")
    tasks.add_task(first, "c")
    await tasks()
    assert order == ["a", "b", "c"]


@pytest.mark.anyio
async def test_background_tasks_from_list_and_stop_on_error() -> None:
    order: list[str] = []

    async def ok() -> None:
        order.append("ok")

    async def fail() -> None:
        raise RuntimeError("task failed")

    tasks = BackgroundTasks([BackgroundTask(ok), BackgroundTask(fail), BackgroundTask(ok)])
    assert len(tasks.tasks) == 3
    with pytest.raises(RuntimeError, match="task failed"):
        await tasks()
    assert order == ["ok"]


@pytest.mark.anyio
async def test_empty_background_tasks() -> None:
    tasks = BackgroundTasks()
    assert tasks.tasks == []
    await tasks()


def test_tasks_run_after_the_response_is_sent(test_client_factory: Callable[..., TestClient]) -> None:
    events: list[str] = []

    async def notify(name: str) -> None:
        events.append(f"task {name}")

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        tasks = BackgroundTasks()
        tasks.add_task(notify, "a")
        tasks.add_task(notify, "b")
        response = PlainTextResponse("done", background=tasks)
        await response(scope, receive, send)
        events.append("app returned")

    client = test_client_factory(app)
    response = client.get("/")
    assert response.status_code == 200
    assert response.text == "done"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert events == ["task a", "task b", "app returned"]
