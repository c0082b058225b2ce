"""Exception handlers: by exception class, by status code, and the 500 handler."""

from __future__ import annotations

from framework.applications import Application
from framework.exceptions import HTTPException
from framework.requests import Request
from framework.responses import JSONResponse, Response
from framework.routing import Route
from framework.testclient import TestClient


class OutOfStock(Exception):
    def __init__(self, item: str) -> None:
        super().__init__(item)
        self.item = item


async def buy(request: Request) -> Response:
    raise OutOfStock(request.path_params["item"])


async def secret(request: Request) -> Response:
    raise HTTPException(status_code=403)


async def broken(request: Request) -> Response:
    raise ZeroDivisionError("oops")


async def out_of_stock(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, OutOfStock)
    return JSONResponse({"error": f"{exc.item} is out of stock"}, status_code=409)


def not_found(request: Request, exc: Exception) -> Response:
    # Sync handlers are fine too: they run in a worker thread.
    return JSONResponse({"error": f"nothing at {request.url.path}"}, status_code=404)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return JSONResponse({"error": exc.detail}, status_code=exc.status_code, headers=exc.headers)


async def server_error(request: Request, exc: Exception) -> Response:
    return JSONResponse({"error": "something went wrong, we are on it"}, status_code=500)


app = Application(
    routes=[Route("/buy/{item}", buy), Route("/secret", secret), Route("/broken", broken)],
    exception_handlers={
        OutOfStock: out_of_stock,
        404: not_found,  # a status code: HTTPException(404), including "no route matched"
        HTTPException: http_error,  # every other HTTPException
        500: server_error,  # anything unhandled (same as `Exception: ...`)
    },
)

client = TestClient(app, raise_server_exceptions=False)

response = client.get("/buy/teapot")
assert response.status_code == 409
assert response.json() == {"error": "teapot is out of stock"}

assert client.get("/nowhere").json() == {"error": "nothing at /nowhere"}
assert client.get("/secret").json() == {"error": "Forbidden"}

# The routing errors are HTTPExceptions too, so the 405 keeps its Allow header.
response = client.post("/secret")
assert response.status_code == 405
assert response.headers["allow"] in ("GET, HEAD", "HEAD, GET")

response = client.get("/broken")
assert response.status_code == 500
assert response.json() == {"error": "something went wrong, we are on it"}
