"""Declaring middleware, the order they run in, and the request body limit."""

from __future__ import annotations

from framework.applications import Application
from framework.middleware import Middleware
from framework.requests import Request
from framework.responses import PlainTextResponse, Response
from framework.routing import Route
from framework.testclient import TestClient
from framework.types import ASGIApp, Message, Receive, Scope, Send


class AddHeader:
    """A pure ASGI middleware: adds a response header, recording the order middleware ran in."""

    def __init__(self, app: ASGIApp, name: str) -> None:
        self.app = app
        self.name = name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((b"x-middleware", self.name.encode()))
            await send(message)

        await self.app(scope, receive, send_with_header)


async def upload(request: Request) -> Response:
    return PlainTextResponse(f"{len(await request.body())} bytes")


app = Application(
    routes=[
        Route("/upload", upload, methods=["POST"]),
        # A route's own limit replaces the application-wide one for that route: lower here...
        Route("/avatar", upload, methods=["POST"], max_body_size=1_000),
        # ...and higher here.
        Route("/video", upload, methods=["POST"], max_body_size=50_000),
    ],
    middleware=[Middleware(AddHeader, name="outer"), Middleware(AddHeader, name="inner")],
    max_body_size=10_000,
)

client = TestClient(app)

response = client.post("/upload", content=b"x" * 5_000)
assert response.text == "5000 bytes"
# The first middleware in the list is the outermost: it sees the response last.
assert response.headers.get_list("x-middleware") == ["inner", "outer"]

response = client.post("/upload", content=b"x" * 10_001)
assert response.status_code == 413
assert response.text == "Content Too Large"

assert client.post("/avatar", content=b"x" * 1_001).status_code == 413
assert client.post("/video", content=b"x" * 20_000).text == "20000 bytes"


# Bodies sent without a Content-Length are counted as they are read.
def chunks() -> list[bytes]:
    return [b"x" * 4_000] * 3


assert client.post("/upload", content=iter(chunks())).status_code == 413
