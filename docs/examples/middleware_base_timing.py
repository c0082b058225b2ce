"""A request/response style middleware (BaseHTTPMiddleware) next to its pure ASGI equivalent."""

import time

from framework.applications import Application
from framework.middleware import Middleware
from framework.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from framework.requests import Request
from framework.responses import PlainTextResponse, Response
from framework.routing import Route
from framework.testclient import TestClient
from framework.types import ASGIApp, Message, Receive, Scope, Send


class TimingMiddleware(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        response.headers["X-Elapsed-Ms"] = f"{(time.perf_counter() - started) * 1000:.1f}"
        return response


class PureTimingMiddleware:
    """The same, as pure ASGI middleware: no extra task, context variables keep working."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def send_with_timing(message: Message) -> None:
            if message["type"] == "http.response.start":
                elapsed = f"{(time.perf_counter() - started) * 1000:.1f}".encode()
                message["headers"] = [*message.get("headers", []), (b"x-pure-elapsed-ms", elapsed)]
            await send(message)

        await self.app(scope, receive, send_with_timing)


async def homepage(request: Request) -> PlainTextResponse:
    return PlainTextResponse("Hello")


app = Application(
    routes=[Route("/", homepage)],
    middleware=[Middleware(TimingMiddleware), Middleware(PureTimingMiddleware)],
)

response = TestClient(app).get("/")
assert response.text == "Hello"
assert float(response.headers["x-elapsed-ms"]) >= 0
assert float(response.headers["x-pure-elapsed-ms"]) >= 0
