"""A lifespan: start-up and shutdown work, and state shared with every request."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import TypedDict

from framework.applications import Application
from framework.requests import Request
from framework.responses import JSONResponse, Response
from framework.routing import Route
from framework.testclient import TestClient

events: list[str] = []


class ConnectionPool:
    def __init__(self) -> None:
        self.open = True

    async def close(self) -> None:
        self.open = False


class State(TypedDict):
    pool: ConnectionPool


@contextlib.asynccontextmanager
async def lifespan(app: Application) -> AsyncIterator[State]:
    events.append("startup")
    pool = ConnectionPool()
    try:
        yield {"pool": pool}
    finally:
        # Runs at shutdown, and also when start-up after the yield fails.
        await pool.close()
        events.append("shutdown")


async def status(request: Request) -> Response:
    return JSONResponse({"pool_open": request.state.pool.open})


app = Application(routes=[Route("/status", status)], lifespan=lifespan)

with TestClient(app) as client:
    assert events == ["startup"]
    assert client.get("/status").json() == {"pool_open": True}

assert events == ["startup", "shutdown"]
