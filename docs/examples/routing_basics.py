"""Routes, path parameters, mounts, hosts and URL building."""

from __future__ import annotations

from framework.applications import Application
from framework.requests import Request
from framework.responses import JSONResponse, PlainTextResponse, Response
from framework.routing import Host, Mount, Route, Router, WebSocketRoute
from framework.testclient import TestClient
from framework.websockets import WebSocket


async def homepage(request: Request) -> Response:
    return PlainTextResponse("Welcome")


async def get_user(request: Request) -> Response:
    user_id: int = request.path_params["user_id"]  # already an int: the convertor did it
    return JSONResponse({"id": user_id, "url": str(request.url_for("users:get_user", user_id=user_id))})


async def create_user(request: Request) -> Response:
    return JSONResponse(await request.json(), status_code=201)


async def echo(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_text(await websocket.receive_text())
    await websocket.close()


users = Router(
    [
        Route("/", create_user, methods=["POST"], name="create_user"),
        Route("/{user_id:int}", get_user, name="get_user"),
    ]
)

app = Application(
    routes=[
        # Routes are tried in order: the Host route goes first so it can catch its own "/".
        Host("docs.example.org", app=PlainTextResponse("Docs site"), name="docs"),
        Route("/", homepage),
        Mount("/users", app=users, name="users"),
        WebSocketRoute("/echo", echo),
    ]
)

client = TestClient(app)

assert client.get("/").text == "Welcome"

response = client.get("/users/42")
assert response.json() == {"id": 42, "url": "http://testserver/users/42"}

# A value the convertor rejects is simply not a match.
assert client.get("/users/forty-two").status_code == 404

# The path exists, the method does not: 405 with the allowed methods.
response = client.delete("/users/42")
assert response.status_code == 405
assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD"}

assert client.post("/users/", json={"name": "Ada"}).status_code == 201

# A missing trailing slash is fixed with a redirect, when the other spelling has a route.
response = client.post("/users", json={"name": "Ada"}, follow_redirects=False)
assert response.status_code == 307
assert response.headers["location"] == "http://testserver/users/"

assert client.get("/", headers={"host": "docs.example.org"}).text == "Docs site"

with client.websocket_connect("/echo") as websocket:
    websocket.send_text("ping")
    assert websocket.receive_text() == "ping"

# Build URLs from names instead of hard-coding paths.
assert app.url_path_for("users:get_user", user_id=7) == "/users/7"
assert app.url_path_for("homepage") == "/"
