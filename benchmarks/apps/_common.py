"""What every benchmark app shares, so that all of them do byte-identical work.

Payloads, the three objects of the `/di` endpoint, the pass-through middleware, and the SQLite database
each app builds in its own temporary file when its lifespan starts. Only the standard library and
SQLAlchemy are used here, so the framework apps can import this module in an environment without peers.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "GREETING_TARGET",
    "JSON_PAYLOAD",
    "PLAINTEXT",
    "ROWS",
    "BenchDatabase",
    "GreetingService",
    "Item",
    "PassThroughMiddleware",
    "RequestInfo",
    "Settings",
    "di_payload",
    "item_payload",
    "params_payload",
]

PLAINTEXT = "Hello, world!"
JSON_PAYLOAD: dict[str, str] = {"message": "Hello, world!"}
GREETING_TARGET = "world"
ROWS = 1000


def params_payload(user_id: int, item_id: str) -> dict[str, Any]:
    return {"user_id": user_id, "item_id": item_id}


class Settings:
    """The application-wide settings object: one instance for the app's lifetime (a singleton)."""

    def __init__(self) -> None:
        self.app_name = "bench"
        self.greeting = "Hello"


class GreetingService:
    """A per-request service that depends on the singleton settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def greet(self, name: str) -> str:
        return f"{self.settings.greeting}, {name}!"


class RequestInfo:
    """A per-request object built from the request."""

    def __init__(self, method: str, path: str) -> None:
        self.method = method
        self.path = path


def di_payload(service: GreetingService, info: RequestInfo) -> dict[str, str]:
    return {
        "message": service.greet(GREETING_TARGET),
        "app": service.settings.app_name,
        "method": info.method,
        "path": info.path,
    }


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "items"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    price: Mapped[float]


def item_payload(item: Item) -> dict[str, Any]:
    return {"id": item.id, "name": item.name, "price": item.price}


class BenchDatabase:
    """A SQLite file of `ROWS` items, created when an app starts and removed when it stops.

    The path is chosen at import time but nothing touches the disk until `create()`, so importing an app
    costs no I/O. The file is put in WAL mode for every app alike (a property of the file, not the driver).
    """

    def __init__(self, name: str) -> None:
        self.path = Path(tempfile.gettempdir()) / f"bench-{name}-{os.getpid()}-{uuid.uuid4().hex[:8]}.sqlite3"
        self.url = f"sqlite+aiosqlite:///{self.path}"

    def create(self) -> None:
        self.remove()
        with sqlite3.connect(self.path) as connection:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(
                "CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL, price FLOAT NOT NULL)"
            )
            connection.executemany(
                "INSERT INTO items (id, name, price) VALUES (?, ?, ?)",
                ((i, f"item-{i}", i + 0.5) for i in range(1, ROWS + 1)),
            )
        connection.close()

    def remove(self) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)


class PassThroughMiddleware:
    """A pure-ASGI middleware that does nothing: the cost measured is the layer itself."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)
