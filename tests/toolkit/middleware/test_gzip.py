from __future__ import annotations

import gzip
import zlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import pytest

from framework.applications import Application
from framework.middleware import Middleware
from framework.middleware.gzip import GZipMiddleware
from framework.requests import Request
from framework.responses import PlainTextResponse, Response, StreamingResponse
from framework.routing import Route
from framework.testclient import TestClient
from framework.types import Message, Receive, Scope, Send

TestClientFactory = Callable[..., TestClient]

BIG = "x" * 4000


async def big(request: Request) -> PlainTextResponse:
    return PlainTextResponse(BIG, headers={"Vary": "Cookie"})


async def small(request: Request) -> PlainTextResponse:
    return PlainTextResponse("x" * 499)


async def exactly_minimum(request: Request) -> PlainTextResponse:
    return PlainTextResponse("x" * 500)


async def already_encoded(request: Request) -> Response:
    body = zlib.compress(BIG.encode())
    return Response(body, headers={"Content-Encoding": "deflate"}, media_type="text/plain")


async def numbers(request: Request) -> StreamingResponse:
    async def generate() -> AsyncIterator[str]:
        for n in range(10):
            yield f"{n}" * 1000

    return StreamingResponse(generate(), media_type="text/plain", headers={"Content-Length": "10000"})


async def events(request: Request) -> StreamingResponse:
    async def generate() -> AsyncIterator[str]:
        for n in range(3):
            yield f"data: {n}\n\n" * 300

    return StreamingResponse(generate(), media_type="text/event-stream")


def build_app(**options: Any) -> Application:
    return Application(
        routes=[
            Route("/big", big),
            Route("/small", small),
            Route("/minimum", exactly_minimum),
            Route("/encoded", already_encoded),
            Route("/stream", numbers),
            Route("/events", events),
        ],
        middleware=[Middleware(GZipMiddleware, **options)],
    )


def test_compresses_large_response(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(build_app())
    response = client.get("/big", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.text == BIG  # httpx decodes transparently
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Cookie, Accept-Encoding"
    assert int(response.headers["content-length"]) < len(BIG)


def test_content_length_matches_compressed_body(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(build_app())
    with client.stream("GET", "/big", headers={"Accept-Encoding": "gzip"}) as response:
        raw = b"".join(response.iter_raw())
    assert int(response.headers["content-length"]) == len(raw)
    assert gzip.decompress(raw) == BIG.encode()


def test_no_compression_without_accept_encoding(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(build_app())
    response = client.get("/big", headers={"Accept-Encoding": "identity"})
    assert response.text == BIG
    assert "content-encoding" not in response.headers
    assert int(response.headers["content-length"]) == len(BIG)
    # The response would differ for another client, so caches must know.
    assert response.headers["vary"] == "Cookie, Accept-Encoding"


@pytest.mark.parametrize("accept", ["gzip;q=0", "br, gzip; q=0.0", "deflate", "x-gzip-nope"])
def test_gzip_refused_or_absent_in_accept_encoding(test_client_factory: TestClientFactory, accept: str) -> None:
    client = test_client_factory(build_app())
    response = client.get("/big", headers={"Accept-Encoding": accept})
    assert response.text == BIG
    assert "content-encoding" not in response.headers


@pytest.mark.parametrize("accept", ["GZIP", "br;q=1.0, gzip;q=0.5", "deflate, gzip", "gzip;q=bogus"])
def test_gzip_accepted_variants(test_client_factory: TestClientFactory, accept: str) -> None:
    client = test_client_factory(build_app())
    response = client.get("/big", headers={"Accept-Encoding": accept})
    assert response.headers["content-encoding"] == "gzip"
    assert response.text == BIG


def test_small_responses_are_not_compressed(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(build_app())
    response = client.get("/small", headers={"Accept-Encoding": "gzip"})
    assert response.text == "x" * 499
    assert "content-encoding" not in response.headers
    assert "vary" not in response.headers
    assert response.headers["content-length"] == "499"
    response = client.get("/minimum", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"


def test_minimum_size_and_compresslevel_options(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(build_app(minimum_size=10_000, compresslevel=1))
    response = client.get("/big", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in response.headers
    client = test_client_factory(build_app(minimum_size=1, compresslevel=1))
    response = client.get("/small", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.text == "x" * 499


def test_already_encoded_response_is_left_alone(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(build_app())
    with client.stream("GET", "/encoded", headers={"Accept-Encoding": "gzip"}) as response:
        raw = b"".join(response.iter_raw())
    assert response.headers["content-encoding"] == "deflate"
    assert zlib.decompress(raw) == BIG.encode()
    assert "vary" not in response.headers


def test_streaming_response_is_compressed_without_content_length(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(build_app())
    response = client.get("/stream", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.text == "".join(f"{n}" * 1000 for n in range(10))
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Accept-Encoding"
    assert "content-length" not in response.headers


def test_event_stream_is_never_compressed(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(build_app())
    response = client.get("/events", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in response.headers
    assert response.text == "".join(f"data: {n}\n\n" * 300 for n in range(3))


@pytest.mark.anyio
async def test_each_streamed_chunk_is_flushed() -> None:
    """Every chunk the app streams can be decompressed as soon as it arrives."""
    chunks = [b"a" * 600, b"b" * 10, b"", b"c" * 10]

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        for chunk in chunks:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def receive() -> Message:  # pragma: no cover - the app never reads
        await anyio.sleep_forever()
        raise AssertionError

    scope = {"type": "http", "method": "GET", "path": "/", "headers": [(b"accept-encoding", b"gzip")]}
    await GZipMiddleware(app)(scope, receive, send)

    start, *bodies = sent
    assert (b"content-encoding", b"gzip") in start["headers"]
    decompressor = zlib.decompressobj(wbits=31)
    seen = [decompressor.decompress(message["body"]) for message in bodies]
    assert seen[: len(chunks)] == chunks
    assert bodies[-1]["more_body"] is False
    assert b"".join(seen) == b"".join(chunks)


@pytest.mark.anyio
async def test_non_http_scopes_pass_through() -> None:
    called: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        called.append(scope["type"])

    async def noop_receive() -> Message:  # pragma: no cover
        return {}

    async def noop_send(message: Message) -> None:  # pragma: no cover
        pass

    await GZipMiddleware(app)({"type": "websocket", "headers": []}, noop_receive, noop_send)
    assert called == ["websocket"]


@pytest.mark.anyio
async def test_pathsend_is_forwarded_uncompressed() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"9000")]})
        await send({"type": "http.response.pathsend", "path": "/tmp/file"})

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def receive() -> Message:  # pragma: no cover
        return {}

    scope = {"type": "http", "headers": [(b"accept-encoding", b"gzip")]}
    await GZipMiddleware(app)(scope, receive, send)
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.pathsend"]
    assert sent[0]["headers"] == [(b"content-length", b"9000")]


def _typed_app(content_type: bytes, body: bytes = b"z" * 2000, status: int = 200) -> Any:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", content_type)]})
        await send({"type": "http.response.body", "body": body})

    return app


@pytest.mark.parametrize("content_type", [b"image/png", b"video/webm", b"application/grpc+json", b"IMAGE/JPEG; q=1"])
def test_already_compressed_types_are_left_alone(test_client_factory: TestClientFactory, content_type: bytes) -> None:
    response = test_client_factory(GZipMiddleware(_typed_app(content_type))).get(
        "/", headers={"accept-encoding": "gzip"}
    )
    assert response.content == b"z" * 2000
    assert "content-encoding" not in response.headers
    assert "vary" not in response.headers


def test_exclude_content_types_can_be_replaced(test_client_factory: TestClientFactory) -> None:
    custom = GZipMiddleware(_typed_app(b"image/png"), exclude_content_types=("Text/CSV; charset=utf-8",))
    client = test_client_factory(custom)
    response = client.get("/", headers={"accept-encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Accept-Encoding"
    assert response.content == b"z" * 2000  # httpx decodes the gzip body

    csv = GZipMiddleware(_typed_app(b"text/csv"), exclude_content_types=("Text/CSV; charset=utf-8",))
    assert "content-encoding" not in test_client_factory(csv).get("/", headers={"accept-encoding": "gzip"}).headers


def test_partial_content_is_not_compressed(test_client_factory: TestClientFactory) -> None:
    response = test_client_factory(GZipMiddleware(_typed_app(b"text/plain", status=206))).get(
        "/", headers={"accept-encoding": "gzip"}
    )
    assert response.status_code == 206
    assert response.content == b"z" * 2000
    assert "content-encoding" not in response.headers


@pytest.mark.parametrize("more_body", [True, False])
def test_trailers_drop_content_length(test_client_factory: TestClientFactory, more_body: bool) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [], "trailers": True})
        await send({"type": "http.response.body", "body": b"t" * 3000, "more_body": more_body})
        if more_body:
            await send({"type": "http.response.body", "body": b""})
        await send({"type": "http.response.trailers", "headers": [(b"x-done", b"1")]})

    response = test_client_factory(GZipMiddleware(app)).get("/", headers={"accept-encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert "content-length" not in response.headers
    assert response.content == b"t" * 3000
    assert response.extensions["http.response.trailers"] == [(b"x-done", b"1")]


def test_large_chunks_are_compressed_off_the_event_loop(test_client_factory: TestClientFactory) -> None:
    body = bytes(range(256)) * 1024
    app = GZipMiddleware(_typed_app(b"application/octet-stream", body), thread_minimum_size=1024)
    response = test_client_factory(app).get("/", headers={"accept-encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.content == body


def test_vary_lines_are_folded(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-type", b"text/plain"), (b"vary", b"Cookie"), (b"vary", b"Origin")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"v" * 1000})

    response = test_client_factory(GZipMiddleware(app)).get("/", headers={"accept-encoding": "gzip"})
    assert response.headers.get_list("vary") == ["Cookie, Origin, Accept-Encoding"]
