from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from framework.applications import Application
from framework.middleware import Middleware
from framework.middleware.cors import ALL_METHODS, CORSMiddleware
from framework.requests import Request
from framework.responses import PlainTextResponse
from framework.routing import Route, WebSocketRoute
from framework.testclient import TestClient, WebSocketDenialResponse
from framework.types import Message
from framework.websockets import WebSocket

TestClientFactory = Callable[..., TestClient]


async def homepage(request: Request) -> PlainTextResponse:
    return PlainTextResponse("Homepage", headers={"X-Status": "OK"})


async def varies(request: Request) -> PlainTextResponse:
    return PlainTextResponse("Varies", headers={"Vary": "Accept-Encoding"})


async def options_handler(request: Request) -> PlainTextResponse:
    return PlainTextResponse("handled by the app")


async def socket(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_text("hello")
    await websocket.close()


PREFLIGHT_VARY = (
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, Access-Control-Request-Private-Network"
)


def build_app(**options: Any) -> Application:
    return Application(
        routes=[
            Route("/", homepage),
            Route("/varies", varies),
            Route("/opts", options_handler, methods=["OPTIONS"]),
            WebSocketRoute("/ws", socket),
        ],
        middleware=[Middleware(CORSMiddleware, **options)],
    )


def preflight(origin: str = "https://example.org", method: str = "GET", headers: str | None = None) -> dict[str, str]:
    result = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers is not None:
        result["Access-Control-Request-Headers"] = headers
    return result


def test_allow_all_origins_preflight(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(
        build_app(allow_origins=["*"], allow_headers=["*"], allow_methods=["*"], expose_headers=["X-Status"])
    )
    response = client.options("/", headers=preflight(headers="X-Example, Content-Type"))
    assert response.status_code == 200
    assert response.text == "OK"
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["access-control-allow-headers"] == "X-Example, Content-Type"
    assert response.headers["access-control-allow-methods"] == ", ".join(ALL_METHODS)
    assert response.headers["access-control-max-age"] == "600"
    assert "access-control-allow-credentials" not in response.headers
    # A preflight answer varies with every Access-Control-Request-* header, even when it says "*".
    assert response.headers["vary"] == PREFLIGHT_VARY


def test_allow_all_origins_simple_request(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(build_app(allow_origins=["*"], expose_headers=["X-Status", "X-Other"]))
    response = client.get("/", headers={"Origin": "https://example.org"})
    assert response.status_code == 200
    assert response.text == "Homepage"
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["access-control-expose-headers"] == "X-Status, X-Other"
    assert response.headers["vary"] == "Origin"


def test_allow_all_with_credentials_echoes_origin(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(build_app(allow_origins=["*"], allow_credentials=True))
    response = client.options("/", headers=preflight())
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://example.org"
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["vary"] == PREFLIGHT_VARY

    # With credentials allowed "*" is never sent: browsers reject it for credentialed requests.
    for headers in ({"Origin": "https://example.org", "Cookie": "a=b"}, {"Origin": "https://example.org"}):
        response = client.get("/", headers=headers)
        assert response.headers["access-control-allow-origin"] == "https://example.org"
        assert response.headers["access-control-allow-credentials"] == "true"
        assert response.headers["vary"] == "Origin"


def test_specific_origins_preflight(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(build_app(allow_origins=["https://example.org"], allow_headers=["X-Example"]))
    response = client.options("/", headers=preflight(headers="x-example, content-type"))
    assert response.status_code == 200
    assert response.text == "OK"
    assert response.headers["access-control-allow-origin"] == "https://example.org"
    assert response.headers["access-control-allow-headers"] == (
        "Accept, Accept-Language, Content-Language, Content-Type, X-Example"
    )
    assert response.headers["access-control-allow-methods"] == "GET"
    assert response.headers["vary"] == PREFLIGHT_VARY


def test_specific_origins_simple_request(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(build_app(allow_origins=["https://example.org"]))
    response = client.get("/", headers={"Origin": "https://example.org"})
    assert response.text == "Homepage"
    assert response.headers["access-control-allow-origin"] == "https://example.org"
    assert response.headers["vary"] == "Origin"

    response = client.get("/", headers={"Origin": "https://other.org"})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


def test_preflight_lists_every_failure(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(build_app(allow_origins=["https://example.org"], allow_headers=["X-Example"]))
    response = client.options("/", headers=preflight("https://evil.org", "POST", "X-Nope"))
    assert response.status_code == 400
    assert response.text == "Disallowed CORS origin, method, headers"
    assert "access-control-allow-origin" not in response.headers
    assert response.headers["content-type"] == "text/plain; charset=utf-8"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (preflight(method="DELETE"), "Disallowed CORS method"),
        (preflight(headers="X-Unknown"), "Disallowed CORS headers"),
        (preflight(origin="null"), "Disallowed CORS origin"),
        (preflight(headers="accept, x-example, " + "x-padding, " * 500), "Disallowed CORS headers"),
    ],
)
def test_preflight_single_failures(
    test_client_factory: TestClientFactory, headers: dict[str, str], expected: str
) -> None:
    client = test_client_factory(build_app(allow_origins=["https://example.org"], allow_headers=["X-Example"]))
    response = client.options("/", headers=headers)
    assert response.status_code == 400
    assert response.text == expected


def test_origin_regex_must_match_whole_origin(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(build_app(allow_origin_regex=r"https://.*\.example\.org"))
    response = client.get("/", headers={"Origin": "https://api.example.org"})
    assert response.headers["access-control-allow-origin"] == "https://api.example.org"
    for hostile in ("https://api.example.org.evil.com", "http://api.example.org", "https://example.org"):
        response = client.get("/", headers={"Origin": hostile})
        assert "access-control-allow-origin" not in response.headers, hostile
    response = client.options("/", headers=preflight("https://api.example.org.evil.com"))
    assert response.status_code == 400
    assert response.text == "Disallowed CORS origin"


def test_private_network(test_client_factory: TestClientFactory) -> None:
    headers = {**preflight(), "Access-Control-Request-Private-Network": "true"}
    client = test_client_factory(build_app(allow_origins=["https://example.org"], allow_private_network=True))
    response = client.options("/", headers=headers)
    assert response.status_code == 200
    assert response.headers["access-control-allow-private-network"] == "true"

    client = test_client_factory(build_app(allow_origins=["https://example.org"]))
    response = client.options("/", headers=headers)
    assert response.status_code == 400
    assert response.text == "Disallowed CORS private-network"
    assert "access-control-allow-private-network" not in response.headers


def test_credentials_and_max_age_in_preflight(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(
        build_app(allow_origins=["https://example.org"], allow_credentials=True, max_age=42, allow_methods=["PUT"])
    )
    response = client.options("/", headers=preflight(method="PUT"))
    assert response.status_code == 200
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["access-control-max-age"] == "42"
    assert response.headers["access-control-allow-methods"] == "PUT"


def test_no_origin_means_no_cors_headers(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(build_app(allow_origins=["*"]))
    response = client.get("/")
    assert response.text == "Homepage"
    assert not any(name.startswith("access-control-") for name in response.headers)


def test_options_without_request_method_reaches_the_app(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(build_app(allow_origins=["https://example.org"]))
    response = client.options("/opts", headers={"Origin": "https://example.org"})
    assert response.text == "handled by the app"
    assert response.headers["access-control-allow-origin"] == "https://example.org"


def test_vary_header_is_merged(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(build_app(allow_origins=["https://example.org"]))
    response = client.get("/varies", headers={"Origin": "https://example.org"})
    assert response.headers["vary"] == "Accept-Encoding, Origin"

    client = test_client_factory(build_app(allow_origins=["*"], allow_credentials=True))
    response = client.get("/varies", headers={"Origin": "https://example.org", "Cookie": "x=y"})
    assert response.headers["vary"] == "Accept-Encoding, Origin"


def test_websocket_is_untouched_by_default(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(build_app(allow_origins=["https://example.org"]))
    with client.websocket_connect("/ws", headers={"Origin": "https://evil.org"}) as websocket:
        assert websocket.receive_text() == "hello"


def test_websocket_origin_check(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(
        build_app(
            allow_origins=["https://example.org"],
            allow_origin_regex=r"https://.*\.example\.net",
            check_websocket_origin=True,
        )
    )
    for allowed in ({"Origin": "https://example.org"}, {"Origin": "https://chat.example.net"}, {}):
        with client.websocket_connect("/ws", headers=allowed) as websocket:
            assert websocket.receive_text() == "hello"
    for hostile in ("https://evil.org", "null", "https://example.org.evil.org"):
        with (
            pytest.raises(WebSocketDenialResponse) as info,
            client.websocket_connect("/ws", headers={"Origin": hostile}),
        ):
            pass  # pragma: no cover
        assert info.value.status_code == 403
        assert info.value.text == "Disallowed CORS origin"


@pytest.mark.anyio
async def test_websocket_origin_check_without_denial_extension_closes_before_accept() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:  # pragma: no cover - must not be reached
        raise AssertionError("the app must not see a refused handshake")

    middleware = CORSMiddleware(app, allow_origins=["https://example.org"], check_websocket_origin=True)
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "websocket.connect"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "websocket", "path": "/ws", "headers": [(b"origin", b"https://evil.org")]}
    await middleware(scope, receive, send)
    assert sent == [{"type": "websocket.close", "code": 1008}]


def test_response_without_origin_still_varies_on_origin(test_client_factory: TestClientFactory) -> None:
    # A cache must not hand this origin-less answer to a cross-origin request, which would get CORS headers.
    client = test_client_factory(build_app(allow_origins=["https://example.org"]))
    response = client.get("/")
    assert response.status_code == 200
    assert response.text == "Homepage"
    assert response.headers["vary"] == "Origin"
    assert "access-control-allow-origin" not in response.headers


def test_query_method_is_among_all_methods(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(build_app(allow_origins=["*"], allow_methods=["*"]))
    response = client.options("/", headers=preflight(method="QUERY"))
    assert response.status_code == 200
    assert "QUERY" in response.headers["access-control-allow-methods"].split(", ")
