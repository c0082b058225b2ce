from __future__ import annotations

import importlib
import io
import json
import sys
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest

from framework.applications import Application
from framework.exceptions import ApplicationDeprecationWarning, StarletteDeprecationWarning
from framework.routing import Mount
from framework.testclient import TestClient
from framework.types import Message, Scope

# Importing the module warns by design; test_importing_warns_and_points_to_a2wsgi checks the warning itself.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from framework.middleware import wsgi
    from framework.middleware.wsgi import WSGIMiddleware, build_environ

TestClientFactory = Callable[..., TestClient]
StartResponse = Callable[..., Any]
Environ = dict[str, Any]


def http_scope(**overrides: Any) -> Scope:
    scope: Scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "GET",
        "path": "/",
        "root_path": "",
        "query_string": b"",
        "headers": [],
    }
    scope.update(overrides)
    return scope


async def call(app: WSGIMiddleware, scope: Scope, request_chunks: Iterable[bytes] = (b"",)) -> list[Message]:
    """Run `app` directly, feeding it `request_chunks` as the request body; return what it sent."""
    pending = list(request_chunks)
    sent: list[Message] = []

    async def receive() -> Message:
        body = pending.pop(0)
        return {"type": "http.request", "body": body, "more_body": bool(pending)}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


def test_importing_warns_and_points_to_a2wsgi() -> None:
    with pytest.warns(StarletteDeprecationWarning) as record:
        importlib.reload(wsgi)
    [warning] = record
    assert str(warning.message) == (
        "framework.middleware.wsgi is deprecated and will be removed in a future release. "
        "Please refer to https://github.com/abersheeran/a2wsgi as a replacement."
    )
    assert isinstance(warning.message, ApplicationDeprecationWarning)
    assert isinstance(warning.message, DeprecationWarning)
    assert wsgi.__all__ == ["WSGIMiddleware", "WSGIResponder", "build_environ"]


def test_build_environ_translates_the_scope() -> None:
    scope = http_scope(
        method="POST",
        scheme="https",
        path="/shop/cart",
        root_path="/shop",
        query_string=b"item=1&qty=2",
        headers=[
            (b"host", b"shop.example.com"),
            (b"content-type", b"text/plain"),
            (b"content-length", b"5"),
            (b"x-request-id", b"abc"),
            (b"accept", b"text/html"),
            (b"accept", b"*/*"),
        ],
        client=("203.0.113.9", 51000),
        server=("shop.example.com", 8443),
        http_version="2",
    )
    environ = build_environ(scope, b"hello")
    body = environ.pop("wsgi.input")
    assert isinstance(body, io.BytesIO)
    assert body.read() == b"hello"
    assert environ == {
        "REQUEST_METHOD": "POST",
        "SCRIPT_NAME": "/shop",
        "PATH_INFO": "/cart",
        "QUERY_STRING": "item=1&qty=2",
        "SERVER_NAME": "shop.example.com",
        "SERVER_PORT": 8443,
        "SERVER_PROTOCOL": "HTTP/2",
        "REMOTE_ADDR": "203.0.113.9",
        "CONTENT_TYPE": "text/plain",
        "CONTENT_LENGTH": "5",
        "HTTP_HOST": "shop.example.com",
        "HTTP_X_REQUEST_ID": "abc",
        "HTTP_ACCEPT": "text/html,*/*",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "https",
        "wsgi.errors": sys.stdout,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def test_build_environ_defaults_what_asgi_leaves_optional() -> None:
    scope = http_scope()
    del scope["root_path"]
    environ = build_environ(scope, b"")
    assert environ["SERVER_NAME"] == "localhost"
    assert environ["SERVER_PORT"] == 80
    assert environ["wsgi.url_scheme"] == "http"
    assert environ["SCRIPT_NAME"] == ""
    assert environ["PATH_INFO"] == "/"
    assert "REMOTE_ADDR" not in environ
    assert environ["wsgi.input"].read() == b""


def test_build_environ_gives_paths_and_header_values_as_latin1_native_strings() -> None:
    scope = http_scope(path="/café/crème", root_path="/café", headers=[(b"x-name", "Zoë".encode("latin-1"))])
    environ = build_environ(scope, b"")
    assert environ["SCRIPT_NAME"] == "/caf\xc3\xa9"
    assert environ["PATH_INFO"] == "/cr\xc3\xa8me"
    assert environ["HTTP_X_NAME"] == "Zoë"


@pytest.mark.parametrize(
    ("root_path", "path", "script_name", "path_info"),
    [
        ("/api", "/api", "/api", ""),
        ("/api", "/api/users", "/api", "/users"),
        ("/api", "/apiary", "/api", "/apiary"),
        ("/api/", "/api/users", "/api/", "users"),
        ("", "/users", "", "/users"),
    ],
)
def test_build_environ_splits_script_name_on_a_segment_boundary(
    root_path: str, path: str, script_name: str, path_info: str
) -> None:
    environ = build_environ(http_scope(root_path=root_path, path=path), b"")
    assert (environ["SCRIPT_NAME"], environ["PATH_INFO"]) == (script_name, path_info)


def environ_as_json(environ: Environ, start_response: StartResponse) -> list[bytes]:
    keys = ("REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "CONTENT_TYPE", "HTTP_X_TOKEN")
    body = json.dumps({key: environ.get(key) for key in keys}).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def test_mounted_app_sees_its_mount_point_as_script_name(test_client_factory: TestClientFactory) -> None:
    app = Application(routes=[Mount("/legacy", app=WSGIMiddleware(environ_as_json))])
    client = test_client_factory(app)
    response = client.get("/legacy/reports/7?format=csv", headers={"X-Token": "s3cret"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "/legacy",
        "PATH_INFO": "/reports/7",
        "QUERY_STRING": "format=csv",
        "CONTENT_TYPE": None,
        "HTTP_X_TOKEN": "s3cret",
    }


def echo_upper(environ: Environ, start_response: StartResponse) -> list[bytes]:
    body = environ["wsgi.input"].read().upper()
    start_response("201 Created", [("Content-Length", str(len(body))), ("X-Seen-Length", environ["CONTENT_LENGTH"])])
    return [body]


def test_request_body_reaches_wsgi_input(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(WSGIMiddleware(echo_upper))
    response = client.post("/", content=b"some data")
    assert response.status_code == 201
    assert response.headers["x-seen-length"] == "9"
    assert response.content == b"SOME DATA"


@pytest.mark.anyio
async def test_request_body_is_read_completely_before_the_app_runs() -> None:
    scope = http_scope(method="POST", headers=[(b"content-length", b"9")])
    sent = await call(WSGIMiddleware(echo_upper), scope, [b"som", b"e d", b"ata"])
    assert sent[0]["status"] == 201
    assert b"".join(message.get("body", b"") for message in sent) == b"SOME DATA"


def teapot(environ: Environ, start_response: StartResponse) -> list[bytes]:
    start_response("418 I'm a teapot", [(" X-Brew ", " earl grey "), ("Content-Type", "text/plain")])
    return [b"short and stout"]


@pytest.mark.anyio
async def test_status_line_and_headers_become_the_response_start() -> None:
    sent = await call(WSGIMiddleware(teapot), http_scope())
    headers = [(b"x-brew", b"earl grey"), (b"content-type", b"text/plain")]
    assert sent == [
        {"type": "http.response.start", "status": 418, "headers": headers},
        {"type": "http.response.body", "body": b"short and stout", "more_body": True},
        {"type": "http.response.body", "body": b""},
    ]


class Countdown:
    """A WSGI response iterable that records whether the server closed it, as PEP 3333 requires."""

    def __init__(self) -> None:
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        for n in (3, 2, 1):
            yield f"{n}...".encode()
        yield b"liftoff"

    def close(self) -> None:
        self.closed = True


@pytest.mark.anyio
async def test_each_chunk_is_sent_as_it_is_produced_and_the_iterable_is_closed() -> None:
    countdown = Countdown()

    def app(environ: Environ, start_response: StartResponse) -> Countdown:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return countdown

    sent = await call(WSGIMiddleware(app), http_scope())
    assert [message["type"] for message in sent] == ["http.response.start"] + ["http.response.body"] * 5
    assert [message["body"] for message in sent[1:]] == [b"3...", b"2...", b"1...", b"liftoff", b""]
    assert [message.get("more_body", False) for message in sent[1:]] == [True, True, True, True, False]
    assert countdown.closed


@pytest.mark.anyio
async def test_body_streams_while_the_app_is_still_running() -> None:
    first_chunk_delivered = threading.Event()

    def app(environ: Environ, start_response: StartResponse) -> Iterator[bytes]:
        start_response("200 OK", [])
        yield b"first"
        # Only reachable in time if "first" was sent while this generator is still suspended here.
        yield b"second" if first_chunk_delivered.wait(timeout=10) else b"buffered"

    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        sent.append(message)
        if message.get("body") == b"first":
            first_chunk_delivered.set()

    await WSGIMiddleware(app)(http_scope(), receive, send)
    assert [message.get("body") for message in sent] == [None, b"first", b"second", b""]


def legacy_writer(environ: Environ, start_response: StartResponse) -> list[bytes]:
    write = start_response("200 OK", [("Content-Type", "text/plain")])
    write(b"written, ")
    return [b"then returned"]


def test_write_callable_sends_body_before_the_returned_iterable(test_client_factory: TestClientFactory) -> None:
    response = test_client_factory(WSGIMiddleware(legacy_writer)).get("/")
    assert response.text == "written, then returned"


def fails_before_start(environ: Environ, start_response: StartResponse) -> list[bytes]:
    raise RuntimeError("database is down")


def test_error_before_start_response_reaches_the_server(test_client_factory: TestClientFactory) -> None:
    with pytest.raises(RuntimeError, match="database is down"):
        test_client_factory(WSGIMiddleware(fails_before_start)).get("/")

    response = test_client_factory(WSGIMiddleware(fails_before_start), raise_server_exceptions=False).get("/")
    assert response.status_code == 500


@pytest.mark.anyio
async def test_error_while_streaming_propagates_after_the_response_started() -> None:
    closed = threading.Event()

    def app(environ: Environ, start_response: StartResponse) -> Iterator[bytes]:
        start_response("200 OK", [])
        try:
            yield b"partial"
            raise RuntimeError("lost the file halfway")
        finally:
            closed.set()

    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        sent.append(message)

    with pytest.raises(RuntimeError, match="lost the file halfway"):
        await WSGIMiddleware(app)(http_scope(), receive, send)
    assert sent[0] == {"type": "http.response.start", "status": 200, "headers": []}
    assert {"type": "http.response.body", "body": b""} not in sent
    assert closed.is_set()


class ReportError(Exception):
    pass


def reports_exc_info(environ: Environ, start_response: StartResponse) -> list[bytes]:
    try:
        raise ReportError("template failed")
    except ReportError:
        start_response("500 Internal Server Error", [("Content-Type", "text/plain")], sys.exc_info())
    return [b"Sorry, something broke."]


def test_exc_info_is_raised_after_the_error_page_is_sent(test_client_factory: TestClientFactory) -> None:
    with pytest.raises(ReportError, match="template failed"):
        test_client_factory(WSGIMiddleware(reports_exc_info)).get("/")

    response = test_client_factory(WSGIMiddleware(reports_exc_info), raise_server_exceptions=False).get("/")
    assert response.status_code == 500
    assert response.headers["content-type"] == "text/plain"
    assert response.text == "Sorry, something broke."


@pytest.mark.anyio
async def test_exc_info_from_a_second_start_response_keeps_the_first_status() -> None:
    def app(environ: Environ, start_response: StartResponse) -> Iterator[bytes]:
        start_response("200 OK", [])
        yield b"rows: 1, 2"
        try:
            raise ReportError("row 3 is corrupt")
        except ReportError:
            start_response("500 Internal Server Error", [], sys.exc_info())
        yield b" (truncated)"

    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        sent.append(message)

    with pytest.raises(ReportError, match="row 3 is corrupt"):
        await WSGIMiddleware(app)(http_scope(), receive, send)
    assert sent[0]["status"] == 200
    assert b"".join(message.get("body", b"") for message in sent) == b"rows: 1, 2 (truncated)"
    assert sent[-1] == {"type": "http.response.body", "body": b""}


@pytest.mark.anyio
async def test_only_http_scopes_are_served() -> None:
    async def receive() -> Message:  # pragma: no cover - never called
        raise AssertionError

    async def send(message: Message) -> None:  # pragma: no cover - never called
        raise AssertionError

    with pytest.raises(AssertionError):
        await WSGIMiddleware(teapot)({"type": "websocket", "path": "/"}, receive, send)
