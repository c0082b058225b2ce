"""Share objects through `app.state` and pass per-request values through `request.state`."""

from __future__ import annotations

from framework.applications import Application
from framework.datastructures import State
from framework.requests import Request
from framework.responses import JSONResponse
from framework.routing import Route
from framework.testclient import TestClient
from framework.types import ASGIApp, Receive, Scope, Send


class RequestIdMiddleware:
    """Pure ASGI middleware that tags each request; the endpoint reads it from request.state."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.counter = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.counter += 1
            State(scope.setdefault("state", {}))["request_id"] = self.counter
        await self.app(scope, receive, send)


async def whoami(request: Request) -> JSONResponse:
    return JSONResponse({"service": request.app.state.service_name, "request_id": request.state.request_id})


app = Application(routes=[Route("/", whoami)])
app.state.service_name = "billing"

with TestClient(RequestIdMiddleware(app)) as client:
    assert client.get("/").json() == {"service": "billing", "request_id": 1}
    assert client.get("/").json() == {"service": "billing", "request_id": 2}

state = State()
state.ready = True
assert state["ready"] is True
try:
    state.missing  # noqa: B018
except AttributeError as exc:
    message = str(exc)
assert message == "'State' object has no attribute 'missing'"
