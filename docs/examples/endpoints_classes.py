"""Class-based endpoints: one method per HTTP verb, and a WebSocket endpoint that decodes JSON."""

from __future__ import annotations

from typing import Any

from framework.applications import Application
from framework.endpoints import HTTPEndpoint, WebSocketEndpoint
from framework.requests import Request
from framework.responses import JSONResponse, Response
from framework.routing import Route, WebSocketRoute
from framework.testclient import TestClient
from framework.websockets import WebSocket

NOTES: dict[int, str] = {1: "buy milk"}


class Note(HTTPEndpoint):
    async def get(self, request: Request) -> Response:
        note_id = request.path_params["note_id"]
        if note_id not in NOTES:
            return JSONResponse({"detail": f"Note {note_id} does not exist."}, status_code=404)
        return JSONResponse({"id": note_id, "text": NOTES[note_id]})

    def delete(self, request: Request) -> Response:  # a plain `def` runs in the thread pool
        NOTES.pop(request.path_params["note_id"], None)
        return Response(status_code=204)


class Counter(WebSocketEndpoint):
    encoding = "json"  # on_receive gets parsed JSON; anything else closes with 1003

    async def on_connect(self, websocket: WebSocket) -> None:
        self.total = 0
        await websocket.accept()

    async def on_receive(self, websocket: WebSocket, data: Any) -> None:
        self.total += data["add"]
        await websocket.send_json({"total": self.total})


app = Application(routes=[Route("/notes/{note_id:int}", Note), WebSocketRoute("/count", Counter)])

with TestClient(app) as client:
    assert client.get("/notes/1").json() == {"id": 1, "text": "buy milk"}
    assert client.head("/notes/1").status_code == 200  # HEAD is answered by get()

    refused = client.put("/notes/1")  # no put() method: 405 with the verbs that do exist
    assert refused.status_code == 405
    assert refused.headers["allow"] == "GET, HEAD, DELETE"

    assert client.delete("/notes/1").status_code == 204
    assert client.get("/notes/1").status_code == 404

    with client.websocket_connect("/count") as websocket:
        websocket.send_json({"add": 2})
        assert websocket.receive_json() == {"total": 2}
        websocket.send_json({"add": 3})
        assert websocket.receive_json() == {"total": 5}
