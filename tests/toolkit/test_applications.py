from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from framework.applications import Application
from framework.datastructures import State
from framework.exceptions import HTTPException, WebSocketException
from framework.middleware import Middleware
from framework.middleware.body_limit import RequestBodyLimitMiddleware
from framework.middleware.errors import ServerErrorMiddleware
from framework.middleware.exceptions import ExceptionMiddleware
from framework.requests import Request
from framework.responses import JSONResponse, PlainTextResponse, Response
from framework.routing import Host, Mount, Route, Router, WebSocketRoute
from framework.testclient import TestClient
from framework.types import ASGIApp, Message, Receive, Scope, Send
from framework.websockets import WebSocket, WebSocketDisconnect

TestClientFactory = Callable[..., TestClient]


async def homepage(request: Request) -> Response:
    return PlainTextResponse("Hello, world!")


async def all_users(request: Request) -> Response:
    return PlainTextResponse("All users")


async def user_page(request: Request) -> Response:
    return PlainTextResponse(f"User {request.path_params['username']}")


def sync_page(request: Request) -> Response:
    return PlainTextResponse("sync")


async def raise_runtime(request: Request) -> Response:
    raise RuntimeError("boom")


async def raise_http(request: Request) -> Response:
    raise HTTPException(status_code=418, detail="I'm a teapot", headers={"x-kind": "teapot"})


class CustomError(Exception):
    pass


async def raise_custom(request: Request) -> Response:
    raise CustomError("custom")


async def websocket_endpoint(session: WebSocket) -> None:
    await session.accept()
    await session.send_json({"hello": "world"})
    await session.close()


async def websocket_raise_ws_exception(session: WebSocket) -> None:
    await session.accept()
    raise WebSocketException(code=1011, reason="nope")


async def custom_error_handler(request: Request, exc: Exception) -> Response:
    return JSONResponse({"custom": str(exc)}, status_code=409)


def sync_http_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)


def build_app() -> Application:
    users = Router([Route("/", all_users), Route("/{username}", user_page)])
    return Application(
        routes=[
            Route("/", homepage),
            Route("/sync", sync_page),
            Route("/runtime", raise_runtime),
            Route("/http", raise_http),
            Route("/custom", raise_custom),
            Mount("/users", app=users),
            Host("{sub}.example.org", app=Router([Route("/", homepage)]), name="sub"),
            WebSocketRoute("/ws", websocket_endpoint),
            WebSocketRoute("/ws-exc", websocket_raise_ws_exception),
        ],
        exception_handlers={CustomError: custom_error_handler},
    )


def test_routes_are_served(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(build_app())
    assert client.get("/").text == "Hello, world!"
    assert client.get("/sync").text == "sync"
    assert client.get("/users/").text == "All users"
    assert client.get("/users/tom").text == "User tom"
    with client.websocket_connect("/ws") as session:
        assert session.receive_json() == {"hello": "world"}


def test_not_found_and_method_not_allowed_are_plain_text(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(build_app())
    response = client.get("/missing")
    assert response.status_code == 404
    assert response.text == "Not Found"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"

    response = client.post("/")
    assert response.status_code == 405
    assert response.text == "Method Not Allowed"
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD"}


def test_http_exception_becomes_its_response(test_client_factory: TestClientFactory) -> None:
    response = test_client_factory(build_app()).get("/http")
    assert response.status_code == 418
    assert response.text == "I'm a teapot"
    assert response.headers["x-kind"] == "teapot"


def test_custom_exception_handler(test_client_factory: TestClientFactory) -> None:
    response = test_client_factory(build_app()).get("/custom")
    assert response.status_code == 409
    assert response.json() == {"custom": "custom"}


def test_unhandled_error_is_500_without_traceback(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(build_app(), raise_server_exceptions=False)
    response = client.get("/runtime")
    assert response.status_code == 500
    assert response.text == "Internal Server Error"
    assert "boom" not in response.text


def test_unhandled_error_is_raised_to_the_test_client(test_client_factory: TestClientFactory) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        test_client_factory(build_app()).get("/runtime")


def test_debug_shows_the_traceback(test_client_factory: TestClientFactory) -> None:
    app = build_app()
    app.debug = True
    assert app.debug is True
    client = test_client_factory(app, raise_server_exceptions=False)
    response = client.get("/runtime")
    assert response.status_code == 500
    assert "RuntimeError: boom" in response.text
    assert "Traceback" in response.text


def test_toggling_debug_after_start_rebuilds_the_stack(test_client_factory: TestClientFactory) -> None:
    app = build_app()
    client = test_client_factory(app, raise_server_exceptions=False)
    assert client.get("/runtime").text == "Internal Server Error"
    app.debug = True
    assert "RuntimeError: boom" in client.get("/runtime").text
    app.debug = False
    assert client.get("/runtime").text == "Internal Server Error"


@pytest.mark.parametrize("key", [500, Exception])
def test_500_and_exception_handlers_go_to_server_error_middleware(
    test_client_factory: TestClientFactory, key: Any
) -> None:
    async def on_error(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": repr(exc)}, status_code=500)

    app = Application(routes=[Route("/", raise_runtime)], exception_handlers={key: on_error})
    response = test_client_factory(app, raise_server_exceptions=False).get("/")
    assert response.status_code == 500
    assert response.json() == {"error": "RuntimeError('boom')"}
    stack = app.middleware_stack
    assert isinstance(stack, ServerErrorMiddleware)
    assert stack.handler is on_error


def test_status_code_handler_with_sync_function(test_client_factory: TestClientFactory) -> None:
    app = Application(routes=[Route("/", raise_http)], exception_handlers={418: sync_http_handler})
    response = test_client_factory(app).get("/")
    assert response.status_code == 418
    assert response.json() == {"detail": "I'm a teapot"}


def test_add_exception_handler_before_start(test_client_factory: TestClientFactory) -> None:
    app = Application(routes=[Route("/", raise_custom)])
    app.add_exception_handler(CustomError, custom_error_handler)
    assert test_client_factory(app).get("/").status_code == 409


def test_websocket_exception_closes_with_its_code(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(build_app())
    with client.websocket_connect("/ws-exc") as session, pytest.raises(WebSocketDisconnect) as info:
        session.receive_text()
    assert info.value.code == 1011
    assert info.value.reason == "nope"


def test_unknown_websocket_route_is_closed(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(build_app())
    with pytest.raises(WebSocketDisconnect), client.websocket_connect("/nope"):
        pass  # pragma: no cover


def test_state_routes_and_url_path_for() -> None:
    app = build_app()
    assert isinstance(app.state, State)
    assert app.routes is app.router.routes
    assert app.url_path_for("user_page", username="x") == "/users/x"
    assert app.url_path_for("sub", sub="api", path="/").host == "api.example.org"


def test_scope_app_is_the_application(test_client_factory: TestClientFactory) -> None:
    seen: list[Any] = []

    async def endpoint(request: Request) -> Response:
        seen.append(request.app)
        return PlainTextResponse("ok")

    app = Application(routes=[Route("/", endpoint)])
    test_client_factory(app).get("/")
    assert seen == [app]


def test_mount_host_and_add_route(test_client_factory: TestClientFactory) -> None:
    app = Application()
    app.add_route("/added", homepage, methods=["GET"], name="added")
    app.mount("/static", PlainTextResponse("static file"), name="static")
    app.host("api.example.org", Router([Route("/", all_users)]), name="api")
    client = test_client_factory(app)
    assert client.get("/added").text == "Hello, world!"
    assert client.get("/static/x.css").text == "static file"
    assert client.get("/", headers={"host": "api.example.org"}).text == "All users"
    assert app.url_path_for("static", path="/x.css") == "/static/x.css"


class RecordingMiddleware:
    def __init__(self, app: ASGIApp, calls: list[str], label: str) -> None:
        self.app = app
        self.calls = calls
        self.label = label
        calls.append(f"init {label}")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.calls.append(f"{self.label} {scope['type']}")
        await self.app(scope, receive, send)


def test_middleware_order_and_single_build(test_client_factory: TestClientFactory) -> None:
    calls: list[str] = []
    app = Application(
        routes=[Route("/", homepage)],
        middleware=[Middleware(RecordingMiddleware, calls, label="first")],
    )
    app.add_middleware(RecordingMiddleware, calls, label="added")
    with test_client_factory(app) as client:
        client.get("/")
        client.get("/")
    assert calls.count("init first") == 1
    assert calls.count("init added") == 1
    # add_middleware puts the new one outermost; middleware see the lifespan too.
    assert calls[2:6] == ["added lifespan", "first lifespan", "added http", "first http"]


def test_add_middleware_after_start_fails(test_client_factory: TestClientFactory) -> None:
    app = Application()
    with (
        test_client_factory(app),
        pytest.raises(RuntimeError, match="Cannot add middleware after an application has started"),
    ):
        app.add_middleware(RecordingMiddleware, [], label="late")


def test_built_stack_order() -> None:
    app = Application(middleware=[Middleware(RecordingMiddleware, [], label="user")])
    stack: Any = app.build_middleware_stack()
    assert isinstance(stack, ServerErrorMiddleware)
    # The default body limit is applied by the error layer itself (no extra frame), outside the user
    # middleware, so bodies they read are capped too.
    assert stack.max_body_size == 16 * 1024 * 1024
    assert isinstance(stack.app, RecordingMiddleware)
    assert isinstance(stack.app.app, ExceptionMiddleware)
    explicit: Any = Application(
        max_body_size=10, middleware=[Middleware(RecordingMiddleware, [], label="user")]
    ).build_middleware_stack()
    assert isinstance(explicit.app, RequestBodyLimitMiddleware)
    assert isinstance(explicit.app.app, RecordingMiddleware)
    without_limit: Any = Application(max_body_size=None).build_middleware_stack()
    assert isinstance(without_limit.app, ExceptionMiddleware)


def test_default_body_limit_reaches_middleware_reading_the_body(test_client_factory: TestClientFactory) -> None:
    seen: list[Any] = []

    class ReadsBody:
        def __init__(self, app: ASGIApp) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            seen.append(scope.get("starlette.max_body_size"))
            await Request(scope, receive).body()
            await PlainTextResponse("read")(scope, receive, send)

    app = Application(middleware=[Middleware(ReadsBody)])
    client = test_client_factory(app)
    assert client.post("/", content=b"small").text == "read"
    assert seen == [16 * 1024 * 1024]

    def chunks() -> Iterator[bytes]:
        yield b"x" * (8 * 1024 * 1024)
        yield b"x" * (8 * 1024 * 1024 + 1)

    response = client.post("/", content=chunks())
    assert response.status_code == 413
    assert response.text == "Content Too Large"


def test_lifespan_state_reaches_requests(test_client_factory: TestClientFactory) -> None:
    @contextlib.asynccontextmanager
    async def lifespan(app: Application) -> AsyncIterator[dict[str, Any]]:
        yield {"db": "connected"}

    async def endpoint(request: Request) -> Response:
        return PlainTextResponse(request.state.db)

    app = Application(routes=[Route("/", endpoint)], lifespan=lifespan)
    with test_client_factory(app) as client:
        assert client.get("/").text == "connected"


@pytest.mark.parametrize(
    "host",
    [
        "evil.example/path",
        "evil.example?x=1",
        "evil.example#frag",
        "user@evil.example",
        "evil.example\\x",
        "evil example",
        "evil.example\t",
        "evil\x00.example",
        "evil\x7f.example",
    ],
)
def test_invalid_host_header_is_400(test_client_factory: TestClientFactory, host: str) -> None:
    reached: list[bool] = []

    async def endpoint(request: Request) -> Response:
        reached.append(True)  # pragma: no cover
        return PlainTextResponse("reached")  # pragma: no cover

    app = Application(routes=[Route("/", endpoint)])
    response = test_client_factory(app).get("/", headers={"host": host})
    assert response.status_code == 400
    assert response.text == "Invalid host header"
    assert reached == []


@pytest.mark.parametrize(
    "host", ["example.org", "example.org:8000", "127.0.0.1:8000", "[::1]:8000", "xn--bcher-kva.example"]
)
def test_valid_host_headers_pass(test_client_factory: TestClientFactory, host: str) -> None:
    app = Application(routes=[Route("/", homepage)])
    response = test_client_factory(app).get("/", headers={"host": host})
    assert response.status_code == 200


def test_negative_max_body_size_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="max_body_size"):
        Application(max_body_size=-1)


@pytest.mark.anyio
async def test_scope_without_headers_is_served() -> None:
    # "headers" may be left out of a hand-built scope (it is empty then): no KeyError on the way in.
    async def endpoint(request: Request) -> Response:
        return PlainTextResponse(f"{request.method} {request.scope['path']}")

    app = Application(routes=[Route("/", endpoint, max_body_size=100)])
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        sent.append(message)

    await app({"type": "http", "method": "GET", "path": "/", "query_string": b""}, receive, send)
    assert sent[0]["status"] == 200
    assert sent[1]["body"] == b"GET /"
