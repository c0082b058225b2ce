from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from framework import types
from framework.types import ASGIApp, Lifespan, Message, Receive, Scope, Send


def test_public_names() -> None:
    assert set(types.__all__) == {
        "ASGIApp",
        "AppType",
        "ExceptionHandler",
        "HTTPExceptionHandler",
        "Lifespan",
        "Message",
        "Receive",
        "Scope",
        "Send",
        "StatefulLifespan",
        "StatelessLifespan",
        "WebSocketExceptionHandler",
    }
    for name in types.__all__:
        assert getattr(types, name) is not None


@pytest.mark.anyio
async def test_aliases_describe_a_working_asgi_app() -> None:
    sent: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        message = await receive()
        await send({"type": "echo", "body": message["body"], "path": scope["path"]})

    async def receive() -> Message:
        return {"type": "http.request", "body": b"x"}

    async def send(message: Message) -> None:
        sent.append(message)

    typed_app: ASGIApp = app
    await typed_app({"type": "http", "path": "/p"}, receive, send)
    assert sent == [{"type": "echo", "body": b"x", "path": "/p"}]


@pytest.mark.anyio
async def test_lifespan_alias_accepts_stateful_and_stateless() -> None:
    @asynccontextmanager
    async def stateless(app: object) -> AsyncIterator[None]:
        yield

    @asynccontextmanager
    async def stateful(app: object) -> AsyncIterator[dict[str, Any]]:
        yield {"db": "connected"}

    lifespans: list[Lifespan[object]] = [stateless, stateful]
    async with lifespans[1](object()) as state:
        assert state == {"db": "connected"}
    async with lifespans[0](object()) as nothing:
        assert nothing is None
