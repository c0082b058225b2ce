"""Live task changes: from the request that made a change, after its commit, to the project's watchers.

`TaskFeed` fans events out to the watchers (WebSockets, GraphQL subscriptions) of this process. That is all
one worker process needs. With several workers, set `REDIS_URL`: `TaskNotifier` then publishes through the
Redis relay (`example_app.services.relay`), which delivers every event to the feed of every worker, the
publishing one included.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Iterator
from typing import Protocol

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from sqlalchemy.ext.asyncio import AsyncSession

from example_app.domain.schemas import TaskEvent
from framework.db import on_commit

__all__ = ["TaskFeed", "TaskNotifier", "TaskPublisher"]

logger = logging.getLogger("example_app.live")


class TaskFeed:
    """Subscribers per project; `publish` never blocks the publisher.

    A watcher that falls `buffer` events behind misses events rather than slowing down the request that
    published them; its page catches up on the next reload.
    """

    def __init__(self, buffer: int = 64) -> None:
        self._buffer = buffer
        self._subscribers: dict[int, set[MemoryObjectSendStream[TaskEvent]]] = {}

    @contextlib.contextmanager
    def subscribe(self, project_id: int) -> Iterator[MemoryObjectReceiveStream[TaskEvent]]:
        """Receive the project's events for the duration of the `with` block."""
        send, receive = anyio.create_memory_object_stream[TaskEvent](self._buffer)
        subscribers = self._subscribers.setdefault(project_id, set())
        subscribers.add(send)
        try:
            with send, receive:
                yield receive
        finally:
            subscribers.discard(send)
            if not subscribers:
                self._subscribers.pop(project_id, None)

    def watchers(self, project_id: int) -> int:
        """How many connections watch the project (for tests and health pages)."""
        return len(self._subscribers.get(project_id, ()))

    def publish(self, event: TaskEvent) -> None:
        """Hand the event to every current watcher of its project."""
        for stream in tuple(self._subscribers.get(event.project_id, ())):
            try:
                stream.send_nowait(event)
            except anyio.WouldBlock:
                logger.warning("A watcher of project %s is too slow; dropped %s", event.project_id, event.type)
            except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                self._subscribers.get(event.project_id, set()).discard(stream)


class TaskPublisher(Protocol):
    """Where committed events go: a `TaskFeed`, or a relay to the feeds of every worker process."""

    def publish(self, event: TaskEvent) -> None:
        """Deliver `event` without blocking the caller."""


class TaskNotifier:
    """Publishes a change only once the request's transaction has committed: watchers never see a rollback."""

    def __init__(self, feed: TaskFeed, session: AsyncSession, relay: TaskPublisher | None = None) -> None:
        # Through the relay when there is one: it reaches every worker's feed, this one's included.
        self._publisher: TaskPublisher = feed if relay is None else relay
        self._session = session

    def task_changed(self, event: TaskEvent) -> None:
        """Publish `event` after the commit of the session the change was written in."""
        on_commit(functools.partial(self._publisher.publish, event), session=self._session)
