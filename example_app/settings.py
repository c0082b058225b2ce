"""The task board's settings: the framework's (database, secret key, debug, hosts, CORS) plus its own.

Every field reads the environment variable of the same name, or `.env` in the working directory:

    DATABASE_URL=postgresql+asyncpg://app@db/taskboard
    SECRET_KEY=...            # set it, or every restart signs everybody out
    ALLOWED_HOSTS=board.example.com
    CORS_ORIGINS=https://app.example.com
    REDIS_URL=redis://cache:6379/0   # live updates across several workers; unset, they stay in one process
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field
from pydantic_settings import NoDecode

from framework.settings import Settings

__all__ = ["AppSettings"]


class AppSettings(Settings):
    """Settings of the task board."""

    database_url: str = "sqlite+aiosqlite:///./taskboard.db"
    """A SQLite file next to where the app runs, so `make run` needs no database server."""

    allowed_hosts: Annotated[list[str], NoDecode] = ["127.0.0.1", "localhost"]
    """Host headers the app answers; anything else is a 400 (DNS rebinding, cache poisoning)."""

    https_only: bool = False
    """Mark the session cookie Secure; turn on wherever the app is served over HTTPS."""

    password_hash_cost: int = Field(default=14, ge=1, le=20)
    """log2 of scrypt's N. 14 costs ~16 MiB and tens of milliseconds per sign-in; tests use a low value."""

    redis_url: str | None = None
    """Redis for live task updates across worker processes (`redis://host:6379/0`).

    Unset, changes reach only the WebSockets of the process that made them: run a single worker. Set, it needs
    the `redis` extra (`pip install 'framework[redis]'`) and Redis must answer at start-up.
    """

    redis_channel_prefix: str = Field(default="taskboard", min_length=1, pattern=r"^\S+$")
    """Start of the Redis channel names (`<prefix>:task-events`), so that several apps can share one Redis."""
