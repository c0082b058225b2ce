from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from framework._exception_handler import SendTracker
from framework.applications import Application
from framework.background import BackgroundTask
from framework.middleware.errors import ServerErrorMiddleware
from framework.middleware.exceptions import ExceptionMiddleware
from framework.requests import Request
from framework.responses import JSONResponse, PlainTextResponse, Response
from framework.routing import Route
from framework.testclient import TestClient
from framework.types import Receive, Scope, Send
from framework.websockets import WebSocket

TestClientFactory = Callable[..., TestClient]


async def failing_app(scope: Scope, receive: Receive, send: Send) -> None:
    raise RuntimeError("Something went wrong")


async def hostile_app(scope: Scope, receive: Receive, send: Send) -> None:
    raise ValueError("<script>alert('x')</script>")


def test_default_is_plain_500_and_re_raises(test_client_factory: TestClientFactory) -> None:
    app = ServerErrorMiddleware(failing_app)
    response = test_client_factory(app, raise_server_exceptions=False).get("/")
    assert response.status_code == 500
    assert response.text == "Internal Server Error"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    with pytest.raises(RuntimeError, match="Something went wrong"):
        test_client_factory(app).get("/")


def test_no_traceback_without_debug_even_if_html_is_accepted(test_client_factory: TestClientFactory) -> None:
    app = ServerErrorMiddleware(failing_app)
    response = test_client_factory(app, raise_server_exceptions=False).get("/", headers={"accept": "text/html"})
    assert response.text == "Internal Server Error"
    assert "Traceback" not in response.text


@pytest.mark.parametrize("sync", [True, False])
def test_handler_builds_the_response(test_client_factory: TestClientFactory, sync: bool) -> None:
    def sync_handler(request: Request, exc: Exception) -> Response:
        return JSONResponse({"detail": str(exc)}, status_code=500)

    async def async_handler(request: Request, exc: Exception) -> Response:
        return JSONResponse({"detail": str(exc)}, status_code=500)

    app = ServerErrorMiddleware(failing_app, handler=sync_handler if sync else async_handler)
    response = test_client_factory(app, raise_server_exceptions=False).get("/")
    assert response.status_code == 500
    assert response.json() == {"detail": "Something went wrong"}


def test_debug_plain_text_traceback(test_client_factory: TestClientFactory) -> None:
    app = ServerErrorMiddleware(failing_app, debug=True)
    response = test_client_factory(app, raise_server_exceptions=False).get("/")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/plain")
    assert "Traceback (most recent call last)" in response.text
    assert "RuntimeError: Something went wrong" in response.text


def test_debug_html_page(test_client_factory: TestClientFactory) -> None:
    app = ServerErrorMiddleware(failing_app, debug=True)
    client = test_client_factory(app, raise_server_exceptions=False)
    response = client.get("/", headers={"accept": "text/html, */*"})
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert "500 Server Error" in response.text
    assert "RuntimeError: Something went wrong" in response.text
    # The source line of the failing frame is shown.
    assert "raise RuntimeError(&quot;Something went wrong&quot;)" in response.text


def test_debug_html_escapes_user_controlled_text(test_client_factory: TestClientFactory) -> None:
    app = ServerErrorMiddleware(hostile_app, debug=True)
    response = test_client_factory(app, raise_server_exceptions=False).get("/", headers={"accept": "text/html"})
    assert "<script>" not in response.text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in response.text


def test_nothing_is_sent_after_the_response_started(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await PlainTextResponse("partial", status_code=200)(scope, receive, send)
        raise RuntimeError("after")

    client = test_client_factory(ServerErrorMiddleware(app, debug=True), raise_server_exceptions=False)
    response = client.get("/")
    assert response.status_code == 200
    assert response.text == "partial"


def test_handler_runs_for_background_task_errors_but_sends_nothing(test_client_factory: TestClientFactory) -> None:
    called: list[str] = []

    def error_handler(request: Request, exc: Exception) -> Any:
        called.append(str(exc))

    def fail() -> None:
        raise RuntimeError("task failed")

    async def endpoint(request: Request) -> Response:
        return Response(status_code=204, background=BackgroundTask(fail))

    app = Application(routes=[Route("/", endpoint)], exception_handlers={Exception: error_handler})
    response = test_client_factory(app, raise_server_exceptions=False).get("/")
    assert response.status_code == 204
    assert called == ["task failed"]


def test_websockets_pass_through(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        await websocket.accept()
        raise RuntimeError("ws failure")

    client = test_client_factory(ServerErrorMiddleware(app))
    with pytest.raises(RuntimeError, match="ws failure"), client.websocket_connect("/"):
        pass  # pragma: no cover


def test_generate_html_limits_frames() -> None:
    def level(n: int) -> None:
        if n == 0:
            raise KeyError("deep")
        level(n - 1)

    try:
        level(12)
    except KeyError as exc:
        page = ServerErrorMiddleware(failing_app).generate_html(exc, limit=3)
    assert page.count("class='frame'") == 3
    assert "KeyError: &#x27;deep&#x27;" in page


async def start_then_fail(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"7")]})
    await send({"type": "http.response.body", "body": b"partial", "more_body": True})
    raise RuntimeError("after the start")


def test_start_held_back_by_an_inner_layer_still_gets_the_500(test_client_factory: TestClientFactory) -> None:
    def holding_back(app: Any) -> Any:
        # Like a buffering middleware: nothing reached the server yet when the app fails.
        async def layer(scope: Scope, receive: Receive, send: Send) -> None:
            async def held(message: Any) -> None:
                pass

            await app(scope, receive, held)

        return layer

    app = ServerErrorMiddleware(holding_back(ExceptionMiddleware(start_then_fail)))
    client = test_client_factory(app, raise_server_exceptions=False)
    response = client.get("/")
    assert response.status_code == 500
    assert response.text == "Internal Server Error"


def test_stacked_send_trackers_report_the_start_to_the_outermost(test_client_factory: TestClientFactory) -> None:
    def tracking(app: Any) -> Any:
        async def layer(scope: Scope, receive: Receive, send: Send) -> None:
            await app(scope, receive, SendTracker(SendTracker(send)))

        return layer

    app = ServerErrorMiddleware(tracking(ExceptionMiddleware(start_then_fail)), debug=True)
    client = test_client_factory(app, raise_server_exceptions=False)
    response = client.get("/")
    assert response.status_code == 200
    assert response.text == "partial"
