"""An Application: routes, middleware, exception handlers, lifespan state and debug mode."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from framework.applications import Application
from framework.exceptions import HTTPException
from framework.middleware import Middleware
from framework.middleware.trustedhost import TrustedHostMiddleware
from framework.requests import Request
from framework.responses import JSONResponse, PlainTextResponse, Response
from framework.routing import Route
from framework.testclient import TestClient


@contextlib.asynccontextmanager
async def lifespan(app: Application) -> AsyncIterator[dict[str, str]]:
    # Open connections here; what you yield becomes `request.state` for every request.
    yield {"greeting": "Hello"}


async def homepage(request: Request) -> Response:
    return PlainTextResponse(f"{request.state.greeting}, world")


async def teapot(request: Request) -> Response:
    raise HTTPException(status_code=418, detail="Short and stout")


async def crash(request: Request) -> Response:
    raise RuntimeError("database password is hunter2")


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)


app = Application(
    routes=[Route("/", homepage), Route("/teapot", teapot), Route("/crash", crash)],
    middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=["testserver", "example.org"])],
    exception_handlers={HTTPException: http_error},
    lifespan=lifespan,
)

# `with` runs the lifespan: start-up before the first request, shutdown at the end.
with TestClient(app, raise_server_exceptions=False) as client:
    assert client.get("/").text == "Hello, world"

    response = client.get("/teapot")
    assert response.status_code == 418
    assert response.json() == {"detail": "Short and stout"}

    # Unhandled errors are a bare 500: no traceback, nothing leaked.
    response = client.get("/crash")
    assert response.status_code == 500
    assert response.text == "Internal Server Error"

    # A Host header that could smuggle a path or credentials is refused before routing.
    assert client.get("/", headers={"host": "example.org@evil.test"}).status_code == 400

# In development, debug=True shows the traceback instead.
app.debug = True
with TestClient(app, raise_server_exceptions=False) as client:
    assert "RuntimeError: database password is hunter2" in client.get("/crash").text
