from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from framework.applications import Application
from framework.middleware import Middleware
from framework.middleware.httpsredirect import HTTPSRedirectMiddleware
from framework.requests import Request
from framework.responses import PlainTextResponse
from framework.routing import Route, WebSocketRoute
from framework.testclient import TestClient, WebSocketDenialResponse
from framework.types import Message, Receive, Scope, Send
from framework.websockets import WebSocket

TestClientFactory = Callable[..., TestClient]


async def homepage(request: Request) -> PlainTextResponse:
    return PlainTextResponse(f"{request.method} {request.url}")


async def socket(websocket: WebSocket) -> None:  # pragma: no cover - only reached over wss
    await websocket.accept()
    await websocket.close()


def build_app() -> Application:
    return Application(
        routes=[Route("/", homepage, methods=["GET", "POST"]), Route("/page", homepage), WebSocketRoute("/ws", socket)],
        middleware=[Middleware(HTTPSRedirectMiddleware)],
    )


def test_https_request_passes(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(build_app(), base_url="https://testserver")
    response = client.get("/")
    assert response.status_code == 200
    assert response.text == "GET https://testserver/"


@pytest.mark.parametrize(
    ("base_url", "path", "location"),
    [
        ("http://testserver", "/", "https://testserver/"),
        ("http://testserver", "/page?x=1&y=%20", "https://testserver/page?x=1&y=%20"),
        ("http://testserver:80", "/", "https://testserver/"),
        ("http://testserver:443", "/", "https://testserver/"),
        ("http://testserver:123", "/", "https://testserver:123/"),
    ],
)
def test_http_is_redirected_with_307(
    test_client_factory: TestClientFactory, base_url: str, path: str, location: str
) -> None:
    client = test_client_factory(build_app(), base_url=base_url)
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == location
    assert response.content == b""


def test_post_keeps_method_through_redirect(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(build_app(), base_url="http://testserver")
    response = client.post("/", content=b"data")
    assert response.status_code == 200
    assert response.text == "POST https://testserver/"


def test_websocket_is_redirected_to_wss(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(build_app())
    with pytest.raises(WebSocketDenialResponse) as info, client.websocket_connect("/ws"):
        pass  # pragma: no cover
    assert info.value.status_code == 307
    assert info.value.headers["location"] == "wss://testserver/ws"


@pytest.mark.anyio
async def test_ipv6_host_keeps_brackets() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:  # pragma: no cover
        raise AssertionError

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def receive() -> Message:  # pragma: no cover
        return {"type": "http.request"}

    scope: dict[str, Any] = {
        "type": "http",
        "scheme": "http",
        "method": "GET",
        "path": "/p",
        "query_string": b"",
        "headers": [(b"host", b"[::1]:80")],
        "server": ("::1", 80),
    }
    await HTTPSRedirectMiddleware(app)(scope, receive, send)
    assert sent[0]["status"] == 307
    assert (b"location", b"https://[::1]/p") in sent[0]["headers"]


@pytest.mark.parametrize("host", ["example.com:70000", "[:::]"])
def test_no_usable_host_and_no_server_is_400(test_client_factory: TestClientFactory, host: str) -> None:
    redirect = HTTPSRedirectMiddleware(PlainTextResponse("never"))

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        scope.pop("server", None)
        await redirect(scope, receive, send)

    response = test_client_factory(app).get("/", headers={"host": host}, follow_redirects=False)
    assert response.status_code == 400
    assert response.text == "Invalid host header"


def test_malformed_host_falls_back_to_server_address(test_client_factory: TestClientFactory) -> None:
    app = HTTPSRedirectMiddleware(PlainTextResponse("never"))
    response = test_client_factory(app).get("/x", headers={"host": "bad host"}, follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "https://testserver/x"
