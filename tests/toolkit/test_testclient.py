from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import anyio.to_thread
import pytest

import framework
from framework.exceptions import StarletteDeprecationWarning
from framework.testclient import TestClient, WebSocketDenialResponse, WebSocketTestSession
from framework.types import Message, Receive, Scope, Send
from framework.websockets import WebSocketDisconnect

if TYPE_CHECKING:
    import httpx
else:
    # The library TestClient is built on: httpx2 when it is installed, httpx otherwise.
    try:
        import httpx2 as httpx
    except ModuleNotFoundError:
        import httpx

TestClientFactory = Callable[..., TestClient]


async def _read_body(receive: Receive) -> tuple[bytes, list[Message]]:
    messages: list[Message] = []
    body = b""
    while True:
        message = await receive()
        messages.append(message)
        body += message.get("body", b"")
        if not message.get("more_body", False):
            return body, messages


async def _respond(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers or []})
    await send({"type": "http.response.body", "body": body})


async def scope_echo(scope: Scope, receive: Receive, send: Send) -> None:
    """Answers with the JSON-able parts of its scope, so tests can see what the client built."""
    assert scope["type"] == "http"
    data = {
        key: scope[key]
        for key in ("http_version", "method", "path", "root_path", "scheme", "asgi", "extensions", "state")
    }
    data["raw_path"] = scope["raw_path"].decode()
    data["query_string"] = scope["query_string"].decode()
    data["client"] = list(scope["client"])
    data["server"] = list(scope["server"])
    data["headers"] = [[k.decode(), v.decode()] for k, v in scope["headers"]]
    await _respond(send, 200, json.dumps(data).encode(), [(b"content-type", b"application/json")])


def test_plain_request_reaches_app_and_response_comes_back(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await _respond(send, 201, b"created", [(b"content-type", b"text/plain"), (b"x-one", b"1"), (b"x-one", b"2")])

    response = test_client_factory(app).get("/")
    assert response.status_code == 201
    assert response.text == "created"
    assert response.headers["content-type"] == "text/plain"
    assert response.headers.get_list("x-one") == ["1", "2"]
    assert "content-length" not in response.headers


def test_scope_has_asgi_defaults(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(scope_echo)
    data = client.get("/some%20path/x?a=1&b=two").json()
    assert data["http_version"] == "1.1"
    assert data["method"] == "GET"
    assert data["path"] == "/some path/x"
    assert data["raw_path"] == "/some%20path/x"
    assert data["query_string"] == "a=1&b=two"
    assert data["root_path"] == ""
    assert data["scheme"] == "http"
    assert data["asgi"]["version"] == "3.0"
    assert data["extensions"] == {"http.response.debug": {}, "http.response.trailers": {}}
    assert data["client"] == ["testclient", 50000]
    assert data["server"] == ["testserver", 80]
    assert data["state"] == {}
    headers = dict(data["headers"])
    assert headers["host"] == "testserver"
    assert headers["user-agent"] == "testclient"


def test_constructor_options_shape_scope(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(
        scope_echo,
        base_url="https://example.org:8443",
        root_path="/api",
        client=("10.0.0.1", 1234),
        headers={"x-token": "abc", "user-agent": "custom"},
    )
    data = client.get("/api/users").json()
    assert data["scheme"] == "https"
    assert data["server"] == ["example.org", 8443]
    assert data["root_path"] == "/api"
    assert data["path"] == "/api/users"
    assert data["client"] == ["10.0.0.1", 1234]
    headers = dict(data["headers"])
    assert headers["host"] == "example.org:8443"
    assert headers["x-token"] == "abc"
    assert headers["user-agent"] == "custom"


def test_per_request_headers_and_cookies(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(scope_echo, cookies={"session": "s1"})
    data = client.get("/", headers={"X-Custom": "yes"}).json()
    headers = dict(data["headers"])
    assert headers["x-custom"] == "yes"
    assert headers["cookie"] == "session=s1"


@pytest.mark.parametrize(
    ("kwargs", "expected_body", "expected_type"),
    [
        ({"content": b"raw bytes"}, b"raw bytes", None),
        ({"content": "text \u00e9"}, "text \u00e9".encode(), None),
        ({"json": {"a": [1, 2]}}, b'{"a":[1,2]}', "application/json"),
        ({"data": {"name": "x y"}}, b"name=x+y", "application/x-www-form-urlencoded"),
    ],
)
def test_buffered_request_bodies(
    test_client_factory: TestClientFactory, kwargs: dict[str, Any], expected_body: bytes, expected_type: str | None
) -> None:
    seen: dict[str, Any] = {}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen["body"], seen["messages"] = await _read_body(receive)
        seen["headers"] = dict(scope["headers"])
        await _respond(send, 200, b"ok")

    response = test_client_factory(app).post("/", **kwargs)
    assert response.status_code == 200
    assert seen["body"] == expected_body
    assert len(seen["messages"]) == 1
    assert seen["headers"][b"content-length"] == str(len(expected_body)).encode()
    if expected_type is not None:
        assert seen["headers"][b"content-type"] == expected_type.encode()


def test_generator_body_is_streamed_chunk_by_chunk(test_client_factory: TestClientFactory) -> None:
    seen: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        body, messages = await _read_body(receive)
        seen.extend(messages)
        await _respond(send, 200, body)

    def chunks() -> Iterator[bytes]:
        yield b"first,"
        yield b"second"

    response = test_client_factory(app).post("/", content=chunks())
    assert response.text == "first,second"
    assert [m["body"] for m in seen] == [b"first,", b"second", b""]
    assert [m.get("more_body", False) for m in seen] == [True, True, False]


def test_multipart_files_arrive_whole(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        body, _ = await _read_body(receive)
        content_type = dict(scope["headers"])[b"content-type"]
        await _respond(send, 200, content_type + b"\n" + body)

    response = test_client_factory(app).post("/", files={"upload": ("a.txt", b"file-content", "text/plain")})
    head, _, body = response.content.partition(b"\n")
    assert head.startswith(b"multipart/form-data; boundary=")
    assert b'name="upload"; filename="a.txt"' in body
    assert b"file-content" in body


def test_disconnect_follows_the_complete_response(test_client_factory: TestClientFactory) -> None:
    messages: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await _read_body(receive)
        await _respond(send, 200, b"done")
        messages.append((await receive())["type"])

    response = test_client_factory(app).get("/")
    assert response.text == "done"
    assert messages == ["http.disconnect"]


def test_streaming_response_is_assembled(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        for part in (b"a", b"b", b"c"):
            await send({"type": "http.response.body", "body": part, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    response = test_client_factory(app).get("/")
    assert response.status_code == 200
    assert response.text == "abc"


def test_head_request_drops_body(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await _respond(send, 200, b"hidden", [(b"content-length", b"6")])

    response = test_client_factory(app).head("/")
    assert response.status_code == 200
    assert response.headers["content-length"] == "6"
    assert response.content == b""


async def crashing_app(scope: Scope, receive: Receive, send: Send) -> None:
    raise ValueError("boom")


def test_server_exceptions_are_raised_by_default(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(crashing_app)
    with pytest.raises(ValueError, match="boom"):
        client.get("/")


def test_server_exceptions_become_500_when_asked(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(crashing_app, raise_server_exceptions=False)
    response = client.get("/")
    assert response.status_code == 500
    assert response.content == b""


def test_exception_after_response_start_keeps_the_status(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 202, "headers": []})
        await send({"type": "http.response.body", "body": b"partial", "more_body": True})
        raise RuntimeError("late failure")

    client = test_client_factory(app, raise_server_exceptions=False)
    response = client.get("/")
    assert response.status_code == 202
    assert response.content == b"partial"
    with pytest.raises(RuntimeError, match="late failure"):
        test_client_factory(app).get("/")


def test_app_that_never_responds(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        return None

    with pytest.raises(AssertionError, match="TestClient did not receive any response"):
        test_client_factory(app).get("/")
    assert test_client_factory(app, raise_server_exceptions=False).get("/").status_code == 500


def test_protocol_misuse_is_reported(test_client_factory: TestClientFactory) -> None:
    async def double_start(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200})
        await send({"type": "http.response.start", "status": 200})

    async def body_first(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.body", "body": b"x"})

    with pytest.raises(AssertionError, match="multiple"):
        test_client_factory(double_start).get("/")
    with pytest.raises(AssertionError, match="without"):
        test_client_factory(body_first).get("/")


def test_debug_message_exposes_template_and_context(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        assert "http.response.debug" in scope["extensions"]
        await send({"type": "http.response.debug", "info": {"template": "index.html", "context": {"n": 1}}})
        await _respond(send, 200, b"<html></html>")

    response = test_client_factory(app).get("/")
    assert response.template == "index.html"  # type: ignore[attr-defined]
    assert response.context == {"n": 1}  # type: ignore[attr-defined]


def test_redirects_followed_unless_disabled(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] == "/old":
            await _respond(send, 307, b"", [(b"location", b"/new")])
        else:
            await _respond(send, 200, scope["path"].encode())

    response = test_client_factory(app).get("/old")
    assert response.status_code == 200
    assert response.text == "/new"
    assert response.url == "http://testserver/new"
    response = test_client_factory(app, follow_redirects=False).get("/old")
    assert response.status_code == 307
    assert response.headers["location"] == "/new"


def test_timeout_argument_warns(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(scope_echo)
    with pytest.warns(StarletteDeprecationWarning, match="timeout"):
        client.get("/", timeout=1)


def test_testclient_is_not_collected_by_pytest() -> None:
    assert TestClient.__test__ is False


def test_built_on_httpx2_when_installed(test_client_factory: TestClientFactory) -> None:
    expected = "httpx2" if importlib.util.find_spec("httpx2") is not None else "httpx"
    assert httpx.__name__ == expected
    assert issubclass(TestClient, httpx.Client)
    response = test_client_factory(scope_echo).get("/")
    assert type(response) is httpx.Response
    # The library's own default headers, e.g. httpx2[zstd] accepts `gzip, deflate, zstd`.
    headers = dict(response.json()["headers"])
    assert headers["accept-encoding"] == httpx.Client().headers["accept-encoding"]


# Runs in a fresh interpreter where `import httpx2` fails, as when it is not installed; `-W error`
# turns any warning about the fallback into a failure.
_HTTPX_FALLBACK_SCRIPT = """
import contextlib
import sys
sys.modules["httpx2"] = None
import httpx
from framework.applications import Application
from framework.responses import JSONResponse, RedirectResponse, StreamingResponse
from framework.routing import Route, WebSocketRoute
from framework.testclient import TestClient, WebSocketDenialResponse

async def echo(request):
    response = JSONResponse({
        "accept-encoding": request.headers["accept-encoding"], "client": list(request.client),
        "root_path": request.scope["root_path"], "cookie": request.cookies.get("seen"),
        "state": request.state.started,
    })
    response.set_cookie("seen", "yes")
    return response

async def feed(request):
    return StreamingResponse(iter([b"a", b"b"]))

async def boom(request):
    raise ValueError("boom")

async def chat(websocket):
    await websocket.accept()
    await websocket.send_text("hi " + await websocket.receive_text())
    await websocket.close()

async def deny(websocket):
    await websocket.send_denial_response(JSONResponse({"denied": True}, status_code=403))

@contextlib.asynccontextmanager
async def lifespan(app):
    yield {"started": True}

app = Application(lifespan=lifespan, routes=[
    Route("/", echo), Route("/feed", feed), Route("/boom", boom),
    Route("/old", lambda request: RedirectResponse("/")),
    WebSocketRoute("/ws", chat), WebSocketRoute("/deny", deny),
])
assert "httpx2" not in sys.modules or sys.modules["httpx2"] is None
assert issubclass(TestClient, httpx.Client) and issubclass(WebSocketDenialResponse, httpx.Response)
with TestClient(app, root_path="/api", client=("10.0.0.1", 1234)) as client:
    assert type(client.get("/")) is httpx.Response
    data = client.get("/old").json()
    assert data == {"accept-encoding": httpx.Client().headers["accept-encoding"], "client": ["10.0.0.1", 1234],
                    "root_path": "/api", "cookie": "yes", "state": True}, data
    with client.stream("GET", "/feed") as response:
        assert list(response.iter_bytes()) == [b"a", b"b"]
    with client.websocket_connect("/ws") as websocket:
        websocket.send_text("there")
        assert websocket.receive_text() == "hi there"
    try:
        with client.websocket_connect("/deny"):
            pass
    except WebSocketDenialResponse as denial:
        assert isinstance(denial, httpx.Response) and denial.json() == {"denied": True}
    else:
        raise AssertionError("no denial")
    assert client.get("/old", follow_redirects=False).status_code == 307
    try:
        client.get("/boom")
    except ValueError:
        pass
    else:
        raise AssertionError("no server exception")
assert TestClient(app, raise_server_exceptions=False).get("/boom").status_code == 500
print("ok")
"""


def test_falls_back_to_httpx_without_httpx2() -> None:
    # PYTHONPATH puts this checkout first, whatever `framework` the interpreter has installed.
    paths = [str(Path(framework.__file__).parent.parent), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, paths))}
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", _HTTPX_FALLBACK_SCRIPT],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "ok\n"
    assert result.stderr == ""


class LifespanApp:
    """Records lifespan events and puts a value into the lifespan state."""

    def __init__(self, fail_on: str | None = None, raise_on_failure: bool = True) -> None:
        self.events: list[str] = []
        self.fail_on = fail_on
        self.raise_on_failure = raise_on_failure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await _respond(send, 200, json.dumps(sorted(scope["state"])).encode())
            scope["state"]["mutated"] = True
            return
        assert scope["type"] == "lifespan"
        while True:
            message = await receive()
            phase = message["type"].split(".")[1]
            self.events.append(phase)
            if phase == self.fail_on:
                await send({"type": f"lifespan.{phase}.failed", "message": f"{phase} broke"})
                if self.raise_on_failure:
                    raise OSError(f"{phase} broke")
                return
            if phase == "startup":
                scope["state"]["db"] = "connected"
            await send({"type": f"lifespan.{phase}.complete"})
            if phase == "shutdown":
                return


def test_lifespan_runs_around_the_with_block(test_client_factory: TestClientFactory) -> None:
    app = LifespanApp()
    with test_client_factory(app) as client:
        assert app.events == ["startup"]
        assert client.get("/").json() == ["db"]
        # Each request gets a shallow copy of the lifespan state.
        assert client.get("/").json() == ["db"]
        assert client.app_state == {"db": "connected"}
    assert app.events == ["startup", "shutdown"]


def test_lifespan_not_run_without_with(test_client_factory: TestClientFactory) -> None:
    app = LifespanApp()
    assert test_client_factory(app).get("/").json() == []
    assert app.events == []


def test_lifespan_startup_failure_raises_app_error(test_client_factory: TestClientFactory) -> None:
    app = LifespanApp(fail_on="startup")
    with pytest.raises(OSError, match="startup broke"), test_client_factory(app):
        pass  # pragma: no cover
    assert app.events == ["startup"]


def test_lifespan_failure_message_without_exception(test_client_factory: TestClientFactory) -> None:
    app = LifespanApp(fail_on="startup", raise_on_failure=False)
    with pytest.raises(RuntimeError, match="startup broke"), test_client_factory(app):
        pass  # pragma: no cover


def test_lifespan_shutdown_failure_raises(test_client_factory: TestClientFactory) -> None:
    app = LifespanApp(fail_on="shutdown")
    with pytest.raises(OSError, match="shutdown broke"), test_client_factory(app) as client:
        assert client.get("/").status_code == 200
    assert app.events == ["startup", "shutdown"]


def test_app_without_lifespan_support(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await _respond(send, 200, b"fine")

    with test_client_factory(app) as client:
        assert client.get("/").text == "fine"


def test_requests_share_the_lifespan_event_loop(test_client_factory: TestClientFactory) -> None:
    events: dict[str, anyio.Event] = {}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await receive()
            events["ready"] = anyio.Event()
            await send({"type": "lifespan.startup.complete"})
            await receive()
            await send({"type": "lifespan.shutdown.complete"})
            return
        # An anyio.Event only works on the loop it was created on.
        events["ready"].set()
        await events["ready"].wait()
        await _respond(send, 200, b"same loop")

    with test_client_factory(app) as client:
        assert client.get("/").text == "same loop"
        assert client.portal is not None
    assert client.portal is None


async def ws_echo(scope: Scope, receive: Receive, send: Send) -> None:
    """Accepts, then echoes every frame back unchanged until the client leaves."""
    assert scope["type"] == "websocket"
    assert (await receive())["type"] == "websocket.connect"
    subprotocol = scope["subprotocols"][0] if scope["subprotocols"] else None
    await send({"type": "websocket.accept", "subprotocol": subprotocol, "headers": [(b"x-accepted", b"yes")]})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        frame = {k: v for k, v in message.items() if k in {"text", "bytes"} and v is not None}
        await send({"type": "websocket.send", **frame})


def test_websocket_text_bytes_json_roundtrip(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(ws_echo)
    with client.websocket_connect("/ws") as session:
        assert isinstance(session, WebSocketTestSession)
        session.send_text("hello")
        assert session.receive_text() == "hello"
        session.send_bytes(b"\x00\x01")
        assert session.receive_bytes() == b"\x00\x01"
        session.send_json({"caf\u00e9": [1, 2]})
        assert session.receive_text() == '{"caf\u00e9":[1,2]}'
        session.send_json({"a": 1}, mode="binary")
        assert session.receive_bytes() == b'{"a":1}'
        session.send_json([True])
        assert session.receive_json() == [True]
        session.send_json({"b": None}, mode="binary")
        assert session.receive_json(mode="binary") == {"b": None}


def test_websocket_handshake_details(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(ws_echo)
    with client.websocket_connect("/ws", subprotocols=["chat", "superchat"]) as session:
        assert session.accepted_subprotocol == "chat"
        assert session.extra_headers == [(b"x-accepted", b"yes")]
    with client.websocket_connect("/ws") as session:
        assert session.accepted_subprotocol is None


def test_websocket_scope(test_client_factory: TestClientFactory) -> None:
    seen: dict[str, Any] = {}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.update(scope)
        await receive()
        await send({"type": "websocket.close", "code": 1000})

    client = test_client_factory(app)
    with pytest.raises(WebSocketDisconnect), client.websocket_connect("/chat%20room?x=1", subprotocols=["a", "b"]):
        pass  # pragma: no cover
    assert seen["type"] == "websocket"
    assert seen["path"] == "/chat room"
    assert seen["raw_path"] == b"/chat%20room"
    assert seen["query_string"] == b"x=1"
    assert seen["scheme"] == "ws"
    assert seen["subprotocols"] == ["a", "b"]
    assert seen["extensions"] == {"websocket.http.response": {}}
    assert seen["client"] == ("testclient", 50000)
    headers = dict(seen["headers"])
    assert headers[b"sec-websocket-version"] == b"13"
    assert headers[b"connection"] == b"upgrade"
    assert headers[b"sec-websocket-protocol"] == b"a, b"


def test_websocket_close_by_app_raises_disconnect(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": "bye"})
        await send({"type": "websocket.close", "code": 4001, "reason": "go away"})

    client = test_client_factory(app)
    with client.websocket_connect("/") as session:
        assert session.receive_text() == "bye"
        with pytest.raises(WebSocketDisconnect) as info:
            session.receive_text()
    assert info.value.code == 4001
    assert info.value.reason == "go away"


def test_websocket_rejected_handshake(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.close", "code": 1008})

    with pytest.raises(WebSocketDisconnect) as info, test_client_factory(app).websocket_connect("/"):
        pass  # pragma: no cover
    assert info.value.code == 1008
    assert not isinstance(info.value, WebSocketDenialResponse)


def test_websocket_denial_response(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        headers = [(b"content-type", b"text/plain"), (b"x-reason", b"auth")]
        await send({"type": "websocket.http.response.start", "status": 401, "headers": headers})
        await send({"type": "websocket.http.response.body", "body": b"Not ", "more_body": True})
        await send({"type": "websocket.http.response.body", "body": b"allowed"})

    with pytest.raises(WebSocketDenialResponse) as info, test_client_factory(app).websocket_connect("/"):
        pass  # pragma: no cover
    denial = info.value
    assert isinstance(denial, httpx.Response)
    assert isinstance(denial, WebSocketDisconnect)
    assert denial.status_code == 401
    assert denial.headers["x-reason"] == "auth"
    assert denial.text == "Not allowed"


def test_client_close_reaches_app(test_client_factory: TestClientFactory) -> None:
    received: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        received.append(await receive())

    with test_client_factory(app).websocket_connect("/") as session:
        session.close(code=4000, reason="done")
    assert received == [{"type": "websocket.disconnect", "code": 4000, "reason": "done"}]


def test_leaving_the_block_disconnects_and_cancels_app(test_client_factory: TestClientFactory) -> None:
    log: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        try:
            await anyio.sleep_forever()
        except anyio.get_cancelled_exc_class():
            log.append("cancelled")
            raise

    with test_client_factory(app).websocket_connect("/"):
        pass
    assert log == ["cancelled"]


def test_websocket_app_exception_propagates(test_client_factory: TestClientFactory) -> None:
    async def before_accept(scope: Scope, receive: Receive, send: Send) -> None:
        raise KeyError("handshake")

    async def after_accept(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await receive()
        raise LookupError("later")

    client = test_client_factory(before_accept)
    with pytest.raises(KeyError, match="handshake"), client.websocket_connect("/"):
        pass  # pragma: no cover
    client = test_client_factory(after_accept)
    with pytest.raises(LookupError, match="later"):
        _send_then_receive(client.websocket_connect("/"))


def _send_then_receive(session: WebSocketTestSession) -> None:
    with session:
        session.send_text("trigger")
        session.receive_text()


def test_app_returning_without_close_is_abnormal_closure(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": "last words"})

    with test_client_factory(app).websocket_connect("/") as session:
        assert session.receive_text() == "last words"
        with pytest.raises(WebSocketDisconnect) as info:
            session.receive_text()
    assert info.value.code == 1006


def test_websocket_connect_with_http_url_is_an_error(test_client_factory: TestClientFactory) -> None:
    with pytest.raises(RuntimeError, match="Expected WebSocket upgrade"):
        test_client_factory(scope_echo).websocket_connect("http://testserver/")


def test_websocket_uses_lifespan_loop(test_client_factory: TestClientFactory) -> None:
    app = LifespanApp()

    async def router(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await app(scope, receive, send)
            return
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": scope["state"]["db"]})
        await receive()

    with test_client_factory(router) as client, client.websocket_connect("/") as session:
        assert session.receive_text() == "connected"
    assert app.events == ["startup", "shutdown"]


def test_default_headers_are_case_insensitive() -> None:
    assert TestClient(scope_echo).headers["user-agent"] == "testclient"
    client = TestClient(scope_echo, headers={"User-Agent": "mine", "Authorization": "Bearer 1"})
    assert client.headers["user-agent"] == "mine"
    assert client.headers["authorization"] == "Bearer 1"


def test_duplicate_and_unicode_query_values(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(scope_echo)
    data = client.get("/", params={"q": "Espa\u00f1a"}, headers=[("x-dup", "a"), ("x-dup", "b")]).json()
    assert data["query_string"] == "q=Espa%C3%B1a"
    assert [value for key, value in data["headers"] if key == "x-dup"] == ["a", "b"]


def test_base_url_path_is_merged(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(scope_echo, base_url="http://testserver/api/v1/")
    assert client.get("/bar").json()["path"] == "/api/v1/bar"


def test_polling_for_disconnect_under_cancelled_scope(test_client_factory: TestClientFactory) -> None:
    polls: list[str | None] = []

    async def poll(receive: Receive) -> None:
        message: Message = {}
        with anyio.CancelScope() as scope:
            scope.cancel()
            message = await receive()
        polls.append(message.get("type"))

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await _read_body(receive)
        await poll(receive)  # response still pending: nothing to see yet
        await _respond(send, 200, b"ok")
        await poll(receive)  # the response is complete: the client has gone

    assert test_client_factory(app).post("/", content=b"x").text == "ok"
    assert polls == [None, "http.disconnect"]


def test_with_block_can_be_reused(test_client_factory: TestClientFactory) -> None:
    app = LifespanApp()
    client = test_client_factory(app)
    with client:
        pass
    with client:
        assert client.get("/").json() == ["db"]
    assert app.events == ["startup", "shutdown", "startup", "shutdown"]


def test_client_usable_inside_a_sync_handler(test_client_factory: TestClientFactory) -> None:
    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        await _respond(send, 200, b"inner")

    async def outer(scope: Scope, receive: Receive, send: Send) -> None:
        # A sync handler would do this from a worker thread; it gets its own event loop.
        text = await anyio.to_thread.run_sync(lambda: test_client_factory(inner).get("/").text)
        await _respond(send, 200, b"outer+" + text.encode())

    assert test_client_factory(outer).get("/").text == "outer+inner"


def test_response_trailers_are_collected(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [], "trailers": True})
        await send({"type": "http.response.body", "body": b"data"})
        await send({"type": "http.response.trailers", "headers": [(b"x-checksum", b"1")], "more_trailers": True})
        await send({"type": "http.response.trailers", "headers": [(b"x-status", b"ok")]})

    response = test_client_factory(app).get("/")
    assert response.status_code == 200
    assert response.content == b"data"
    assert response.extensions["http.response.trailers"] == [(b"x-checksum", b"1"), (b"x-status", b"ok")]


def test_undeclared_trailers_are_an_error(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"data"})
        await send({"type": "http.response.trailers", "headers": []})

    with pytest.raises(AssertionError, match="without declaring trailers"):
        test_client_factory(app).get("/")


def test_asgi2_application_is_adapted(test_client_factory: TestClientFactory) -> None:
    class LegacyApp:
        def __init__(self, scope: Scope) -> None:
            self.path = scope["path"]

        async def __call__(self, receive: Receive, send: Send) -> None:
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": self.path.encode()})

    response = test_client_factory(LegacyApp).get("/legacy")
    assert response.status_code == 200
    assert response.text == "/legacy"


def test_ipv6_server_address_has_no_brackets(test_client_factory: TestClientFactory) -> None:
    data = test_client_factory(scope_echo, base_url="http://[::1]:8080").get("/").json()
    assert data["server"] == ["::1", 8080]
    assert dict(data["headers"])["host"] == "[::1]:8080"
