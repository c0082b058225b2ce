"""Serve a legacy WSGI application under /legacy, next to the toolkit's own routes."""

import warnings
from collections.abc import Callable
from typing import Any

from framework.applications import Application
from framework.exceptions import ApplicationDeprecationWarning
from framework.requests import Request
from framework.responses import PlainTextResponse
from framework.routing import Mount, Route
from framework.testclient import TestClient

with warnings.catch_warnings():
    # The module is deprecated (a2wsgi replaces it) and says so when imported.
    warnings.simplefilter("ignore", ApplicationDeprecationWarning)
    from framework.middleware.wsgi import WSGIMiddleware


def legacy_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """Any WSGI application: a Flask or Django app object works the same way."""
    if environ["REQUEST_METHOD"] == "POST":
        body = environ["wsgi.input"].read()
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"legacy got: ", body]
    start_response("200 OK", [("Content-Type", "text/plain")])
    text = f"SCRIPT_NAME={environ['SCRIPT_NAME']} PATH_INFO={environ['PATH_INFO']}"
    return [text.encode()]


async def status(request: Request) -> PlainTextResponse:
    return PlainTextResponse("new app is up")


app = Application(
    routes=[
        Route("/status", status),
        Mount("/legacy", app=WSGIMiddleware(legacy_app)),
    ]
)

client = TestClient(app)

assert client.get("/status").text == "new app is up"

# The mount point becomes SCRIPT_NAME; the rest of the path is PATH_INFO.
response = client.get("/legacy/reports/7")
assert response.status_code == 200
assert response.text == "SCRIPT_NAME=/legacy PATH_INFO=/reports/7"

# The request body is read completely before the WSGI application runs, so wsgi.input holds all of it.
assert client.post("/legacy/upload", content=b"a,b,c").text == "legacy got: a,b,c"
