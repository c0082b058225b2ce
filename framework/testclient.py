"""An HTTP client that talks to an ASGI app in-process.

Tests are synchronous; the app is async. Each request (or the whole `with` block, so
that the lifespan and the requests share one event loop) runs the app in a blocking
portal: an anyio event loop on a helper thread, on the asyncio or trio backend.

The client is built on httpx2 (pydantic's maintained fork of httpx, same API) when it is
installed, and on httpx, our own dependency, otherwise: `TestClient` subclasses that library's
`Client` and returns its `Response` objects.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import math
import warnings
from collections.abc import Awaitable, Callable, Generator, Iterator, Sequence
from concurrent.futures import Future
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, TypedDict, TypeGuard, cast
from urllib.parse import unquote, urljoin

import anyio
import anyio.abc
import anyio.from_thread
import anyio.to_thread
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from framework._utils import is_async_callable
from framework.exceptions import StarletteDeprecationWarning
from framework.types import ASGIApp, Message, Receive, Scope, Send
from framework.websockets import WebSocketDisconnect

if TYPE_CHECKING:
    # Typed against httpx, which is always installed; httpx2 has the same API. The private modules are
    # imported for annotations only: at run time the module uses public names of whichever library loaded.
    from typing import Self

    import httpx
    from httpx._client import UseClientDefault
    from httpx._types import (
        AuthTypes,
        CookieTypes,
        HeaderTypes,
        QueryParamTypes,
        RequestContent,
        RequestData,
        RequestExtensions,
        RequestFiles,
        TimeoutTypes,
        URLTypes,
    )
else:
    try:
        import httpx2 as httpx
    except ModuleNotFoundError:
        # No warning: httpx is a declared dependency of this package, so this is a supported setup.
        import httpx

__all__ = ["TestClient", "WebSocketDenialResponse", "WebSocketTestSession"]

# The two ASGI calling conventions: ASGI 3 is `await app(scope, receive, send)`; the older ASGI 2 is
# `await app(scope)(receive, send)`. TestClient accepts both.
ASGIInstance = Callable[[Receive, Send], Awaitable[None]]
ASGI2App = Callable[[Scope], ASGIInstance]
ASGI3App = Callable[[Scope, Receive, Send], Awaitable[None]]

_PortalFactory = Callable[[], contextlib.AbstractContextManager[anyio.from_thread.BlockingPortal]]
_DEFAULT_PORTS = {"http": 80, "ws": 80, "https": 443, "wss": 443}
_APP_GRACE_SECONDS = 0.1
_HTTP_ASGI = {"version": "3.0", "spec_version": "2.4"}
_WEBSOCKET_ASGI = {"version": "3.0", "spec_version": "2.4"}


def _is_asgi3(app: ASGI2App | ASGI3App) -> TypeGuard[ASGI3App]:
    # A class is an ASGI 2 app (calling it builds the instance) unless its instances are awaitable.
    if inspect.isclass(app):
        return hasattr(app, "__await__")
    return is_async_callable(app)


class _ASGI2Adapter:
    """Presents an ASGI 2 app as an ASGI 3 one."""

    def __init__(self, app: ASGI2App) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope)(receive, send)


class _AsyncBackend(TypedDict):
    backend: str
    backend_options: dict[str, Any]


class _Upgrade(Exception):
    """Carries the WebSocket session out of httpx: a ws:// request never gets an HTTP response."""

    def __init__(self, session: WebSocketTestSession) -> None:
        self.session = session


class WebSocketDenialResponse(httpx.Response, WebSocketDisconnect):  # type: ignore[misc]
    """Raised by `websocket_connect` when the app rejects the handshake with an HTTP response.

    It is the rejected response itself, so tests can assert on its status, headers and body.
    """


def _dump_json(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


class WebSocketTestSession:
    """The client side of one WebSocket connection, used as a context manager."""

    def __init__(self, app: ASGIApp, scope: Scope, portal_factory: _PortalFactory) -> None:
        self.app = app
        self.scope = scope
        self.accepted_subprotocol: str | None = None
        self.portal_factory = portal_factory
        self.extra_headers: list[tuple[bytes, bytes]] | None = None

    def __enter__(self) -> WebSocketTestSession:
        with contextlib.ExitStack() as stack:
            self.portal = portal = stack.enter_context(self.portal_factory())
            future, cancel_scope = portal.start_task(self._run)
            stack.callback(self._send_rx.close)
            # Unwinds in reverse: say goodbye, stop the app, then surface any error it raised.
            stack.callback(future.result)
            stack.callback(portal.call, cancel_scope.cancel)
            self.send({"type": "websocket.connect"})
            message = self.receive()
            self._raise_on_close(message)
            self.accepted_subprotocol = message.get("subprotocol", None)
            self.extra_headers = message.get("headers", None)
            stack.callback(self._leave)
            self.exit_stack = stack.pop_all()
            return self

    def __exit__(self, *args: Any) -> bool | None:
        return self.exit_stack.__exit__(*args)

    async def _run(self, *, task_status: anyio.abc.TaskStatus[anyio.CancelScope]) -> None:
        to_client: tuple[MemoryObjectSendStream[Message], MemoryObjectReceiveStream[Message]]
        to_client = anyio.create_memory_object_stream(math.inf)
        to_app: tuple[MemoryObjectSendStream[Message], MemoryObjectReceiveStream[Message]]
        to_app = anyio.create_memory_object_stream(math.inf)
        send_tx, send_rx = to_client
        receive_tx, receive_rx = to_app
        # The client side closes send_rx on exit, so frames queued before an app error stay readable.
        self._send_rx = send_rx
        self._app_done = anyio.Event()
        with send_tx, receive_tx, receive_rx, anyio.CancelScope() as cancel_scope:
            self._receive_tx = receive_tx
            task_status.started(cancel_scope)
            try:
                await self.app(self.scope, receive_rx.receive, send_tx.send)
            finally:
                # The app is gone: the client reads what is queued, then learns the peer left.
                send_tx.close()
                self._app_done.set()
            await anyio.sleep_forever()

    def _leave(self) -> None:
        """Disconnect like a client leaving, and let the app react before it is cancelled."""
        with contextlib.suppress(anyio.ClosedResourceError, anyio.BrokenResourceError):
            self.close(1000)
        self.portal.call(self._wait_for_app)

    async def _wait_for_app(self) -> None:
        # An app that handles the disconnect finishes at once; one that ignores it gets a moment, then
        # is cancelled. Waiting makes errors raised while handling queued messages surface reliably.
        with anyio.move_on_after(_APP_GRACE_SECONDS):
            await self._app_done.wait()

    def _raise_on_close(self, message: Message) -> None:
        if message["type"] == "websocket.close":
            raise WebSocketDisconnect(code=message.get("code", 1000), reason=message.get("reason", ""))
        if message["type"] == "websocket.http.response.start":
            status_code: int = message["status"]
            headers: list[tuple[bytes, bytes]] = message.get("headers", [])
            body: list[bytes] = []
            while True:
                message = self.receive()
                assert message["type"] == "websocket.http.response.body"
                body.append(message.get("body", b""))
                if not message.get("more_body", False):
                    break
            raise WebSocketDenialResponse(status_code=status_code, headers=headers, content=b"".join(body))

    def send(self, message: Message) -> None:
        self.portal.call(self._receive_tx.send, message)

    def send_text(self, data: str) -> None:
        self.send({"type": "websocket.receive", "text": data})

    def send_bytes(self, data: bytes) -> None:
        self.send({"type": "websocket.receive", "bytes": data})

    def send_json(self, data: Any, mode: Literal["text", "binary"] = "text") -> None:
        text = _dump_json(data)
        if mode == "text":
            self.send({"type": "websocket.receive", "text": text})
        else:
            self.send({"type": "websocket.receive", "bytes": text.encode("utf-8")})

    def close(self, code: int = 1000, reason: str | None = None) -> None:
        self.send({"type": "websocket.disconnect", "code": code, "reason": reason})

    def receive(self) -> Message:
        try:
            message: Message = self.portal.call(self._send_rx.receive)
            return message
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            # The app finished (or crashed) without a close frame: what a client sees as 1006.
            raise WebSocketDisconnect(code=1006, reason="The application ended the connection.") from None

    def receive_text(self) -> str:
        message = self.receive()
        self._raise_on_close(message)
        text: str = message["text"]
        return text

    def receive_bytes(self) -> bytes:
        message = self.receive()
        self._raise_on_close(message)
        data: bytes = message["bytes"]
        return data

    def receive_json(self, mode: Literal["text", "binary"] = "text") -> Any:
        message = self.receive()
        self._raise_on_close(message)
        text = message["text"] if mode == "text" else message["bytes"].decode("utf-8")
        return json.loads(text)


class _HTTPExchange:
    """One request/response cycle, seen from the app's side: feeds it the request body, takes its response.

    Response messages reach the client through a rendezvous channel (no buffer): the app's `send` of a
    body chunk returns only once the client has taken it, which is the backpressure a real socket gives.
    Trailers and debug information are recorded directly, so they show up without the client reading.
    """

    def __init__(self, request: httpx.Request) -> None:
        self.request = request
        self.status_code: int | None = None
        self.headers: list[tuple[bytes, bytes]] = []
        self.debug_info: dict[str, Any] | None = None
        # None unless the app announced trailers in http.response.start.
        self.trailers: list[tuple[bytes, bytes]] | None = None
        self._is_head = request.method == "HEAD"
        self._body_complete = False
        self._body_consumed = False
        self._request_complete = False
        self._chunks: Iterator[bytes] | None = None
        try:
            self._content: bytes | None = request.content
        except httpx.RequestNotRead:
            # A generator or multipart body: stream it to the app chunk by chunk.
            self._content = None
            assert isinstance(request.stream, httpx.SyncByteStream)
            self._chunks = iter(request.stream)

    async def run(self, app: ASGIApp, scope: Scope, *, task_status: anyio.abc.TaskStatus[anyio.CancelScope]) -> None:
        channel: tuple[MemoryObjectSendStream[Message], MemoryObjectReceiveStream[Message]]
        channel = anyio.create_memory_object_stream(0)
        self._outbox, self._inbox = channel
        self.response_complete = anyio.Event()
        # Set when the response is complete or the app has returned, whichever comes first.
        self.settled = anyio.Event()
        with self._outbox, anyio.CancelScope() as cancel_scope:
            task_status.started(cancel_scope)
            try:
                await app(scope, self.receive, self.send)
            finally:
                self.settled.set()

    async def receive(self) -> Message:
        if self._request_complete:
            # Like a real client: the connection only goes away once the response is complete. No
            # checkpoint when it already is, so a poll under a cancelled scope still sees the disconnect.
            if not self.response_complete.is_set():
                await self.response_complete.wait()
            return {"type": "http.disconnect"}
        if self._chunks is None:
            self._request_complete = True
            return {"type": "http.request", "body": self._content or b""}
        # The iterator may read files: pull it in a worker thread, off the event loop.
        chunk = await anyio.to_thread.run_sync(next, self._chunks, None)
        if chunk is None:
            self._request_complete = True
            return {"type": "http.request", "body": b"", "more_body": False}
        if isinstance(chunk, str):
            chunk = chunk.encode("utf-8")
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(self, message: Message) -> None:
        message_type = message["type"]
        if message_type == "http.response.start":
            assert self.status_code is None, 'Received multiple "http.response.start" messages.'
            self.status_code = message["status"]
            self.headers = [(bytes(key), bytes(value)) for key, value in message.get("headers", [])]
            if message.get("trailers", False):
                self.trailers = []
            await self._outbox.send(message)
        elif message_type == "http.response.body":
            await self._send_body(message)
        elif message_type == "http.response.trailers":
            self._receive_trailers(message)
        elif message_type == "http.response.debug":
            self.debug_info = message["info"]

    async def _send_body(self, message: Message) -> None:
        assert self.status_code is not None, 'Received "http.response.body" without "http.response.start".'
        assert not self.response_complete.is_set(), 'Received "http.response.body" after response completed.'
        assert not self._body_complete, 'Received "http.response.body" after body completed.'
        more_body = message.get("more_body", False)
        # Copied: the app may reuse a mutable buffer (bytearray, memoryview) for its next chunk.
        body = b"" if self._is_head else bytes(message.get("body", b""))
        if not more_body:
            self._body_complete = True
            if self.trailers is None:
                self._complete()
        await self._outbox.send({"type": "http.response.body", "body": body, "more_body": more_body})

    def _receive_trailers(self, message: Message) -> None:
        assert self.trailers is not None, 'Received "http.response.trailers" without declaring trailers.'
        assert self._body_complete, 'Received "http.response.trailers" before body completed.'
        assert not self.response_complete.is_set(), 'Received "http.response.trailers" after response completed.'
        self.trailers.extend(message.get("headers", []))
        if not message.get("more_trailers", False):
            self._complete()

    def _complete(self) -> None:
        self.response_complete.set()
        self.settled.set()

    # The client side: each of these runs in the portal, called from the test's thread.

    async def wait_for_start(self) -> bool:
        """True once the response has started; False when the app returned (or failed) without starting it."""
        try:
            await self._inbox.receive()
        except anyio.EndOfStream:
            self._inbox.close()
            return False
        return True

    async def next_chunk(self) -> bytes | None:
        """The next non-empty body chunk, or None at the end of the response."""
        while not self._body_consumed:
            try:
                message = await self._inbox.receive()
            except (anyio.EndOfStream, anyio.ClosedResourceError):
                # The app stopped before completing the body: the response ends short.
                self._body_consumed = True
                break
            if not message["more_body"]:
                self._body_consumed = True
            if message["body"]:
                return bytes(message["body"])
        if self.trailers is not None:
            # Trailers follow the body: the response is over once they are in (or the app returned).
            await self.settled.wait()
        return None

    async def stop(self, cancel_scope: anyio.CancelScope, *, force: bool) -> None:
        """Let a complete response's app finish (background tasks); cancel it otherwise."""
        self._inbox.close()
        if force or not self.response_complete.is_set():
            cancel_scope.cancel()


class _ResponseStream(httpx.SyncByteStream):
    """The body of a TestClient response, pulled from the running app chunk by chunk.

    Closing it (httpx does once the body is read, or when a `client.stream()` block ends) waits for
    an app that completed its response, so background tasks run and their errors surface, and cancels
    an app whose response is unfinished.
    """

    def __init__(
        self,
        exchange: _HTTPExchange,
        portal: anyio.from_thread.BlockingPortal,
        task: tuple[Future[None], anyio.CancelScope],
        resources: contextlib.ExitStack,
        transport: _TestClientTransport,
    ) -> None:
        self.exchange = exchange
        self.portal = portal
        self.future, self.cancel_scope = task
        self.resources = resources
        self.transport = transport
        self.response: httpx.Response | None = None
        self.closed = False
        self._debug_seen: dict[str, Any] | None = None

    def __iter__(self) -> Iterator[bytes]:
        while not self.closed:
            chunk = self.portal.call(self.exchange.next_chunk)
            self.sync_debug_info()
            if chunk is None:
                return
            yield chunk

    def sync_debug_info(self) -> None:
        info = self.exchange.debug_info
        if info is None or info is self._debug_seen or self.response is None:
            return
        self._debug_seen = info
        self.response.extensions["http.response.debug"] = info
        if "template" in info:
            self.response.template = info["template"]  # type: ignore[attr-defined]
        if "context" in info:
            self.response.context = info["context"]  # type: ignore[attr-defined]

    def close(self) -> None:
        self._stop(force=False)

    def abort(self) -> None:
        """Cancel the app whatever state its response is in: the client is going away."""
        with contextlib.suppress(Exception):
            self._stop(force=True)

    def _stop(self, *, force: bool) -> None:
        if self.closed:
            return
        self.closed = True
        self.transport.open_streams.discard(self)
        try:
            self.portal.call(partial(self.exchange.stop, self.cancel_scope, force=force))
            error = self.future.exception()
        finally:
            self.resources.close()
        if error is not None and self.transport.raise_server_exceptions:
            raise error


class _TestClientTransport(httpx.BaseTransport):
    def __init__(
        self,
        app: ASGIApp,
        portal_factory: _PortalFactory,
        raise_server_exceptions: bool = True,
        root_path: str = "",
        *,
        client: tuple[str, int],
        app_state: dict[str, Any],
    ) -> None:
        self.app = app
        self.raise_server_exceptions = raise_server_exceptions
        self.root_path = root_path
        self.portal_factory = portal_factory
        self.app_state = app_state
        self.client = client
        self.open_streams: set[_ResponseStream] = set()

    def _base_scope(self, request: httpx.Request) -> dict[str, Any]:
        scheme = request.url.scheme
        netloc = request.url.netloc.decode("ascii")
        default_port = _DEFAULT_PORTS[scheme]
        host, _, port_text = netloc.rpartition(":") if ":" in netloc.rsplit("]", 1)[-1] else (netloc, "", "")
        port = int(port_text) if port_text else default_port
        headers: list[tuple[bytes, bytes]] = []
        if "host" not in request.headers:
            host_header = host if port == default_port else f"{host}:{port}"
            headers.append((b"host", host_header.encode("ascii")))
        headers += [(key.lower(), value) for key, value in request.headers.raw]
        return {
            "path": unquote(request.url.path),
            "raw_path": request.url.raw_path.split(b"?", 1)[0],
            "root_path": self.root_path,
            "scheme": scheme,
            "query_string": request.url.query,
            "headers": headers,
            "client": self.client,
            # The Host header keeps an IPv6 literal's brackets; the server address is the bare IP.
            "server": [host[1:-1] if host.startswith("[") else host, port],
            "state": self.app_state.copy(),
        }

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        scope = self._base_scope(request)
        if scope["scheme"] in {"ws", "wss"}:
            protocols = request.headers.get("sec-websocket-protocol")
            scope["type"] = "websocket"
            scope["asgi"] = dict(_WEBSOCKET_ASGI)
            scope["subprotocols"] = [] if protocols is None else [p.strip() for p in protocols.split(",")]
            scope["extensions"] = {"websocket.http.response": {}}
            raise _Upgrade(WebSocketTestSession(self.app, scope, self.portal_factory))
        scope.update(
            type="http",
            asgi=dict(_HTTP_ASGI),
            http_version="1.1",
            method=request.method,
            extensions={"http.response.debug": {}, "http.response.trailers": {}},
        )
        return self._start_exchange(request, scope)

    def _start_exchange(self, request: httpx.Request, scope: Scope) -> httpx.Response:
        """Run the app until its response starts; the body is then read from it on demand."""
        exchange = _HTTPExchange(request)
        with contextlib.ExitStack() as resources:
            portal = resources.enter_context(self.portal_factory())
            task: tuple[Future[None], anyio.CancelScope] = portal.start_task(exchange.run, self.app, scope)
            if portal.call(exchange.wait_for_start):
                stream = _ResponseStream(exchange, portal, task, resources.pop_all(), self)
                self.open_streams.add(stream)
                return self._build_response(request, exchange, stream)
            error = task[0].exception()
        if error is not None and self.raise_server_exceptions:
            raise error
        assert error is not None or not self.raise_server_exceptions, "TestClient did not receive any response."
        # Mirrors what a server sends when the app crashed before responding.
        return httpx.Response(500, headers=[], stream=httpx.ByteStream(b""), request=request)

    def _build_response(
        self, request: httpx.Request, exchange: _HTTPExchange, stream: _ResponseStream
    ) -> httpx.Response:
        assert exchange.status_code is not None
        response = httpx.Response(exchange.status_code, headers=exchange.headers, stream=stream, request=request)
        stream.response = response
        if exchange.trailers is not None:
            # The same list the app's trailers are added to, so they appear as soon as they are sent.
            response.extensions["http.response.trailers"] = exchange.trailers
        stream.sync_debug_info()
        return response

    def close(self) -> None:
        """Cancel the apps behind responses that were never closed."""
        for stream in list(self.open_streams):
            stream.abort()


class TestClient(httpx.Client):
    """A synchronous httpx (or httpx2) client wired straight to an ASGI app, with lifespan and WebSocket support."""

    __test__ = False
    task: Any
    portal: anyio.from_thread.BlockingPortal | None = None

    def __init__(
        self,
        app: ASGIApp,
        base_url: str = "http://testserver",
        raise_server_exceptions: bool = True,
        root_path: str = "",
        backend: Literal["asyncio", "trio"] = "asyncio",
        backend_options: dict[str, Any] | None = None,
        cookies: CookieTypes | None = None,
        headers: dict[str, str] | None = None,
        follow_redirects: bool = True,
        client: tuple[str, int] = ("testclient", 50000),
    ) -> None:
        self.async_backend = _AsyncBackend(backend=backend, backend_options=backend_options or {})
        self.app: ASGIApp = app if _is_asgi3(app) else _ASGI2Adapter(cast(ASGI2App, app))
        self.app_state: dict[str, Any] = {}
        transport = _TestClientTransport(
            self.app,
            portal_factory=self._portal_factory,
            raise_server_exceptions=raise_server_exceptions,
            root_path=root_path,
            app_state=self.app_state,
            client=client,
        )
        self._test_transport = transport
        all_headers = httpx.Headers({"user-agent": "testclient"})
        if headers is not None:
            all_headers.update(headers)  # case-insensitive: a caller's User-Agent replaces ours
        super().__init__(
            base_url=base_url,
            headers=all_headers,
            transport=transport,
            follow_redirects=follow_redirects,
            cookies=cookies,
        )

    @contextlib.contextmanager
    def _portal_factory(self) -> Generator[anyio.from_thread.BlockingPortal, None, None]:
        # Inside `with client:` every request reuses the lifespan's event loop.
        if self.portal is not None:
            yield self.portal
        else:
            with anyio.from_thread.start_blocking_portal(**self.async_backend) as portal:
                yield portal

    def request(  # type: ignore[override]
        self,
        method: str,
        url: URLTypes,
        *,
        content: RequestContent | None = None,
        data: RequestData | None = None,
        files: RequestFiles | None = None,
        json: Any = None,
        params: QueryParamTypes | None = None,
        headers: HeaderTypes | None = None,
        cookies: CookieTypes | None = None,
        auth: AuthTypes | UseClientDefault = httpx.USE_CLIENT_DEFAULT,
        follow_redirects: bool | UseClientDefault = httpx.USE_CLIENT_DEFAULT,
        timeout: TimeoutTypes | UseClientDefault = httpx.USE_CLIENT_DEFAULT,
        extensions: RequestExtensions | None = None,
    ) -> httpx.Response:
        if timeout is not httpx.USE_CLIENT_DEFAULT:
            warnings.warn(
                "You should not use the 'timeout' argument with the TestClient: the app runs in-process, "
                "so there is nothing to time out.",
                StarletteDeprecationWarning,
                stacklevel=2,
            )
        url = self._merge_url(url)
        return super().request(
            method,
            url,
            content=content,
            data=data,
            files=files,
            json=json,
            params=params,
            headers=headers,
            cookies=cookies,
            auth=auth,
            follow_redirects=follow_redirects,
            timeout=timeout,
            extensions=extensions,
        )

    def websocket_connect(
        self, url: str, subprotocols: Sequence[str] | None = None, **kwargs: Any
    ) -> WebSocketTestSession:
        url = urljoin("ws://testserver", url)
        headers = kwargs.get("headers", {})
        headers.setdefault("connection", "upgrade")
        headers.setdefault("sec-websocket-key", "testserver==")
        headers.setdefault("sec-websocket-version", "13")
        if subprotocols is not None:
            headers.setdefault("sec-websocket-protocol", ", ".join(subprotocols))
        kwargs["headers"] = headers
        try:
            super().request("GET", url, **kwargs)
        except _Upgrade as exc:
            return exc.session
        raise RuntimeError("Expected WebSocket upgrade")

    def __enter__(self) -> Self:
        with contextlib.ExitStack() as stack:
            self.portal = portal = stack.enter_context(anyio.from_thread.start_blocking_portal(**self.async_backend))

            @stack.callback
            def reset_portal() -> None:
                self.portal = None

            to_app: tuple[MemoryObjectSendStream[Message], MemoryObjectReceiveStream[Message]]
            to_app = anyio.create_memory_object_stream(math.inf)
            from_app: tuple[MemoryObjectSendStream[Message | None], MemoryObjectReceiveStream[Message | None]]
            from_app = anyio.create_memory_object_stream(math.inf)
            for channel in (*to_app, *from_app):
                stack.callback(channel.close)
            self._lifespan_to_app, self._lifespan_receive = to_app
            self._lifespan_send, self._lifespan_from_app = from_app
            self._lifespan_finished = False
            self.task = portal.start_task_soon(self.lifespan)
            portal.call(self.wait_startup)

            @stack.callback
            def wait_shutdown() -> None:
                portal.call(self.wait_shutdown)

            # Runs first on exit: responses left open are cancelled before the lifespan shuts down.
            stack.callback(self._test_transport.close)

            self.exit_stack = stack.pop_all()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        self.exit_stack.close()

    async def lifespan(self) -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": self.app_state}
        try:
            await self.app(scope, self._lifespan_receive.receive, self._lifespan_send.send)
        finally:
            # The sentinel tells the waiting side that the app's lifespan coroutine is over.
            await self._lifespan_send.send(None)

    async def _next_lifespan_message(self) -> Message | None:
        message = await self._lifespan_from_app.receive()
        if message is None:
            self._lifespan_finished = True
            self.task.result()  # re-raises whatever the app's lifespan raised
        return message

    async def wait_startup(self) -> None:
        await self._lifespan_to_app.send({"type": "lifespan.startup"})
        message = await self._next_lifespan_message()
        if message is None:
            return  # the app returned without handling lifespan: nothing to start
        assert message["type"] in {"lifespan.startup.complete", "lifespan.startup.failed"}
        if message["type"] == "lifespan.startup.failed":
            await self._wait_for_failure(message)

    async def wait_shutdown(self) -> None:
        async with self._lifespan_from_app, self._lifespan_to_app:
            if self._lifespan_finished:
                return
            await self._lifespan_to_app.send({"type": "lifespan.shutdown"})
            message = await self._next_lifespan_message()
            if message is None:
                return
            assert message["type"] in {"lifespan.shutdown.complete", "lifespan.shutdown.failed"}
            if message["type"] == "lifespan.shutdown.failed":
                await self._wait_for_failure(message)

    async def _wait_for_failure(self, failed: Message) -> None:
        # The app normally re-raises its own error right after reporting the failure: prefer that one.
        while not self._lifespan_finished:
            await self._next_lifespan_message()
        raise RuntimeError(failed.get("message") or f"{failed['type']} received from the application.")
