"""Serve a WSGI application (Flask, Django, a legacy app) as an ASGI one. Deprecated: use a2wsgi instead.

Each request's body is read completely, then the WSGI application runs in a worker thread; its status,
headers and body chunks travel back to the event loop as ASGI messages, one per chunk, as they are produced.
"""

from __future__ import annotations

import io
import math
import sys
import warnings
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import anyio
import anyio.from_thread
import anyio.to_thread
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from framework._utils import create_collapsing_task_group
from framework.exceptions import StarletteDeprecationWarning
from framework.types import Message, Receive, Scope, Send

if TYPE_CHECKING:
    from wsgiref.types import WSGIApplication, WSGIEnvironment

    from _typeshed import OptExcInfo

__all__ = ["WSGIMiddleware", "WSGIResponder", "build_environ"]

warnings.warn(
    "framework.middleware.wsgi is deprecated and will be removed in a future release. "
    "Please refer to https://github.com/abersheeran/a2wsgi as a replacement.",
    StarletteDeprecationWarning,
    stacklevel=2,
)

# Headers whose CGI names carry no HTTP_ prefix.
_CGI_HEADER_NAMES = {"content-length": "CONTENT_LENGTH", "content-type": "CONTENT_TYPE"}


def _native(text: str) -> str:
    # PEP 3333 "native strings": the path's UTF-8 bytes, one character per byte.
    return text.encode("utf-8").decode("latin-1")


def build_environ(scope: Scope, body: bytes) -> WSGIEnvironment:
    """Build the PEP 3333 environ of an HTTP `scope` whose request body is `body`."""
    script_name = _native(scope.get("root_path", ""))
    path_info = _native(scope["path"])
    # PATH_INFO loses the mount prefix only when the prefix ends on a segment boundary ("/app" vs "/application").
    if path_info == script_name or path_info.startswith(script_name.rstrip("/") + "/"):
        path_info = path_info[len(script_name) :]
    # WSGI requires the server address; ASGI lets a server omit it.
    server_name, server_port = scope.get("server") or ("localhost", 80)

    environ: WSGIEnvironment = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": script_name,
        "PATH_INFO": path_info,
        "QUERY_STRING": scope["query_string"].decode("ascii"),
        "SERVER_NAME": server_name,
        "SERVER_PORT": server_port,
        "SERVER_PROTOCOL": f"HTTP/{scope['http_version']}",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stdout,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    client = scope.get("client")
    if client:
        environ["REMOTE_ADDR"] = client[0]

    for raw_name, raw_value in scope.get("headers", []):
        # Header bytes should be ASCII; latin-1 maps any byte to one character rather than failing.
        name = raw_name.decode("latin-1")
        key = _CGI_HEADER_NAMES.get(name) or "HTTP_" + name.upper().replace("-", "_")
        value = raw_value.decode("latin-1")
        # A repeated header becomes one comma-separated value, as CGI has room for only one.
        environ[key] = environ[key] + "," + value if key in environ else value
    return environ


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    more_body = True
    while more_body:
        message = await receive()
        chunks.append(message.get("body", b""))
        more_body = message.get("more_body", False)
    return b"".join(chunks)


async def _forward(messages: MemoryObjectReceiveStream[Message], send: Send) -> None:
    with messages:
        async for message in messages:
            await send(message)


class WSGIResponder:
    """Answers one HTTP request (`scope`) by running the WSGI `app` in a worker thread.

    `start_response` sends the response start at once; an `exc_info` given to it is re-raised once the
    whole response has been sent, so the server still hears about the error the application reported.
    """

    def __init__(self, app: WSGIApplication, scope: Scope) -> None:
        self.app = app
        self.scope = scope
        self._response_started = False
        self._exc_info: OptExcInfo | None = None
        self._messages: MemoryObjectSendStream[Message] | None = None

    async def __call__(self, receive: Receive, send: Send) -> None:
        environ = build_environ(self.scope, await _read_body(receive))
        # Unbounded: the worker thread never waits for a slow client, so it is back in the pool as soon
        # as the application has produced its response.
        messages, outbox = anyio.create_memory_object_stream[Message](math.inf)
        self._messages = messages
        async with create_collapsing_task_group() as task_group:
            task_group.start_soon(_forward, outbox, send)
            with messages:
                await anyio.to_thread.run_sync(self._run, environ)
        if self._exc_info is not None:
            _, exc, traceback = self._exc_info
            if exc is not None:
                raise exc.with_traceback(traceback)

    def start_response(
        self,
        status: str,
        response_headers: list[tuple[str, str]],
        exc_info: OptExcInfo | None = None,
    ) -> Callable[[bytes], None]:
        """The WSGI `start_response` callable; runs in the worker thread and returns PEP 3333's `write`."""
        if exc_info is not None:
            self._exc_info = exc_info
        if self._response_started:
            # The status line is already on its way: a later call can only report an error (exc_info).
            return self._write
        self._response_started = True
        code, _reason = status.split(" ", 1)
        headers = [
            (name.strip().encode("ascii").lower(), value.strip().encode("ascii")) for name, value in response_headers
        ]
        self._send({"type": "http.response.start", "status": int(code), "headers": headers})
        return self._write

    def _write(self, data: bytes) -> None:
        # The imperative body API that pre-iterator applications use; chunks go out in call order.
        self._send({"type": "http.response.body", "body": data, "more_body": True})

    def _send(self, message: Message) -> None:
        assert self._messages is not None
        anyio.from_thread.run_sync(self._messages.send_nowait, message)

    def _run(self, environ: WSGIEnvironment) -> None:
        chunks: Iterable[bytes] = self.app(environ, self.start_response)
        try:
            for chunk in chunks:
                self._send({"type": "http.response.body", "body": chunk, "more_body": True})
            self._send({"type": "http.response.body", "body": b""})
        finally:
            # PEP 3333: the server closes what the application returned, whether or not it was exhausted.
            close = getattr(chunks, "close", None)
            if close is not None:
                close()


class WSGIMiddleware:
    """An ASGI application that serves HTTP requests with the WSGI application `app`.

    Mount it to serve an existing WSGI app next to your routes: `Mount("/legacy", app=WSGIMiddleware(flask_app))`.
    It only speaks HTTP: WebSocket and lifespan scopes are not for it.
    """

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        await WSGIResponder(self.app, scope)(receive, send)
