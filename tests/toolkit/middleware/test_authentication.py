from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from framework.applications import Application
from framework.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    AuthenticationError,
    BaseUser,
    SimpleUser,
)
from framework.middleware import Middleware
from framework.middleware.authentication import AuthenticationMiddleware
from framework.requests import HTTPConnection, Request
from framework.responses import JSONResponse, PlainTextResponse, Response
from framework.routing import Route, WebSocketRoute
from framework.testclient import TestClient
from framework.types import Receive, Scope, Send
from framework.websockets import WebSocket, WebSocketDisconnect

TestClientFactory = Callable[..., TestClient]


class TokenBackend(AuthenticationBackend):
    """`X-Token: good` is user "alice" with scope "read"; any other token is an error."""

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        token = conn.headers.get("x-token")
        if token is None:
            return None
        if token != "good":
            raise AuthenticationError(f"Unknown token {token!r}")
        return AuthCredentials(["read"]), SimpleUser("alice")


async def whoami(request: Request) -> JSONResponse:
    return JSONResponse(
        {
            "user": request.user.display_name,
            "authenticated": request.user.is_authenticated,
            "scopes": request.auth.scopes,
        }
    )


async def ws_whoami(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_json({"user": websocket.user.display_name, "scopes": websocket.auth.scopes})
    await websocket.close()


def build_app(**options: Any) -> Application:
    return Application(
        routes=[Route("/", whoami), WebSocketRoute("/ws", ws_whoami)],
        middleware=[Middleware(AuthenticationMiddleware, backend=TokenBackend(), **options)],
    )


def test_authenticated_user_and_scopes_in_scope(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(build_app())
    response = client.get("/", headers={"X-Token": "good"})
    assert response.status_code == 200
    assert response.json() == {"user": "alice", "authenticated": True, "scopes": ["read"]}


def test_no_credentials_is_unauthenticated_user(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(build_app())
    response = client.get("/")
    assert response.status_code == 200
    assert response.json() == {"user": "", "authenticated": False, "scopes": []}


def test_bad_credentials_default_error_is_400_text(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(build_app())
    response = client.get("/", headers={"X-Token": "forged"})
    assert response.status_code == 400
    assert response.text == "Unknown token 'forged'"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"


def test_custom_on_error(test_client_factory: TestClientFactory) -> None:
    def on_error(conn: HTTPConnection, exc: AuthenticationError) -> Response:
        return JSONResponse({"error": str(exc), "path": conn.url.path}, status_code=401)

    client = test_client_factory(build_app(on_error=on_error))
    response = client.get("/", headers={"X-Token": "nope"})
    assert response.status_code == 401
    assert response.json() == {"error": "Unknown token 'nope'", "path": "/"}


def test_websocket_gets_user(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(build_app())
    with client.websocket_connect("/ws", headers={"X-Token": "good"}) as websocket:
        assert websocket.receive_json() == {"user": "alice", "scopes": ["read"]}


def test_websocket_bad_credentials_closes_with_1000(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(build_app())
    with pytest.raises(WebSocketDisconnect) as info, client.websocket_connect("/ws", headers={"X-Token": "bad"}):
        pass  # pragma: no cover
    assert info.value.code == 1000


def test_other_scope_types_pass_through(test_client_factory: TestClientFactory) -> None:
    seen: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["type"])
        if scope["type"] == "lifespan":
            message = await receive()
            assert message["type"] == "lifespan.startup"
            await send({"type": "lifespan.startup.complete"})
            message = await receive()
            await send({"type": "lifespan.shutdown.complete"})
            return
        assert "user" in scope
        await PlainTextResponse("ok")(scope, receive, send)

    with test_client_factory(AuthenticationMiddleware(app, backend=TokenBackend())) as client:
        assert client.get("/").text == "ok"
    assert seen == ["lifespan", "http"]


def test_error_from_a_very_long_hostile_token_is_still_a_400(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(build_app())
    response = client.get("/", headers={"X-Token": "x" * 10_000})
    assert response.status_code == 400
    assert response.text.startswith("Unknown token 'xxx")
