"""TestClient responses are streamed from the running app, like a real HTTP connection."""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import closing

import anyio
import anyio.to_thread
import pytest

from framework.testclient import TestClient
from framework.types import Receive, Scope, Send

TestClientFactory = Callable[..., TestClient]


def test_headers_arrive_before_the_body_is_produced(test_client_factory: TestClientFactory) -> None:
    body_allowed = threading.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 201, "headers": [(b"x-early", b"yes")]})
        # Only the test, after it has seen the headers, lets the body be produced.
        assert await anyio.to_thread.run_sync(body_allowed.wait, 10)
        await send({"type": "http.response.body", "body": b"late body"})

    with test_client_factory(app).stream("GET", "/") as response:
        assert response.status_code == 201
        assert response.headers["x-early"] == "yes"
        body_allowed.set()
        assert response.read() == b"late body"


def test_app_waits_for_the_client_to_take_each_chunk(test_client_factory: TestClientFactory) -> None:
    produced: list[int] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for number in range(3):
            await send({"type": "http.response.body", "body": b"%d" % number, "more_body": True})
            produced.append(number)
        await send({"type": "http.response.body", "body": b""})

    with test_client_factory(app).stream("GET", "/") as response:
        chunks = response.iter_raw()
        assert produced == []
        assert next(chunks) == b"0"
        assert next(chunks) == b"1"
        # The app may finish the send the client answered, but not run ahead of the reader.
        assert produced in ([0], [0, 1])
        assert list(chunks) == [b"2"]
    assert produced == [0, 1, 2]


@pytest.mark.parametrize(("method", "chunk"), [("GET", b""), ("HEAD", b"data")])
def test_empty_chunks_and_head_bodies_are_skipped(
    test_client_factory: TestClientFactory, method: str, chunk: bytes
) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for _ in range(50):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": chunk})

    with test_client_factory(app).stream(method, "/") as response:
        assert list(response.iter_raw()) == []
    assert test_client_factory(app).request(method, "/").content == b""


def test_reused_buffers_are_copied(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        buffer = bytearray(b"first")
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": memoryview(buffer), "more_body": True})
        buffer[:] = b"again"
        await send({"type": "http.response.body", "body": buffer})

    client = test_client_factory(app)
    with client.stream("GET", "/") as response:
        assert list(response.iter_raw()) == [b"first", b"again"]
    assert client.get("/").content == b"firstagain"


def test_leaving_an_unfinished_response_cancels_the_app(test_client_factory: TestClientFactory) -> None:
    cancelled = threading.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"part", "more_body": True})
        try:
            await anyio.sleep(30)
        except anyio.get_cancelled_exc_class():
            cancelled.set()
            raise

    with test_client_factory(app).stream("GET", "/") as response:
        # `chunks` holds the iterator: httpx2 closes the response when a dropped one is collected.
        chunks = response.iter_raw()
        assert next(chunks) == b"part"
    assert cancelled.is_set()


@pytest.mark.parametrize("raise_server_exceptions", [True, False])
def test_closing_a_complete_response_waits_for_the_app(
    test_client_factory: TestClientFactory, raise_server_exceptions: bool
) -> None:
    finished = threading.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"done"})
        # Work after the response, like a background task: it runs to the end, and its error surfaces.
        await anyio.sleep(0.05)
        finished.set()
        raise ValueError("failed after responding")

    client = test_client_factory(app, raise_server_exceptions=raise_server_exceptions)
    with client.stream("GET", "/") as response:
        # `chunks` holds the iterator: httpx2 closes the response when a dropped one is collected.
        chunks = response.iter_raw()
        assert next(chunks) == b"done"
        if raise_server_exceptions:
            with pytest.raises(ValueError, match="failed after responding"):
                response.close()
    assert finished.is_set()


def test_trailers_show_up_while_the_response_is_open(test_client_factory: TestClientFactory) -> None:
    trailers_sent = threading.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [], "trailers": True})
        await send({"type": "http.response.body", "body": b"payload"})
        await send({"type": "http.response.trailers", "headers": [(b"x-checksum", b"abc")]})
        trailers_sent.set()

    client = test_client_factory(app)
    with client.stream("GET", "/") as response:
        # `chunks` holds the iterator: httpx2 closes the response when a dropped one is collected.
        chunks = response.iter_raw()
        assert next(chunks) == b"payload"
        assert trailers_sent.wait(10)
        assert response.extensions["http.response.trailers"] == [(b"x-checksum", b"abc")]
    assert client.get("/").extensions["http.response.trailers"] == [(b"x-checksum", b"abc")]


@pytest.mark.parametrize("how", ["with-block", "close"])
def test_closing_the_client_cancels_responses_left_open(test_client_factory: TestClientFactory, how: str) -> None:
    cancelled = threading.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"open"})
        try:
            await anyio.sleep(30)
        except anyio.get_cancelled_exc_class():
            cancelled.set()
            raise

    client = test_client_factory(app)
    with client if how == "with-block" else closing(client):
        response = client.send(client.build_request("GET", "/"), stream=True)
        # `chunks` holds the iterator: httpx2 closes the response when a dropped one is collected.
        chunks = response.iter_raw()
        assert next(chunks) == b"open"
    assert cancelled.is_set()


def test_app_that_fails_before_responding(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise KeyError("broken")

    with pytest.raises(KeyError, match="broken"):
        test_client_factory(app).get("/")
    response = test_client_factory(app, raise_server_exceptions=False).get("/")
    assert response.status_code == 500
    assert response.content == b""
