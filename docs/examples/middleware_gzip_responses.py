"""Compress large responses for clients that accept gzip."""

from framework.applications import Application
from framework.middleware import Middleware
from framework.middleware.gzip import GZipMiddleware
from framework.requests import Request
from framework.responses import PlainTextResponse
from framework.routing import Route
from framework.testclient import TestClient

REPORT = "line of a long report\n" * 200


async def report(request: Request) -> PlainTextResponse:
    return PlainTextResponse(REPORT)


async def ping(request: Request) -> PlainTextResponse:
    return PlainTextResponse("pong")


app = Application(
    routes=[Route("/report", report), Route("/ping", ping)],
    middleware=[Middleware(GZipMiddleware, minimum_size=1000, compresslevel=6)],
)

client = TestClient(app)

with client.stream("GET", "/report", headers={"Accept-Encoding": "gzip"}) as response:
    compressed = b"".join(response.iter_raw())
assert response.headers["content-encoding"] == "gzip"
assert response.headers["vary"] == "Accept-Encoding"
assert int(response.headers["content-length"]) == len(compressed) < len(REPORT)

# httpx decompresses for us; the text is unchanged.
assert client.get("/report", headers={"Accept-Encoding": "gzip"}).text == REPORT

# Below minimum_size compression is not worth it.
small = client.get("/ping", headers={"Accept-Encoding": "gzip"})
assert "content-encoding" not in small.headers
assert small.text == "pong"
