"""Test helpers for apps built with `create_app`: provider overrides for a block and an async client.

Fakes go in through the container (`with overrides(container, user_repository=fake):`), never by patching
modules; the async client drives the app in-process and runs its lifespan, so container resources are
initialised and shut down exactly as under a server.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from types import TracebackType
from typing import Any

import anyio
import httpx
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from dependency_injector import providers

from framework.db.testing import sqlite_test_database, transactional_database
from framework.di.graph import container_label
from framework.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["AsyncTestClient", "overrides", "sqlite_test_database", "transactional_database"]


@contextlib.contextmanager
def overrides(container: Any, **replacements: Any) -> Iterator[Any]:
    """Override the named providers of `container` for the block; every override is undone after it.

    A replacement that is not a provider is provided as is (wrapped in `providers.Object`). Singletons that
    depend on an overridden provider are reset on entry and on exit, so they are rebuilt with the fake inside
    the block and with the real dependency after it. Nested names use `__`: `overrides(c, db__session=fake)`.
    """
    targets = [_provider_named(container, name) for name in replacements]
    done: list[providers.Provider[Any]] = []
    try:
        for target, value in zip(targets, replacements.values(), strict=True):
            target.override(value if providers.is_provider(value) else providers.Object(value))
            done.append(target)
        _reset_dependent_singletons(container, targets)
        yield container
    finally:
        for target in reversed(done):
            target.reset_last_overriding()
        _reset_dependent_singletons(container, targets)


def _provider_named(container: Any, name: str) -> providers.Provider[Any]:
    current = container
    for part in name.split("__"):
        provider = getattr(current, "providers", {}).get(part)
        if provider is None:
            available = ", ".join(sorted(getattr(current, "providers", {})))
            raise KeyError(f"{container_label(container)} has no provider {name!r} (available: {available}).")
        current = provider
    assert isinstance(current, providers.Provider)
    return current


def _reset_dependent_singletons(container: Any, targets: list[providers.Provider[Any]]) -> None:
    wanted = {id(target) for target in targets}
    for singleton in container.traverse(types=[providers.BaseSingleton]):
        if id(singleton) in wanted or any(id(dependency) in wanted for dependency in singleton.traverse()):
            singleton.reset()


class _Lifespan:
    """Drives the app's ASGI lifespan protocol from a test: startup on enter, shutdown on exit."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.state: dict[str, Any] = {}
        self._to_app: MemoryObjectSendStream[Message]
        self._app_inbox: MemoryObjectReceiveStream[Message]
        self._to_test: MemoryObjectSendStream[Message]
        self._test_inbox: MemoryObjectReceiveStream[Message]
        self._to_app, self._app_inbox = anyio.create_memory_object_stream[Message](math.inf)
        self._to_test, self._test_inbox = anyio.create_memory_object_stream[Message](math.inf)

    async def run(self) -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": self.state}
        try:
            await self.app(scope, self._app_inbox.receive, self._to_test.send)
        except BaseException as exc:
            await self._to_test.send({"type": "framework.lifespan.crashed", "error": exc})
            raise

    async def step(self, phase: str) -> None:
        await self._to_app.send({"type": f"lifespan.{phase}"})
        message = await self._test_inbox.receive()
        if message["type"] == f"lifespan.{phase}.complete":
            return
        if message["type"] == "framework.lifespan.crashed":
            raise message["error"]
        raise RuntimeError(f"Lifespan {phase} failed: {message.get('message', '')}")

    def close(self) -> None:
        for stream in (self._to_app, self._app_inbox, self._to_test, self._test_inbox):
            stream.close()


class AsyncTestClient(httpx.AsyncClient):
    """An `httpx.AsyncClient` calling the app in-process; `async with` also runs the app's lifespan.

    Requests carry a copy of the lifespan state (`request.state`), as under a server. Exceptions the app does
    not handle are raised in the test unless `raise_app_exceptions=False`.
    """

    def __init__(
        self,
        app: ASGIApp,
        base_url: str = "http://testserver",
        *,
        raise_app_exceptions: bool = True,
        root_path: str = "",
        lifespan: bool = True,
        **kwargs: Any,
    ) -> None:
        self.app = app
        self._lifespan = _Lifespan(app) if lifespan else None
        self._task_group: TaskGroup | None = None
        transport = httpx.ASGITransport(
            app=self._with_state, raise_app_exceptions=raise_app_exceptions, root_path=root_path
        )
        super().__init__(transport=transport, base_url=base_url, **kwargs)

    async def _with_state(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._lifespan is not None:
            scope["state"] = self._lifespan.state.copy()
        await self.app(scope, receive, send)

    async def __aenter__(self) -> AsyncTestClient:
        await super().__aenter__()
        if self._lifespan is not None:
            self._task_group = anyio.create_task_group()
            await self._task_group.__aenter__()
            self._task_group.start_soon(self._lifespan.run)
            try:
                await self._lifespan.step("startup")
            except BaseException as exc:
                await self._stop_lifespan(exc)
                raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc: BaseException | None = None,
        tb: TracebackType | None = None,
    ) -> None:
        try:
            if self._lifespan is not None and self._task_group is not None:
                await self._lifespan.step("shutdown")
        finally:
            await self._stop_lifespan(exc)
            await super().__aexit__(exc_type, exc, tb)

    async def _stop_lifespan(self, exc: BaseException | None) -> None:
        task_group, self._task_group = self._task_group, None
        if task_group is None or self._lifespan is None:
            return
        task_group.cancel_scope.cancel()
        with contextlib.suppress(BaseException):
            await task_group.__aexit__(type(exc) if exc else None, exc, exc.__traceback__ if exc else None)
        self._lifespan.close()
