"""A WebSocket handler: accept, read frames until the client leaves, answer in JSON, refuse politely."""

from __future__ import annotations

import pytest

from framework.applications import Application
from framework.responses import PlainTextResponse
from framework.routing import WebSocketRoute
from framework.testclient import TestClient, WebSocketDenialResponse
from framework.websockets import WebSocket, WebSocketDisconnect

left: list[int] = []


async def chat(websocket: WebSocket) -> None:
    if websocket.query_params.get("token") != "secret":
        # Before accepting, the handshake can be refused with an ordinary HTTP response.
        await websocket.send_denial_response(PlainTextResponse("Bad token", status_code=403))
        return
    await websocket.accept(subprotocol="chat.v1")
    try:
        while True:
            message = await websocket.receive_json()
            if message.get("command") == "quit":
                await websocket.close(code=4000, reason="bye")
                return
            await websocket.send_json({"echo": message})
    except WebSocketDisconnect as exc:
        left.append(exc.code)  # the client went away; exc.code is its close code


app = Application(routes=[WebSocketRoute("/chat", chat)])
client = TestClient(app)

with client.websocket_connect("/chat?token=secret", subprotocols=["chat.v1"]) as websocket:
    assert websocket.accepted_subprotocol == "chat.v1"
    websocket.send_json({"text": "hi"})
    assert websocket.receive_json() == {"echo": {"text": "hi"}}
    websocket.send_json({"command": "quit"})
    with pytest.raises(WebSocketDisconnect) as closed:
        websocket.receive_json()
    assert (closed.value.code, closed.value.reason) == (4000, "bye")

with client.websocket_connect("/chat?token=secret") as websocket:
    websocket.close(code=1001)
assert left == [1001]

# The refusal is raised as a WebSocketDenialResponse, which is also an httpx.Response.
with pytest.raises(WebSocketDenialResponse) as denied, client.websocket_connect("/chat?token=wrong"):
    pass
assert denied.value.status_code == 403
assert denied.value.text == "Bad token"
