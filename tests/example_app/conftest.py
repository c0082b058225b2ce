"""Fixtures of the example app's tests: settings, a container with a test database, clients, signed-in users.

The database tests run on asyncio only: aiosqlite and asyncpg are asyncio drivers.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from example_app.app import build_app
from example_app.container import Container
from example_app.settings import AppSettings
from framework.db import Database, Model
from framework.db.testing import sqlite_test_database, transactional_database
from framework.testclient import TestClient
from framework.testing import AsyncTestClient, overrides

FRONTEND_ORIGIN = "http://frontend.test"
PASSWORD = "correct horse battery"
_CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, Any]]:
    return ("asyncio", {})


@pytest.fixture
def settings(tmp_path: Path) -> AppSettings:
    return AppSettings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}",
        secret_key="test-secret-key",
        allowed_hosts=["testserver", "127.0.0.1"],
        cors_origins=[FRONTEND_ORIGIN],
        password_hash_cost=4,  # fast hashing; production uses 14
        redis_url=None,  # in-process live updates, whatever the developer's environment says
    )


@pytest.fixture
def container(settings: AppSettings) -> Iterator[Container]:
    container = Container()
    with overrides(container, settings=settings):
        yield container


@pytest.fixture
def file_database(tmp_path: Path) -> Database:
    """A fresh SQLite file with the schema: for tests that need real commits (WebSockets, background tasks)."""
    return sqlite_test_database(tmp_path / "test.db", Model.metadata)


@pytest.fixture
def client(container: Container, file_database: Database) -> Iterator[TestClient]:
    """A TestClient on a fresh SQLite file."""
    with overrides(container, database=file_database), TestClient(build_app(container)) as test_client:
        yield test_client


# --8<-- [start:api]
@pytest.fixture
async def api(container: Container, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """An async client on a transactional test database: everything a test writes is rolled back after it."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'transactional.db'}"
    async with transactional_database(url, Model.metadata) as database:
        with overrides(container, database=database):
            async with AsyncTestClient(build_app(container)) as async_client:
                yield async_client


# --8<-- [end:api]


async def sign_up(client: httpx.AsyncClient, username: str = "alice") -> dict[str, Any]:
    """Create an account through the API; the client keeps the session cookie."""
    response = await client.post("/api/auth/signup", json={"username": username, "password": PASSWORD})
    assert response.status_code == 201, response.text
    user: dict[str, Any] = response.json()
    return user


def csrf_token_of(html: str) -> str:
    """The CSRF token a page embeds in its forms."""
    match = _CSRF_INPUT.search(html)
    assert match is not None, "the page has no CSRF token"
    return match.group(1)


@pytest.fixture
def signed_in(client: TestClient) -> Callable[[str], str]:
    """Sign up through the HTML form as `username`; returns the CSRF token of the new session."""

    def sign_up_through_form(username: str = "alice") -> str:
        token = csrf_token_of(client.get("/signup").text)
        response = client.post(
            "/signup", data={"username": username, "password": PASSWORD, "csrf_token": token}, follow_redirects=False
        )
        assert response.status_code == 303, response.text
        return csrf_token_of(client.get("/").text)

    return sign_up_through_form
