from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from framework.applications import Application
from framework.middleware import Middleware
from framework.middleware.trustedhost import TrustedHostMiddleware
from framework.requests import Request
from framework.responses import PlainTextResponse
from framework.routing import Route, WebSocketRoute
from framework.testclient import TestClient, WebSocketDenialResponse
from framework.types import Receive, Scope, Send
from framework.websockets import WebSocket

TestClientFactory = Callable[..., TestClient]


async def homepage(request: Request) -> PlainTextResponse:
    return PlainTextResponse(f"OK {request.url}")


async def socket(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_text("hi")
    await websocket.close()


def build_app(**options: Any) -> Application:
    return Application(
        routes=[Route("/", homepage), WebSocketRoute("/ws", socket)],
        middleware=[Middleware(TrustedHostMiddleware, **options)],
    )


def test_allowed_and_disallowed_hosts(test_client_factory: TestClientFactory) -> None:
    app = build_app(allowed_hosts=["testserver", "*.testserver"])
    for base_url in ("http://testserver", "http://api.testserver", "http://a.b.testserver"):
        response = test_client_factory(app, base_url=base_url).get("/")
        assert response.status_code == 200, base_url
        assert response.text == f"OK {base_url}/"
    for base_url in ("http://invalidhost", "http://testserver.evil.com", "http://eviltestserver"):
        response = test_client_factory(app, base_url=base_url).get("/")
        assert response.status_code == 400, base_url
        assert response.text == "Invalid host header"
        assert response.headers["content-type"] == "text/plain; charset=utf-8"


def test_host_with_port_and_case(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(build_app(allowed_hosts=["example.com"]))
    assert client.get("/", headers={"Host": "example.com:8000"}).status_code == 200
    assert client.get("/", headers={"Host": "EXAMPLE.com"}).status_code == 200
    assert client.get("/", headers={"Host": "example.com.evil:80"}).status_code == 400


def test_ipv6_host(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(build_app(allowed_hosts=["[::1]"]))
    assert client.get("/", headers={"Host": "[::1]:8000"}).status_code == 200
    assert client.get("/", headers={"Host": "[::1]"}).status_code == 200
    assert client.get("/", headers={"Host": "[::2]:8000"}).status_code == 400


@pytest.mark.parametrize("host", ["", " ", ":", "[", "[::1", "*", "*.testserver", "a" * 5000])
def test_hostile_host_headers_are_400(test_client_factory: TestClientFactory, host: str) -> None:
    client = test_client_factory(build_app(allowed_hosts=["testserver", "*.testserver"]))
    response = client.get("/", headers={"Host": host})
    if host == "*.testserver":
        # The literal header ends with ".testserver": a subdomain by the pattern's own rule.
        assert response.status_code == 200
    else:
        assert response.status_code == 400
        assert response.text == "Invalid host header"


@pytest.mark.anyio
async def test_missing_host_header_is_400() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:  # pragma: no cover
        raise AssertionError("must not be reached")

    sent: list[Any] = []

    async def send(message: Any) -> None:
        sent.append(message)

    async def receive() -> Any:  # pragma: no cover
        return {"type": "http.request"}

    scope = {"type": "http", "method": "GET", "path": "/", "headers": [], "query_string": b""}
    await TrustedHostMiddleware(app, allowed_hosts=["example.com"])(scope, receive, send)
    assert sent[0]["status"] == 400
    assert sent[1]["body"] == b"Invalid host header"


def test_default_allows_any_host(test_client_factory: TestClientFactory) -> None:
    middleware = TrustedHostMiddleware(homepage)  # type: ignore[arg-type]
    assert middleware.allowed_hosts == ["*"]
    client = test_client_factory(build_app())
    assert client.get("/", headers={"Host": "anything.example"}).status_code == 200


def test_www_redirect(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(build_app(allowed_hosts=["www.example.com"]), base_url="https://example.com")
    response = client.get("/path?q=1", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "https://www.example.com/path?q=1"
    response = client.get("/")
    assert response.status_code == 200
    assert response.text == "OK https://www.example.com/"


def test_www_redirect_disabled(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(
        build_app(allowed_hosts=["www.example.com"], www_redirect=False), base_url="https://example.com"
    )
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 400
    assert response.text == "Invalid host header"


def test_websocket_with_invalid_host_is_denied(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(build_app(allowed_hosts=["testserver"]))
    with client.websocket_connect("/ws") as websocket:
        assert websocket.receive_text() == "hi"
    with pytest.raises(WebSocketDenialResponse) as info, client.websocket_connect("/ws", headers={"Host": "evil"}):
        pass  # pragma: no cover
    assert info.value.status_code == 400
    assert info.value.text == "Invalid host header"


@pytest.mark.parametrize("pattern", ["*example.com", "example.*", "*.*.example.com", "**.example.com", "a*b.com"])
def test_bad_wildcard_patterns_fail_at_construction(pattern: str) -> None:
    with pytest.raises(AssertionError, match=r"Domain wildcard patterns must be like '\*\.example\.com'\."):
        TrustedHostMiddleware(homepage, allowed_hosts=[pattern])  # type: ignore[arg-type]


@pytest.mark.parametrize("host", ["[::1]evil.example.com", "[::1]:", "example.com:evil", "a@example.com"])
def test_malformed_host_header_is_refused(test_client_factory: TestClientFactory, host: str) -> None:
    async def ok(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")  # pragma: no cover - never reached

    app = Application(
        routes=[Route("/", ok)],
        middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=["[::1]", "example.com", "*.example.com"])],
    )
    response = test_client_factory(app).get("/", headers={"host": host})
    assert response.status_code == 400
    assert response.text == "Invalid host header"
