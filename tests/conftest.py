"""Fixtures shared by the whole suite.

Async tests run on both anyio backends; `test_client_factory` builds a TestClient on the
backend of the current parametrisation so that synchronous tests cover both as well.
Tests that need PostgreSQL or Redis read their URL from the environment and skip with a
reason when it is unset, unless FRAMEWORK_REQUIRE_SERVICES=1 (CI) turns the skip into a failure.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any

import pytest

from framework.testclient import TestClient

BACKENDS = [
    pytest.param(("asyncio", {}), id="asyncio"),
    pytest.param(("trio", {}), id="trio"),
]


@pytest.fixture(params=BACKENDS)
def anyio_backend(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any]]:
    backend: tuple[str, dict[str, Any]] = request.param
    return backend


@pytest.fixture
def anyio_backend_name(anyio_backend: tuple[str, dict[str, Any]]) -> str:
    return anyio_backend[0]


@pytest.fixture
def test_client_factory(anyio_backend_name: str) -> Callable[..., TestClient]:
    """TestClient bound to the current anyio backend (asyncio or trio)."""
    return functools.partial(TestClient, backend=anyio_backend_name)


def _service_url(variable: str, what: str) -> str:
    url = os.environ.get(variable)
    if url:
        return url
    reason = f"{what} tests need {variable}; set it (e.g. by running .ci/run) to run them."
    if os.environ.get("FRAMEWORK_REQUIRE_SERVICES") == "1":
        pytest.fail(f"FRAMEWORK_REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """SQLAlchemy URL of the test PostgreSQL database (postgresql+asyncpg://...)."""
    return _service_url("FRAMEWORK_TEST_POSTGRES_URL", "PostgreSQL")


@pytest.fixture(scope="session")
def redis_url() -> str:
    """URL of the test Redis server (redis://...)."""
    return _service_url("FRAMEWORK_TEST_REDIS_URL", "Redis")
