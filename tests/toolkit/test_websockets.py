from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from framework.responses import PlainTextResponse
from framework.testclient import TestClient, WebSocketDenialResponse
from framework.types import ASGIApp, Message, Receive, Scope, Send
from framework.websockets import (
    WebSocket,
    WebSocketClose,
    WebSocketDisconnect,
    WebSocketDisconnected,
    WebSocketState,
)

TestClientFactory = Callable[..., TestClient]
Handler = Callable[[WebSocket], Awaitable[None]]


def as_app(handler: Handler) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await handler(WebSocket(scope, receive=receive, send=send))

    return app


class FakeConnection:
    """Scripted receive/send pair, to drive the state machines message by message."""

    def __init__(self, *incoming: Message, extensions: dict[str, Any] | None = None) -> None:
        self.incoming = list(incoming)
        self.sent: list[Message] = []
        self.scope: Scope = {"type": "websocket", "path": "/", "headers": [], "extensions": extensions or {}}

    async def receive(self) -> Message:
        return self.incoming.pop(0)

    async def send(self, message: Message) -> None:
        self.sent.append(message)

    def websocket(self) -> WebSocket:
        return WebSocket(self.scope, receive=self.receive, send=self.send)


CONNECT: Message = {"type": "websocket.connect"}


def test_connection_details(test_client_factory: TestClientFactory) -> None:
    async def handler(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_json(
            {
                "url": str(websocket.url),
                "query": dict(websocket.query_params),
                "header": websocket.headers["x-trace"],
                "path_params": websocket.path_params,
            }
        )
        await websocket.close()

    client = test_client_factory(as_app(handler))
    with client.websocket_connect("/room/1?a=abc", headers={"X-Trace": "t1"}) as session:
        data = session.receive_json()
    assert data == {"url": "ws://testserver/room/1?a=abc", "query": {"a": "abc"}, "header": "t1", "path_params": {}}


def test_text_bytes_and_json_frames(test_client_factory: TestClientFactory) -> None:
    async def handler(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("text:" + await websocket.receive_text())
        await websocket.send_bytes(b"bytes:" + await websocket.receive_bytes())
        await websocket.send_json({"got": await websocket.receive_json()})
        await websocket.send_json({"bin": await websocket.receive_json(mode="binary")}, mode="binary")
        await websocket.close()

    with test_client_factory(as_app(handler)).websocket_connect("/") as session:
        session.send_text("hi")
        assert session.receive_text() == "text:hi"
        session.send_bytes(b"\xff")
        assert session.receive_bytes() == b"bytes:\xff"
        session.send_json({"k": "caf\u00e9"})
        assert session.receive_text() == '{"got":{"k":"caf\u00e9"}}'
        session.send_json([1], mode="binary")
        assert session.receive_bytes() == b'{"bin":[1]}'


def test_iterators_stop_at_disconnect(test_client_factory: TestClientFactory) -> None:
    collected: dict[str, list[Any]] = {}

    def iterate(kind: str) -> Handler:
        async def handler(websocket: WebSocket) -> None:
            await websocket.accept()
            items = collected.setdefault(kind, [])
            async for item in getattr(websocket, f"iter_{kind}")():
                items.append(item)

        return handler

    with test_client_factory(as_app(iterate("text"))).websocket_connect("/") as session:
        session.send_text("a")
        session.send_text("b")
    with test_client_factory(as_app(iterate("bytes"))).websocket_connect("/") as session:
        session.send_bytes(b"a")
    with test_client_factory(as_app(iterate("json"))).websocket_connect("/") as session:
        session.send_json({"n": 1})
        session.send_json([2])
    assert collected == {"text": ["a", "b"], "bytes": [b"a"], "json": [{"n": 1}, [2]]}


def test_receive_raises_disconnect_with_client_code(test_client_factory: TestClientFactory) -> None:
    seen: list[tuple[int, str]] = []

    async def handler(websocket: WebSocket) -> None:
        await websocket.accept()
        try:
            await websocket.receive_text()
        except WebSocketDisconnect as exc:
            seen.append((exc.code, exc.reason))
            assert websocket.client_state is WebSocketState.DISCONNECTED

    with test_client_factory(as_app(handler)).websocket_connect("/") as session:
        session.close(code=4003, reason="bye")
    assert seen == [(4003, "bye")]


def test_accept_with_subprotocol_and_headers(test_client_factory: TestClientFactory) -> None:
    async def handler(websocket: WebSocket) -> None:
        assert websocket.client_state is WebSocketState.CONNECTING
        await websocket.accept(subprotocol="wamp", headers=[(b"x-server", b"framework")])
        assert websocket.client_state.name == "CONNECTED"
        assert websocket.application_state.name == "CONNECTED"
        await websocket.close()

    with test_client_factory(as_app(handler)).websocket_connect("/", subprotocols=["soap", "wamp"]) as session:
        assert session.accepted_subprotocol == "wamp"
        assert session.extra_headers == [(b"x-server", b"framework")]


def test_close_code_and_reason(test_client_factory: TestClientFactory) -> None:
    async def handler(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.close(code=4100, reason="kicked")
        assert websocket.application_state is WebSocketState.DISCONNECTED

    with (
        test_client_factory(as_app(handler)).websocket_connect("/") as session,
        pytest.raises(WebSocketDisconnect) as info,
    ):
        session.receive_text()
    assert (info.value.code, info.value.reason) == (4100, "kicked")


def test_close_before_accept_rejects_handshake(test_client_factory: TestClientFactory) -> None:
    async def handler(websocket: WebSocket) -> None:
        await websocket.close()

    with pytest.raises(WebSocketDisconnect) as info, test_client_factory(as_app(handler)).websocket_connect("/"):
        pass  # pragma: no cover
    assert (info.value.code, info.value.reason) == (1000, "")


def test_websocket_close_app(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(WebSocketClose(code=1008, reason="policy"))
    with pytest.raises(WebSocketDisconnect) as info, client.websocket_connect("/"):
        pass  # pragma: no cover
    assert (info.value.code, info.value.reason) == (1008, "policy")
    default = WebSocketClose()
    assert (default.code, default.reason) == (1000, "")


def test_send_denial_response(test_client_factory: TestClientFactory) -> None:
    async def handler(websocket: WebSocket) -> None:
        await websocket.send_denial_response(PlainTextResponse("Go away", status_code=403, headers={"x-why": "ban"}))
        assert websocket.application_state is WebSocketState.DISCONNECTED

    with pytest.raises(WebSocketDenialResponse) as info, test_client_factory(as_app(handler)).websocket_connect("/"):
        pass  # pragma: no cover
    assert info.value.status_code == 403
    assert info.value.text == "Go away"
    assert info.value.headers["x-why"] == "ban"
    assert info.value.headers["content-type"].startswith("text/plain")


@pytest.mark.anyio
async def test_denial_response_needs_server_extension() -> None:
    websocket = FakeConnection(CONNECT).websocket()
    with pytest.raises(RuntimeError, match="doesn't support the Websocket Denial Response extension"):
        await websocket.send_denial_response(PlainTextResponse("no"))


@pytest.mark.anyio
async def test_response_state_only_accepts_body() -> None:
    connection = FakeConnection(CONNECT, extensions={"websocket.http.response": {}})
    websocket = connection.websocket()
    await websocket.send({"type": "websocket.http.response.start", "status": 403, "headers": []})
    assert websocket.application_state is WebSocketState.RESPONSE
    with pytest.raises(RuntimeError, match=r'Expected ASGI message "websocket.http.response.body", but got'):
        await websocket.send({"type": "websocket.send", "text": "x"})
    await websocket.send({"type": "websocket.http.response.body", "body": b"a", "more_body": True})
    assert websocket.application_state is WebSocketState.RESPONSE
    await websocket.send({"type": "websocket.http.response.body", "body": b"b"})
    assert websocket.application_state.name == "DISCONNECTED"


@pytest.mark.anyio
async def test_first_message_must_be_connect() -> None:
    websocket = FakeConnection({"type": "websocket.receive", "text": "x"}).websocket()
    with pytest.raises(RuntimeError) as info:
        await websocket.receive()
    assert str(info.value) == "Expected ASGI message \"websocket.connect\", but got 'websocket.receive'"


@pytest.mark.anyio
async def test_connected_receive_rejects_other_messages() -> None:
    websocket = FakeConnection(CONNECT, {"type": "websocket.connect"}).websocket()
    await websocket.receive()
    with pytest.raises(RuntimeError) as info:
        await websocket.receive()
    expected = 'Expected ASGI message "websocket.receive" or "websocket.disconnect", but got \'websocket.connect\''
    assert str(info.value) == expected


@pytest.mark.anyio
async def test_receive_after_disconnect_is_an_error() -> None:
    websocket = FakeConnection(CONNECT, {"type": "websocket.disconnect", "code": 1001}).websocket()
    await websocket.accept()
    with pytest.raises(WebSocketDisconnect) as info:
        await websocket.receive_text()
    assert info.value.code == 1001
    with pytest.raises(RuntimeError, match=r'Cannot call "receive" once a disconnect message has been received.'):
        await websocket.receive()


@pytest.mark.anyio
async def test_send_before_accept_is_an_error() -> None:
    websocket = FakeConnection(CONNECT).websocket()
    with pytest.raises(RuntimeError) as info:
        await websocket.send_text("too early")
    assert str(info.value) == (
        'Expected ASGI message "websocket.accept", "websocket.close" or "websocket.http.response.start", '
        "but got 'websocket.send'"
    )


@pytest.mark.anyio
async def test_connected_send_rejects_other_messages() -> None:
    websocket = FakeConnection(CONNECT).websocket()
    await websocket.accept()
    with pytest.raises(RuntimeError) as info:
        await websocket.send({"type": "websocket.accept"})
    assert (
        str(info.value) == 'Expected ASGI message "websocket.send" or "websocket.close", but got \'websocket.accept\''
    )


@pytest.mark.anyio
async def test_send_after_close_is_an_error() -> None:
    connection = FakeConnection(CONNECT)
    websocket = connection.websocket()
    await websocket.accept()
    await websocket.close()
    with pytest.raises(RuntimeError, match=r'Cannot call "send" once a close message has been sent.'):
        await websocket.send_text("late")
    assert connection.sent == [
        {"type": "websocket.accept", "subprotocol": None, "headers": []},
        {"type": "websocket.close", "code": 1000, "reason": ""},
    ]


@pytest.mark.anyio
@pytest.mark.parametrize("method", ["receive_text", "receive_bytes", "receive_json"])
async def test_receive_data_needs_accept(method: str) -> None:
    websocket = FakeConnection(CONNECT, {"type": "websocket.receive", "text": "x"}).websocket()
    # WebSocketDisconnected is a RuntimeError: code catching either one keeps working.
    with pytest.raises(WebSocketDisconnected, match=r'WebSocket is not connected. Need to call "accept" first.'):
        await getattr(websocket, method)()


@pytest.mark.anyio
async def test_json_mode_is_validated() -> None:
    websocket = FakeConnection(CONNECT, {"type": "websocket.receive", "text": "1"}).websocket()
    await websocket.accept()
    with pytest.raises(RuntimeError, match=r'The "mode" argument should be "text" or "binary".'):
        await websocket.receive_json(mode="xml")
    with pytest.raises(RuntimeError, match=r'The "mode" argument should be "text" or "binary".'):
        await websocket.send_json({}, mode="xml")
    assert await websocket.receive_json() == 1


@pytest.mark.anyio
async def test_server_send_failure_becomes_disconnect() -> None:
    async def receive() -> Message:
        return CONNECT

    async def send(message: Message) -> None:
        if message["type"] == "websocket.send":
            raise OSError("connection reset")

    websocket = WebSocket({"type": "websocket", "path": "/", "headers": []}, receive=receive, send=send)
    await websocket.accept()
    with pytest.raises(WebSocketDisconnect) as info:
        await websocket.send_text("lost")
    assert info.value.code == 1006
    assert websocket.application_state is WebSocketState.DISCONNECTED


def test_disconnect_exception_defaults() -> None:
    exc = WebSocketDisconnect()
    assert (exc.code, exc.reason) == (1000, "")
    exc = WebSocketDisconnect(1001, None)
    assert (exc.code, exc.reason) == (1001, "")
    assert isinstance(exc, Exception)


def test_states() -> None:
    assert [state.name for state in WebSocketState] == ["CONNECTING", "CONNECTED", "DISCONNECTED", "RESPONSE"]
    assert [state.value for state in WebSocketState] == [0, 1, 2, 3]


def test_websocket_requires_websocket_scope() -> None:
    async def receive() -> Message:
        return {}  # pragma: no cover

    async def send(message: Message) -> None:
        pass  # pragma: no cover

    with pytest.raises(AssertionError):
        WebSocket({"type": "http", "path": "/", "headers": []}, receive=receive, send=send)


@pytest.mark.anyio
async def test_using_a_closed_websocket_raises_websocket_disconnected() -> None:
    incoming: list[Message] = [{"type": "websocket.connect"}, {"type": "websocket.disconnect", "code": 1000}]

    async def receive() -> Message:
        return incoming.pop(0)

    async def send(message: Message) -> None:
        pass

    websocket = WebSocket({"type": "websocket", "path": "/", "headers": []}, receive, send)
    await websocket.accept()
    await websocket.receive()
    with pytest.raises(WebSocketDisconnected, match='Cannot call "receive"'):
        await websocket.receive()
    await websocket.close()
    with pytest.raises(WebSocketDisconnected, match='Cannot call "send"') as caught:
        await websocket.send({"type": "websocket.send", "text": "late"})
    assert isinstance(caught.value, RuntimeError)
