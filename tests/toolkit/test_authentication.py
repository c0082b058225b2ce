from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from framework.applications import Application
from framework.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    AuthenticationError,
    BaseUser,
    SimpleUser,
    UnauthenticatedUser,
    has_required_scope,
    requires,
)
from framework.endpoints import HTTPEndpoint
from framework.exceptions import HTTPException
from framework.middleware import Middleware
from framework.middleware.authentication import AuthenticationMiddleware
from framework.requests import HTTPConnection, Request
from framework.responses import JSONResponse, PlainTextResponse, Response
from framework.routing import Route, WebSocketRoute
from framework.testclient import TestClient
from framework.websockets import WebSocket, WebSocketDisconnect

TestClientFactory = Callable[..., TestClient]


class BasicAuth(AuthenticationBackend):
    """Grants "authenticated" to any Basic user, plus "admin" to the user named admin."""

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        header = conn.headers.get("authorization")
        if header is None:
            return None
        try:
            scheme, credentials = header.split()
            decoded = base64.b64decode(credentials, validate=True).decode("ascii")
        except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
            raise AuthenticationError("Invalid basic auth credentials") from exc
        if scheme.lower() != "basic":
            return None
        username, _, _password = decoded.partition(":")
        scopes = ["authenticated", "admin"] if username == "admin" else ["authenticated"]
        return AuthCredentials(scopes), SimpleUser(username)


def user_json(request: Request) -> JSONResponse:
    return JSONResponse({"authenticated": request.user.is_authenticated, "user": request.user.display_name})


@requires("authenticated")
async def async_page(request: Request) -> JSONResponse:
    return user_json(request)


@requires("authenticated")
def sync_page(request: Request) -> JSONResponse:
    return user_json(request)


@requires(["authenticated", "admin"], status_code=404)
async def admin_page(request: Request) -> JSONResponse:
    return user_json(request)


@requires("authenticated", redirect="login")
async def needs_login(request: Request) -> JSONResponse:
    return user_json(request)


@requires("authenticated", redirect="login")
def needs_login_sync(request: Request) -> JSONResponse:
    return user_json(request)


async def login(request: Request) -> PlainTextResponse:
    return PlainTextResponse("please log in")


class Dashboard(HTTPEndpoint):
    @requires("authenticated")
    async def get(self, request: Request) -> Response:
        return user_json(request)

    @requires("admin")
    def post(self, request: Request) -> Response:
        return user_json(request)


@requires("authenticated")
async def websocket_endpoint(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_json({"user": websocket.user.display_name})
    await websocket.close()


def build_app() -> Application:
    return Application(
        routes=[
            Route("/async", async_page),
            Route("/sync", sync_page),
            Route("/admin", admin_page),
            Route("/needs-login", needs_login),
            Route("/needs-login-sync", needs_login_sync),
            Route("/login", login, name="login"),
            Route("/dashboard", Dashboard),
            WebSocketRoute("/ws", websocket_endpoint),
        ],
        middleware=[Middleware(AuthenticationMiddleware, backend=BasicAuth())],
    )


@pytest.mark.parametrize("path", ["/async", "/sync", "/dashboard"])
def test_requires_rejects_anonymous_with_403(test_client_factory: TestClientFactory, path: str) -> None:
    with test_client_factory(build_app()) as client:
        response = client.get(path)
    assert response.status_code == 403
    assert response.text == "Forbidden"


@pytest.mark.parametrize("path", ["/async", "/sync", "/dashboard"])
def test_requires_lets_authenticated_user_through(test_client_factory: TestClientFactory, path: str) -> None:
    with test_client_factory(build_app()) as client:
        response = client.get(path, auth=("tomchristie", "example"))
    assert response.status_code == 200
    assert response.json() == {"authenticated": True, "user": "tomchristie"}


def test_requires_every_scope_and_custom_status(test_client_factory: TestClientFactory) -> None:
    with test_client_factory(build_app()) as client:
        assert client.get("/admin").status_code == 404
        assert client.get("/admin", auth=("tomchristie", "example")).status_code == 404
        response = client.get("/admin", auth=("admin", "example"))
    assert response.status_code == 200
    assert response.json() == {"authenticated": True, "user": "admin"}


def test_requires_on_sync_endpoint_method(test_client_factory: TestClientFactory) -> None:
    with test_client_factory(build_app()) as client:
        assert client.post("/dashboard", auth=("tomchristie", "example")).status_code == 403
        response = client.post("/dashboard", auth=("admin", "example"))
    assert response.json() == {"authenticated": True, "user": "admin"}


@pytest.mark.parametrize("path", ["/needs-login", "/needs-login-sync"])
def test_requires_redirect_carries_next_url(test_client_factory: TestClientFactory, path: str) -> None:
    with test_client_factory(build_app()) as client:
        response = client.get(f"{path}?page=2", follow_redirects=False)
        assert response.status_code == 303
        location = urlsplit(response.headers["location"])
        assert location.path == "/login"
        assert parse_qs(location.query) == {"next": [f"http://testserver{path}?page=2"]}
        assert client.get(path).text == "please log in"
        authorised = client.get(path, auth=("tomchristie", "example"))
    assert authorised.json() == {"authenticated": True, "user": "tomchristie"}


def test_requires_websocket_closes_for_anonymous(test_client_factory: TestClientFactory) -> None:
    with test_client_factory(build_app()) as client:
        with pytest.raises(WebSocketDisconnect) as info, client.websocket_connect("/ws"):
            pass  # pragma: no cover
        assert info.value.code == 1000
        headers = {"Authorization": "Basic " + base64.b64encode(b"tomchristie:example").decode()}
        with client.websocket_connect("/ws", headers=headers) as websocket:
            assert websocket.receive_json() == {"user": "tomchristie"}


def test_requires_needs_a_request_or_websocket_argument() -> None:
    def no_connection(conn: Any) -> None:  # pragma: no cover
        pass

    with pytest.raises(Exception, match='No "request" or "websocket" argument on function') as info:
        requires("authenticated")(no_connection)
    assert "no_connection" in str(info.value)


@pytest.mark.anyio
async def test_requires_reads_request_passed_by_keyword() -> None:
    @requires("authenticated")
    async def endpoint(*, request: Request) -> str:
        return "ok"

    scope = {"type": "http", "method": "GET", "path": "/", "headers": [], "query_string": b""}
    granted = Request({**scope, "auth": AuthCredentials(["authenticated"]), "user": SimpleUser("x")})
    assert await endpoint(request=granted) == "ok"
    denied = Request({**scope, "auth": AuthCredentials(), "user": UnauthenticatedUser()})
    with pytest.raises(HTTPException) as info:
        await endpoint(request=denied)
    assert info.value.status_code == 403


def test_has_required_scope() -> None:
    scope = {"type": "http", "auth": AuthCredentials(["a", "b"]), "headers": []}
    conn = HTTPConnection(scope)
    assert has_required_scope(conn, ["a"])
    assert has_required_scope(conn, ["a", "b"])
    assert has_required_scope(conn, [])
    assert not has_required_scope(conn, ["a", "c"])


def test_credentials_and_users() -> None:
    assert AuthCredentials().scopes == []
    assert AuthCredentials(("a", "b")).scopes == ["a", "b"]
    user = SimpleUser("ann")
    assert (user.is_authenticated, user.display_name, user.username) == (True, "ann", "ann")
    anonymous = UnauthenticatedUser()
    assert (anonymous.is_authenticated, anonymous.display_name) == (False, "")
    assert isinstance(user, BaseUser)
    assert isinstance(anonymous, BaseUser)


def test_built_in_users_have_an_identity() -> None:
    # The identity is what an app stores to find the user again: the name, or "" for nobody.
    assert SimpleUser("ann").identity == "ann"
    assert UnauthenticatedUser().identity == ""


def test_base_user_leaves_every_property_to_subclasses() -> None:
    user = BaseUser()
    for name in ("is_authenticated", "display_name", "identity"):
        with pytest.raises(NotImplementedError):
            getattr(user, name)
