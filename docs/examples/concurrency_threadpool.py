"""Call blocking code from an async endpoint without stalling the event loop."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator

from framework.applications import Application
from framework.concurrency import iterate_in_threadpool, run_in_threadpool
from framework.requests import Request
from framework.responses import JSONResponse
from framework.routing import Route
from framework.testclient import TestClient

loop_threads: set[int] = set()
worker_threads: set[int] = set()


def slow_hash(data: bytes, *, rounds: int) -> str:
    worker_threads.add(threading.get_ident())
    digest = data
    for _ in range(rounds):
        digest = hashlib.sha256(digest).digest()
    return digest.hex()


def read_lines() -> Iterator[str]:
    # Stands in for a blocking reader, e.g. a database cursor or a file.
    worker_threads.add(threading.get_ident())
    yield from ["alpha", "beta", "gamma"]


async def digest(request: Request) -> JSONResponse:
    loop_threads.add(threading.get_ident())
    value = await run_in_threadpool(slow_hash, await request.body(), rounds=1000)
    lines = [line.upper() async for line in iterate_in_threadpool(read_lines())]
    return JSONResponse({"digest": value, "lines": lines})


app = Application(routes=[Route("/digest", digest, methods=["POST"])])

with TestClient(app) as client:
    response = client.post("/digest", content=b"secret")
    assert response.status_code == 200
    assert response.json()["lines"] == ["ALPHA", "BETA", "GAMMA"]
    assert len(response.json()["digest"]) == 64

assert loop_threads.isdisjoint(worker_threads)
