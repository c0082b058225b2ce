"""Live updates across worker processes: with REDIS_URL, every worker's watchers see every worker's commits.

Each "worker" is an app of its own (own container, feed, relay and database engine) on the same SQLite file and
the same Redis, as uvicorn's worker processes would be. Every test uses a channel prefix of its own.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest
import redis

from example_app.app import build_app
from example_app.container import Container
from example_app.domain.schemas import TaskEvent
from example_app.services.live import TaskFeed
from example_app.services.relay import RedisTaskRelay, RedisUnavailable
from example_app.settings import AppSettings
from framework.db import Database
from framework.testclient import TestClient
from framework.testing import overrides
from tests.example_app.conftest import PASSWORD

Workers = tuple[TestClient, TestClient]


@pytest.fixture
def redis_settings(settings: AppSettings, redis_url: str) -> AppSettings:
    prefix = f"test-{uuid.uuid4().hex}"
    return settings.model_copy(update={"redis_url": redis_url, "redis_channel_prefix": prefix})


@pytest.fixture
def channel(redis_settings: AppSettings) -> str:
    return f"{redis_settings.redis_channel_prefix}:task-events"


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    """A plain client of the test Redis, to watch and write the channel from outside the apps."""
    client = redis.Redis.from_url(redis_url)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def workers(redis_settings: AppSettings, file_database: Database) -> Iterator[Workers]:
    with contextlib.ExitStack() as stack:
        yield _start_workers(stack, redis_settings, file_database)


def _start_workers(stack: contextlib.ExitStack, settings: AppSettings, file_database: Database) -> Workers:
    """Two running apps sharing the database file and Redis; each has its own engine, like a process would."""
    clients = []
    for database in (file_database, Database(file_database.url)):
        container = Container()
        stack.enter_context(overrides(container, settings=settings, database=database))
        clients.append(stack.enter_context(TestClient(build_app(container))))
    return clients[0], clients[1]


def _sign_up_with_project(client: TestClient) -> int:
    assert client.post("/api/auth/signup", json={"username": "alice", "password": PASSWORD}).status_code == 201
    project_id: int = client.post("/api/projects", json={"name": "Live"}).json()["id"]
    return project_id


def _log_in(client: TestClient) -> None:
    assert client.post("/api/auth/login", json={"username": "alice", "password": PASSWORD}).status_code == 200


def _wait_until(condition: Callable[[], bool], what: str, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.02)


def _relay_connections(client: redis.Redis, channel: str) -> list[dict[str, object]]:
    connections: list[dict[str, object]] = client.client_list()
    return [c for c in connections if c.get("name") == f"relay:{channel}"]


class _OutageProxy:
    """A TCP proxy in front of Redis that a test can cut (connections dropped, new ones refused) and restore."""

    def __init__(self, target: tuple[str, int]) -> None:
        self._target = target
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._serve()

    def cut(self) -> None:
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread; close alone does not
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def restore(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._serve()

    def close(self) -> None:
        self.cut()
        for thread in self._threads:
            thread.join(timeout=5)
        with self._lock:
            for sock in self._sockets:
                sock.close()

    def _serve(self) -> None:
        self._start(self._accept, self._listener)

    def _start(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                downstream, _ = listener.accept()
            except OSError:
                return  # cut
            upstream = socket.create_connection(self._target)
            with self._lock:
                self._sockets |= {downstream, upstream}
            self._start(self._pump, downstream, upstream)
            self._start(self._pump, upstream, downstream)

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def outage_proxy(redis_url: str) -> Iterator[_OutageProxy]:
    parts = urlsplit(redis_url)
    proxy = _OutageProxy((parts.hostname or "127.0.0.1", parts.port or 6379))
    try:
        yield proxy
    finally:
        proxy.close()


def test_a_change_on_one_worker_reaches_the_watchers_of_another(workers: Workers) -> None:
    worker_a, worker_b = workers
    project_id = _sign_up_with_project(worker_a)
    _log_in(worker_b)
    tasks_url = f"/api/projects/{project_id}/tasks"
    with (
        worker_b.websocket_connect(f"/ws/projects/{project_id}") as on_b,
        worker_a.websocket_connect(f"/ws/projects/{project_id}") as on_a,
    ):
        task = worker_a.post(tasks_url, json={"title": "Across workers"}).json()
        expected = {"type": "task.created", "project_id": project_id, "task_id": task["id"], "task": task}
        assert on_b.receive_json() == expected
        assert on_a.receive_json() == expected  # the publishing worker hears it through Redis too, once

        worker_b.patch(f"{tasks_url}/{task['id']}", json={"status": "done"})
        for watcher in (on_a, on_b):
            updated = watcher.receive_json()
            assert (updated["type"], updated["task"]["status"]) == ("task.updated", "done")

        worker_a.delete(f"{tasks_url}/{task['id']}")
        deleted = {"type": "task.deleted", "project_id": project_id, "task_id": task["id"], "task": None}
        assert on_b.receive_json() == deleted
        assert on_a.receive_json() == deleted


def test_rolled_back_changes_are_never_published(workers: Workers, redis_client: redis.Redis, channel: str) -> None:
    worker_a, _ = workers
    project_id = _sign_up_with_project(worker_a)
    tasks_url = f"/api/projects/{project_id}/tasks"
    with redis_client.pubsub() as outside:
        outside.subscribe(channel)
        assert outside.get_message(timeout=5)["type"] == "subscribe"
        worker_a.post(tasks_url, json={"title": "Taken"})
        assert worker_a.post(tasks_url, json={"title": "Taken"}).status_code == 409
        assert worker_a.post(tasks_url, json={"title": "x" * 500}).status_code == 422
        worker_a.post(tasks_url, json={"title": "Committed"})
        # A worker publishes in commit order, so a rolled-back change would arrive between these two.
        published = [outside.get_message(timeout=5), outside.get_message(timeout=5)]
    events = [TaskEvent.model_validate_json(message["data"]) for message in published if message is not None]
    assert [(event.type, event.task and event.task.title) for event in events] == [
        ("task.created", "Taken"),
        ("task.created", "Committed"),
    ]


def test_malformed_messages_are_logged_and_skipped(
    workers: Workers, redis_client: redis.Redis, channel: str, caplog: pytest.LogCaptureFixture
) -> None:
    worker_a, worker_b = workers
    project_id = _sign_up_with_project(worker_a)
    _log_in(worker_b)
    with (
        caplog.at_level(logging.WARNING, "example_app.live"),
        worker_a.websocket_connect(f"/ws/projects/{project_id}") as on_a,
        worker_b.websocket_connect(f"/ws/projects/{project_id}") as on_b,
    ):
        redis_client.publish(channel, b"\xff not json")
        redis_client.publish(channel, '{"type": "task.exploded", "project_id": 1, "task_id": 1}')
        redis_client.publish(channel, "[]")
        worker_a.post(f"/api/projects/{project_id}/tasks", json={"title": "After the noise"})
        events = [on_a.receive_json(), on_b.receive_json()]
    assert [(event["type"], event["task"]["title"]) for event in events] == [("task.created", "After the noise")] * 2
    skipped = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Skipped a malformed message")]
    assert len(skipped) == 6  # three per worker
    assert all(channel in message for message in skipped)


def test_the_listener_reconnects_after_losing_redis(
    workers: Workers, redis_client: redis.Redis, channel: str, caplog: pytest.LogCaptureFixture
) -> None:
    worker_a, worker_b = workers
    project_id = _sign_up_with_project(worker_a)
    _log_in(worker_b)
    with (
        caplog.at_level(logging.WARNING, "example_app.live"),
        worker_b.websocket_connect(f"/ws/projects/{project_id}") as watcher,
    ):
        connections = _relay_connections(redis_client, channel)
        assert len(connections) >= 2  # at least each worker's pub/sub connection
        for connection in connections:
            redis_client.client_kill_filter(_id=str(connection["id"]))
        _wait_until(lambda: redis_client.pubsub_numsub(channel) == [(channel.encode(), 2)], "both resubscribed")
        worker_a.post(f"/api/projects/{project_id}/tasks", json={"title": "After the outage"})
        assert watcher.receive_json()["task"]["title"] == "After the outage"
    messages = [record.getMessage() for record in caplog.records]
    assert any(message.startswith(f"Lost the Redis channel {channel}") for message in messages)
    assert any(message.startswith(f"Back on the Redis channel {channel}") for message in messages)


def test_an_outage_is_logged_and_ridden_out_with_backoff(
    redis_settings: AppSettings,
    redis_url: str,
    file_database: Database,
    outage_proxy: _OutageProxy,
    caplog: pytest.LogCaptureFixture,
) -> None:
    via_proxy = f"redis://127.0.0.1:{outage_proxy.port}{urlsplit(redis_url).path}"

    def logged(start: str) -> int:
        return sum(record.getMessage().startswith(start) for record in caplog.records)

    with caplog.at_level(logging.WARNING, "example_app.live"), contextlib.ExitStack() as stack:
        worker_a, worker_b = _start_workers(
            stack, redis_settings.model_copy(update={"redis_url": via_proxy}), file_database
        )
        project_id = _sign_up_with_project(worker_a)
        _log_in(worker_b)
        tasks_url = f"/api/projects/{project_id}/tasks"
        watcher = stack.enter_context(worker_b.websocket_connect(f"/ws/projects/{project_id}"))

        outage_proxy.cut()
        _wait_until(lambda: logged("Redis is still unreachable") >= 2, "the listeners kept retrying")
        assert logged("Lost the Redis channel") == 2
        # The request does not wait for Redis; the event it could not publish is logged as lost.
        assert worker_a.post(tasks_url, json={"title": "During the outage"}).status_code == 201
        _wait_until(lambda: logged("Live update task.created of task") == 1, "the lost event was logged")

        outage_proxy.restore()
        _wait_until(lambda: logged("Back on the Redis channel") == 2, "both listeners resubscribed")
        worker_a.post(tasks_url, json={"title": "After the outage"})
        assert watcher.receive_json()["task"]["title"] == "After the outage"


def test_shutdown_closes_every_redis_connection(
    redis_settings: AppSettings, file_database: Database, redis_client: redis.Redis, channel: str
) -> None:
    container = Container()
    with overrides(container, settings=redis_settings, database=file_database), TestClient(build_app(container)):
        assert redis_client.pubsub_numsub(channel) == [(channel.encode(), 1)]
    _wait_until(lambda: not _relay_connections(redis_client, channel), "Redis saw the relay's connections close")
    assert redis_client.pubsub_numsub(channel) == [(channel.encode(), 0)]


def test_an_unreachable_redis_fails_start_up_without_showing_the_password(
    settings: AppSettings, file_database: Database
) -> None:
    unreachable = settings.model_copy(update={"redis_url": "redis://:hunter2@127.0.0.1:1/0"})
    container = Container()
    with overrides(container, settings=unreachable, database=file_database):
        app = build_app(container)
        with pytest.raises(RedisUnavailable) as failed, TestClient(app):
            pass  # pragma: no cover - start-up fails
    message = str(failed.value)
    assert message.startswith("Live updates cannot reach Redis at redis://:***@127.0.0.1:1/0 (REDIS_URL): ")
    assert "Fix: start Redis there or correct REDIS_URL" in message
    assert "hunter2" not in message


def test_a_redis_url_without_redis_py_fails_at_start_up(settings: AppSettings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "redis.asyncio.connection", None)  # as if redis-py were not installed
    container = Container()
    with_redis = settings.model_copy(update={"redis_url": "redis://127.0.0.1:6379/0"})
    with (
        overrides(container, settings=with_redis),
        pytest.raises(ImportError, match=r"Fix: pip install 'framework\[redis\]'"),
    ):
        build_app(container)


def test_a_redis_url_must_be_one(settings: AppSettings) -> None:
    container = Container()
    not_redis = settings.model_copy(update={"redis_url": "http://u:secret@cache:6379"})
    with (
        overrides(container, settings=not_redis),
        pytest.raises(ValueError, match=r"^REDIS_URL='http://u:\*\*\*@cache:6379' is not a Redis URL: "),
    ):
        build_app(container)


def test_publishing_while_the_relay_is_stopped_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    relay = RedisTaskRelay("redis://127.0.0.1:1/0", "unused:task-events", TaskFeed())
    relay.publish(TaskEvent(type="task.deleted", project_id=3, task_id=7))
    assert caplog.messages == [
        "Live update task.deleted of task 7 (project 3) not delivered (the Redis relay is not running); "
        "watchers see it on their next reload"
    ]


def test_without_a_redis_url_live_updates_stay_in_process(settings: AppSettings, file_database: Database) -> None:
    container = Container()
    local = settings.model_copy(update={"redis_url": None})
    with overrides(container, settings=local, database=file_database), TestClient(build_app(container)) as client:
        assert container.task_relay() is None
        project_id = _sign_up_with_project(client)
        with client.websocket_connect(f"/ws/projects/{project_id}") as watcher:
            assert container.task_feed().watchers(project_id) == 1
            client.post(f"/api/projects/{project_id}/tasks", json={"title": "Local"})
            assert watcher.receive_json()["task"]["title"] == "Local"
