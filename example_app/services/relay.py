"""Live task changes across worker processes, over Redis pub/sub (used when `REDIS_URL` is set).

Every worker publishes its committed events to one channel, `<REDIS_CHANNEL_PREFIX>:task-events`, and every
worker, the publishing one included, relays what arrives on it to its own `TaskFeed`, whose watchers are the
WebSockets that worker serves. Events travel as `TaskEvent` JSON and are validated on the way back in.

Redis pub/sub keeps nothing: while a worker is disconnected it misses what the others publish (it logs so,
and reconnects with backoff); its pages catch up on their next reload. redis-py is an optional dependency
(`pip install 'framework[redis]'`), imported only when the relay is built. It runs on asyncio only.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from pydantic import ValidationError

from example_app.domain.schemas import TaskEvent
from example_app.services.live import TaskFeed

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.asyncio.client import PubSub

__all__ = ["RedisTaskRelay", "RedisUnavailable", "redis_task_relay"]

logger = logging.getLogger("example_app.live")

# How long connecting, subscribing or one command may take before Redis counts as unreachable.
_TIMEOUT_SECONDS = 5.0
# How often an idle listener wakes up, letting redis-py ping the server so that a dead connection is noticed.
_HEALTH_CHECK_SECONDS = 10.0
# How long shutdown waits for queued events to reach Redis.
_DRAIN_SECONDS = 2.0
_FIRST_RETRY_SECONDS = 0.1


class RedisUnavailable(RuntimeError):
    """Redis did not answer: live updates cannot reach the other workers."""


def redis_task_relay(url: str | None, channel_prefix: str, feed: TaskFeed) -> RedisTaskRelay | None:
    """The relay for `REDIS_URL`, or None when it is unset (live updates then stay in this process)."""
    if not url:
        return None
    return RedisTaskRelay(url, f"{channel_prefix}:task-events", feed)


class RedisTaskRelay:
    """Publishes task events to a Redis channel and relays the channel's events to this worker's `TaskFeed`.

    `publish` only queues the event (up to `queue` of them), so a request never waits for Redis; a task of
    `running()` publishes the queue in order. An event that cannot be published is logged, never dropped
    silently.
    """

    def __init__(self, url: str, channel: str, feed: TaskFeed, *, queue: int = 1024, max_backoff: float = 10.0) -> None:
        _check_redis_url(url)  # fails at start-up: redis-py missing, or not a Redis URL
        self.channel = channel
        self._url = url
        self._feed = feed
        self._queue = queue
        self._max_backoff = max_backoff
        self._outbox: MemoryObjectSendStream[TaskEvent] | None = None

    def __repr__(self) -> str:
        return f"<RedisTaskRelay {_redacted(self._url)} {self.channel}>"

    def publish(self, event: TaskEvent) -> None:
        """Queue `event` for the watchers of every worker; never blocks."""
        if self._outbox is None:
            _log_lost(event, "the Redis relay is not running")
            return
        try:
            self._outbox.send_nowait(event)
        except anyio.WouldBlock:
            _log_lost(event, f"{self._queue} events are already waiting for Redis")
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            _log_lost(event, "the Redis relay is stopping")

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Connect and subscribe (or raise `RedisUnavailable`), then relay both ways until the block exits."""
        from redis.asyncio import Redis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        client = Redis.from_url(
            self._url,
            client_name=f"relay:{self.channel}",
            socket_connect_timeout=_TIMEOUT_SECONDS,
            socket_timeout=_TIMEOUT_SECONDS,
            socket_keepalive=True,
            health_check_interval=_HEALTH_CHECK_SECONDS,
            # No silent retries inside redis-py: the listener reconnects, and says so, itself.
            retry=Retry(NoBackoff(), 0),
        )
        try:
            pubsub = await self._subscribe(client)
            outbox, queued = anyio.create_memory_object_stream[TaskEvent](self._queue)
            drained = anyio.Event()
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(self._listen, client, pubsub)
                tasks.start_soon(self._send, client, queued, drained)
                self._outbox = outbox
                try:
                    yield
                finally:
                    self._outbox = None
                    outbox.close()
                    with anyio.move_on_after(_DRAIN_SECONDS, shield=True):
                        await drained.wait()
                    if not drained.is_set():
                        unsent = outbox.statistics().current_buffer_used
                        logger.warning("Shutting down with %d live updates not yet published to Redis", unsent)
                    tasks.cancel_scope.cancel()
        finally:
            with anyio.CancelScope(shield=True):
                await client.aclose()

    async def _subscribe(self, client: Redis) -> PubSub:
        """A pub/sub connection whose subscription Redis confirmed: nothing published from then on is missed."""
        from redis.exceptions import RedisError

        pubsub = client.pubsub()
        try:
            with anyio.fail_after(_TIMEOUT_SECONDS):
                await client.ping()
                await pubsub.subscribe(self.channel)
                while not await pubsub.get_message(timeout=_TIMEOUT_SECONDS):
                    pass  # the first message on the connection is the confirmation
        except (RedisError, OSError) as error:  # TimeoutError is an OSError
            await _close_quietly(pubsub)
            raise RedisUnavailable(
                f"Live updates cannot reach Redis at {_redacted(self._url)} (REDIS_URL): {_describe(error)}. "
                "Fix: start Redis there or correct REDIS_URL; or unset REDIS_URL to run a single worker with "
                "in-process live updates."
            ) from error
        except BaseException:
            await _close_quietly(pubsub)
            raise
        return pubsub

    async def _listen(self, client: Redis, pubsub: PubSub) -> None:
        """Relay the channel to the feed; reconnect with backoff whenever the connection drops."""
        try:
            while True:
                try:
                    await self._relay(pubsub)
                except Exception as error:  # never let the listener die: a dead listener means silent pages
                    logger.warning("Lost the Redis channel %s (%s); reconnecting", self.channel, _describe(error))
                await _close_quietly(pubsub)
                pubsub = await self._reconnect(client)
        finally:
            await _close_quietly(pubsub)

    async def _relay(self, pubsub: PubSub) -> None:
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=_HEALTH_CHECK_SECONDS)
            if message is not None and message.get("type") == "message":
                self._deliver(message.get("data"))

    def _deliver(self, data: object) -> None:
        """Hand one message of the channel to the feed, if it is a valid `TaskEvent`."""
        try:
            if not isinstance(data, bytes | str):
                raise TypeError(f"expected JSON text, got {type(data).__name__}")
            event = TaskEvent.model_validate_json(data)
        except (ValidationError, TypeError) as error:
            logger.warning("Skipped a malformed message on %s: %.200r (%s)", self.channel, data, error)
            return
        self._feed.publish(event)

    async def _reconnect(self, client: Redis) -> PubSub:
        """Subscribe again, waiting longer after each failure (up to `max_backoff` seconds)."""
        delay = _FIRST_RETRY_SECONDS
        while True:
            await anyio.sleep(delay)
            try:
                pubsub = await self._subscribe(client)
            except RedisUnavailable as error:
                delay = min(delay * 2, self._max_backoff)
                reason = _describe(error.__cause__ or error)
                logger.warning("Redis is still unreachable (%s); next attempt in %.1f s", reason, delay)
                continue
            logger.warning("Back on the Redis channel %s; events published meanwhile were missed", self.channel)
            return pubsub

    async def _send(self, client: Redis, queued: MemoryObjectReceiveStream[TaskEvent], drained: anyio.Event) -> None:
        """Publish the queued events in order until the queue is closed and empty."""
        with queued:
            async for event in queued:
                message = event.model_dump_json()
                try:
                    await client.publish(self.channel, message)
                except Exception:
                    # Once more, on a new connection: the pooled one may have been closed by a Redis restart.
                    try:
                        await client.publish(self.channel, message)
                    except Exception as error:  # one failed publish must not stop the ones after it
                        _log_lost(event, f"publishing to Redis failed: {_describe(error)}")
        drained.set()


def _check_redis_url(url: str) -> None:
    try:
        from redis.asyncio.connection import parse_url
    except ImportError as error:
        raise ImportError(
            "REDIS_URL is set, and live updates across workers need redis-py, which is not installed. "
            "Fix: pip install 'framework[redis]', or unset REDIS_URL to keep live updates in one process."
        ) from error
    try:
        parse_url(url)
    except ValueError as error:
        raise ValueError(f"REDIS_URL={_redacted(url)!r} is not a Redis URL: {error}") from None


async def _close_quietly(pubsub: PubSub) -> None:
    with anyio.CancelScope(shield=True):
        try:
            await pubsub.aclose()  # type: ignore[no-untyped-call]  # unannotated in redis-py
        except Exception as error:  # the connection is being dropped anyway
            logger.debug("Closing a Redis pub/sub connection failed: %s", _describe(error))


def _log_lost(event: TaskEvent, reason: str) -> None:
    logger.warning(
        "Live update %s of task %s (project %s) not delivered (%s); watchers see it on their next reload",
        event.type,
        event.task_id,
        event.project_id,
        reason,
    )


def _describe(error: BaseException) -> str:
    return str(error) or type(error).__name__


def _redacted(url: str) -> str:
    """`url` without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))
