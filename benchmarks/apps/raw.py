"""The physical limit: a hand-written ASGI callable with no framework at all.

It sends the same bytes (status, `content-length` then `content-type`, body) as the Starlette app.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from benchmarks.apps._common import (
    JSON_PAYLOAD,
    PLAINTEXT,
    BenchDatabase,
    GreetingService,
    Item,
    PassThroughMiddleware,
    RequestInfo,
    Settings,
    di_payload,
    item_payload,
    params_payload,
)

__all__ = ["app"]

Handler = Callable[[dict[str, Any], Any, Any], Awaitable[None]]

_TEXT = b"text/plain; charset=utf-8"
_JSON = b"application/json"
SETTINGS = Settings()
DATABASE = BenchDatabase("raw")
_state: dict[str, Any] = {}


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


async def _respond(send: Any, status: int, body: bytes, content_type: bytes) -> None:
    headers = [(b"content-length", str(len(body)).encode()), (b"content-type", content_type)]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _read_body(receive: Any) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _plaintext(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await _respond(send, 200, PLAINTEXT.encode(), _TEXT)


async def _json(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await _respond(send, 200, _dumps(JSON_PAYLOAD), _JSON)


async def _echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
    try:
        data = json.loads(await _read_body(receive))
    except ValueError:
        await _respond(send, 400, b"Bad Request", _TEXT)
        return
    await _respond(send, 200, _dumps(data), _JSON)


async def _di(scope: dict[str, Any], receive: Any, send: Any) -> None:
    service = GreetingService(SETTINGS)
    info = RequestInfo(scope["method"], scope["path"])
    await _respond(send, 200, _dumps(di_payload(service, info)), _JSON)


async def _db_create(scope: dict[str, Any], receive: Any, send: Any) -> None:
    try:
        data = json.loads(await _read_body(receive))
        item = Item(name=str(data["name"]), price=float(data["price"]))
    except (ValueError, KeyError, TypeError):
        await _respond(send, 400, b"Bad Request", _TEXT)
        return
    async with _state["sessions"]() as session, session.begin():
        session.add(item)
        await session.flush()
        payload = item_payload(item)
    await _respond(send, 201, _dumps(payload), _JSON)


async def _db_read(scope: dict[str, Any], receive: Any, send: Any, item_id: int) -> None:
    async with _state["sessions"]() as session, session.begin():
        item = await session.get(Item, item_id)
        payload = None if item is None else item_payload(item)
    if payload is None:
        await _respond(send, 404, b"Not Found", _TEXT)
    else:
        await _respond(send, 200, _dumps(payload), _JSON)


_mw_json: Handler = PassThroughMiddleware(PassThroughMiddleware(PassThroughMiddleware(_json)))
_EXACT: dict[tuple[str, str], Handler] = {
    ("GET", "/plaintext"): _plaintext,
    ("GET", "/json"): _json,
    ("POST", "/echo"): _echo,
    ("GET", "/di"): _di,
    ("GET", "/mw/json"): _mw_json,
    ("POST", "/db"): _db_create,
}


async def _lifespan(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            DATABASE.create()
            engine: AsyncEngine = create_async_engine(DATABASE.url)
            _state["engine"] = engine
            _state["sessions"] = async_sessionmaker(engine)
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await _state.pop("engine").dispose()
            DATABASE.remove()
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _websocket(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "websocket.connect":
            await send({"type": "websocket.accept"})
        elif message["type"] == "websocket.disconnect":
            return


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    kind = scope["type"]
    if kind != "http":
        await (_lifespan(receive, send) if kind == "lifespan" else _websocket(receive, send))
        return
    method, path = scope["method"], scope["path"]
    handler = _EXACT.get((method, path))
    if handler is not None:
        await handler(scope, receive, send)
        return
    parts = path.split("/")
    if method == "GET" and len(parts) == 5 and parts[1] == "users" and parts[3] == "items" and parts[4]:
        if parts[2].isdigit():
            await _respond(send, 200, _dumps(params_payload(int(parts[2]), parts[4])), _JSON)
            return
    elif method == "GET" and len(parts) == 3 and parts[1] == "db" and parts[2].isdigit():
        await _db_read(scope, receive, send, int(parts[2]))
        return
    await _respond(send, 404, b"Not Found", _TEXT)
