from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from framework.applications import Application
from framework.endpoints import HTTPEndpoint, WebSocketEndpoint
from framework.exceptions import HTTPException
from framework.requests import Request
from framework.responses import JSONResponse, PlainTextResponse, Response
from framework.routing import Route, WebSocketRoute
from framework.testclient import TestClient, WebSocketTestSession
from framework.types import Message, Receive, Scope, Send
from framework.websockets import WebSocket, WebSocketDisconnect

TestClientFactory = Callable[..., TestClient]


class Homepage(HTTPEndpoint):
    async def get(self, request: Request) -> Response:
        return PlainTextResponse(f"Hello, {request.query_params.get('name', 'world')}!")

    def post(self, request: Request) -> Response:
        return PlainTextResponse("posted (sync)", status_code=201)


class Tricky(HTTPEndpoint):
    """Has attributes that a naive getattr(self, method.lower()) dispatcher would call."""

    calls: list[str] = []

    async def get(self, request: Request) -> Response:
        return PlainTextResponse("get")

    def trace(self, request: Request) -> Response:  # TRACE is not a verb endpoints dispatch to
        self.calls.append("trace")
        return PlainTextResponse("trace")  # pragma: no cover

    def _private(self, request: Request) -> Response:
        self.calls.append("_private")
        return PlainTextResponse("private")  # pragma: no cover


def test_get_dispatches_to_async_handler(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(Homepage)
    response = client.get("/?name=Ann")
    assert response.status_code == 200
    assert response.text == "Hello, Ann!"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"


def test_sync_handler_runs_in_threadpool(test_client_factory: TestClientFactory) -> None:
    threads: dict[str, int] = {}

    class Endpoint(HTTPEndpoint):
        def put(self, request: Request) -> Response:
            threads["handler"] = threading.get_ident()
            return PlainTextResponse("s")

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        threads["loop"] = threading.get_ident()
        await Endpoint(scope, receive, send)

    assert test_client_factory(app).put("/").text == "s"
    assert threads["handler"] != threads["loop"]


def test_sync_handler_response(test_client_factory: TestClientFactory) -> None:
    response = test_client_factory(Homepage).post("/")
    assert response.status_code == 201
    assert response.text == "posted (sync)"


def test_head_falls_back_to_get(test_client_factory: TestClientFactory) -> None:
    response = test_client_factory(Homepage).head("/")
    assert response.status_code == 200
    assert response.headers["content-length"] == str(len("Hello, world!"))
    assert response.content == b""


def test_explicit_head_handler_wins(test_client_factory: TestClientFactory) -> None:
    class Endpoint(HTTPEndpoint):
        async def get(self, request: Request) -> Response:
            return PlainTextResponse("get")  # pragma: no cover

        async def head(self, request: Request) -> Response:
            return PlainTextResponse("", headers={"x-handler": "head"})

    response = test_client_factory(Endpoint).head("/")
    assert response.headers["x-handler"] == "head"
    assert test_client_factory(Endpoint).post("/").headers["allow"] == "GET, HEAD"


def test_unimplemented_method_is_405_with_allow(test_client_factory: TestClientFactory) -> None:
    response = test_client_factory(Homepage).delete("/")
    assert response.status_code == 405
    assert response.text == "Method Not Allowed"
    assert response.headers["allow"] == "GET, HEAD, POST"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"


def test_allow_header_lists_verbs_in_standard_order(test_client_factory: TestClientFactory) -> None:
    class Endpoint(HTTPEndpoint):
        async def options(self, request: Request) -> Response:
            return PlainTextResponse("o")

        async def delete(self, request: Request) -> Response:
            return PlainTextResponse("d")

        async def patch(self, request: Request) -> Response:
            return PlainTextResponse("p")

    response = test_client_factory(Endpoint).get("/")
    assert response.status_code == 405
    assert response.headers["allow"] == "PATCH, DELETE, OPTIONS"
    assert test_client_factory(Endpoint).options("/").text == "o"


@pytest.mark.parametrize(
    "method", ["TRACE", "DISPATCH", "__INIT__", "_PRIVATE", "METHOD_NOT_ALLOWED", "CONNECT", "__AWAIT__"]
)
def test_odd_methods_never_reach_attributes(test_client_factory: TestClientFactory, method: str) -> None:
    Tricky.calls.clear()
    response = test_client_factory(Tricky).request(method, "/")
    assert response.status_code == 405
    assert response.text == "Method Not Allowed"
    assert response.headers["allow"] == "GET, HEAD"
    assert Tricky.calls == []


def test_handler_set_to_none_is_not_allowed(test_client_factory: TestClientFactory) -> None:
    class GetOnly(Homepage):
        post = None  # type: ignore[assignment]

    client = test_client_factory(GetOnly)
    response = client.post("/")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"
    assert client.get("/").text == "Hello, world!"


def test_subclass_inherits_and_extends_handlers(test_client_factory: TestClientFactory) -> None:
    class WithDelete(Homepage):
        async def delete(self, request: Request) -> Response:
            return Response(status_code=204)

    client = test_client_factory(WithDelete)
    assert client.delete("/").status_code == 204
    assert client.get("/").text == "Hello, world!"
    assert client.patch("/").headers["allow"] == "GET, HEAD, POST, DELETE"
    # The parent class keeps its own table.
    assert test_client_factory(Homepage).delete("/").status_code == 405


def test_bare_endpoint_class_allows_nothing(test_client_factory: TestClientFactory) -> None:
    response = test_client_factory(HTTPEndpoint).get("/")
    assert response.status_code == 405
    assert response.headers["allow"] == ""


def test_inside_an_application_405_is_raised(test_client_factory: TestClientFactory) -> None:
    raised: list[HTTPException] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        # Stands in for Application: it marks the scope and renders HTTPException itself.
        scope["app"] = app
        try:
            await Homepage(scope, receive, send)
        except HTTPException as exc:
            raised.append(exc)
            await PlainTextResponse(exc.detail, exc.status_code, headers=exc.headers)(scope, receive, send)

    response = test_client_factory(app).put("/")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD, POST"
    assert raised[0].status_code == 405
    assert raised[0].headers == {"Allow": "GET, HEAD, POST"}
    assert raised[0].detail == "Method Not Allowed"


def test_endpoint_rejects_non_http_scope() -> None:
    async def receive() -> Any:
        return {}  # pragma: no cover

    async def send(message: Any) -> None:
        pass  # pragma: no cover

    with pytest.raises(AssertionError):
        Homepage({"type": "websocket"}, receive, send)
    with pytest.raises(AssertionError):
        WebSocketEndpoint({"type": "http"}, receive, send)


class Recorder(WebSocketEndpoint):
    """Echoes what it decodes as JSON (with the Python type) and records its lifecycle."""

    events: list[Any] = []

    async def on_connect(self, websocket: WebSocket) -> None:
        self.events.append("connect")
        await websocket.accept()

    async def on_receive(self, websocket: WebSocket, data: Any) -> None:
        await websocket.send_json({"type": type(data).__name__, "data": data if not isinstance(data, bytes) else None})

    async def on_disconnect(self, websocket: WebSocket, close_code: int) -> None:
        self.events.append(("disconnect", close_code))


def make_recorder(encoding: str | None) -> type[Recorder]:
    class Endpoint(Recorder):
        pass

    Endpoint.encoding = encoding  # type: ignore[assignment]
    Endpoint.events = []
    return Endpoint


def test_websocket_endpoint_default_encoding(test_client_factory: TestClientFactory) -> None:
    endpoint = make_recorder(None)
    with test_client_factory(endpoint).websocket_connect("/") as session:
        session.send_text("")
        assert session.receive_json() == {"type": "str", "data": ""}
        session.send_bytes(b"\x00")
        assert session.receive_json() == {"type": "bytes", "data": None}
        session.close(code=1001)
    assert endpoint.events == ["connect", ("disconnect", 1001)]


def test_websocket_endpoint_text(test_client_factory: TestClientFactory) -> None:
    endpoint = make_recorder("text")
    with test_client_factory(endpoint).websocket_connect("/") as session:
        session.send_text("hello")
        assert session.receive_json() == {"type": "str", "data": "hello"}
    assert endpoint.events == ["connect", ("disconnect", 1000)]


def test_websocket_endpoint_bytes(test_client_factory: TestClientFactory) -> None:
    endpoint = make_recorder("bytes")
    with test_client_factory(endpoint).websocket_connect("/") as session:
        session.send_bytes(b"hello")
        assert session.receive_json() == {"type": "bytes", "data": None}


def test_websocket_endpoint_json_text_and_binary(test_client_factory: TestClientFactory) -> None:
    endpoint = make_recorder("json")
    with test_client_factory(endpoint).websocket_connect("/") as session:
        session.send_json({"a": [1, "b"]})
        assert session.receive_json() == {"type": "dict", "data": {"a": [1, "b"]}}
        session.send_json([True], mode="binary")
        assert session.receive_json() == {"type": "list", "data": [True]}


def _send_bad_frame(
    session: WebSocketTestSession, send: Callable[[WebSocketTestSession], None], codes: list[int] | None = None
) -> None:
    """Send one frame and record the close code the app answers with; app errors surface on exit."""
    with session:
        send(session)
        with pytest.raises(WebSocketDisconnect) as info:
            session.receive_text()
        if codes is not None:
            codes.append(info.value.code)


@pytest.mark.parametrize(
    ("encoding", "send", "message"),
    [
        ("text", lambda s: s.send_bytes(b"x"), "Expected text websocket messages, but got bytes"),
        ("bytes", lambda s: s.send_text("x"), "Expected bytes websocket messages, but got text"),
        ("json", lambda s: s.send_text("{not json"), "Malformed JSON data received."),
        ("json", lambda s: s.send_bytes(b"[1,"), "Malformed JSON data received."),
        ("json", lambda s: s.send_bytes(b"\xff\xfe"), "Malformed JSON data received."),
    ],
)
def test_websocket_endpoint_rejects_wrong_data(
    test_client_factory: TestClientFactory,
    encoding: str,
    send: Callable[[WebSocketTestSession], None],
    message: str,
) -> None:
    endpoint = make_recorder(encoding)
    codes: list[int] = []
    with pytest.raises(RuntimeError) as info:
        _send_bad_frame(test_client_factory(endpoint).websocket_connect("/"), send, codes)
    assert str(info.value) == message
    # The client saw a 1003 close before the server-side error surfaced.
    assert codes == [1003]
    assert endpoint.events == ["connect", ("disconnect", 1011)]


def test_websocket_endpoint_unknown_encoding(test_client_factory: TestClientFactory) -> None:
    endpoint = make_recorder("xml")
    with pytest.raises(AssertionError, match="Unsupported 'encoding' attribute xml"):
        _send_bad_frame(test_client_factory(endpoint).websocket_connect("/"), lambda s: s.send_text("x"))


def test_websocket_endpoint_on_connect_can_reject(test_client_factory: TestClientFactory) -> None:
    class Guarded(WebSocketEndpoint):
        async def on_connect(self, websocket: WebSocket) -> None:
            await websocket.close(code=4403, reason="no token")

    with pytest.raises(WebSocketDisconnect) as info, test_client_factory(Guarded).websocket_connect("/"):
        pass  # pragma: no cover
    assert (info.value.code, info.value.reason) == (4403, "no token")


def test_websocket_endpoint_handler_error_reports_1011(test_client_factory: TestClientFactory) -> None:
    class Failing(Recorder):
        events: list[Any] = []

        async def on_receive(self, websocket: WebSocket, data: Any) -> None:
            raise ValueError("bad data")

    with pytest.raises(ValueError, match="bad data"):
        _send_bad_frame(test_client_factory(Failing).websocket_connect("/"), lambda s: s.send_text("x"))
    assert Failing.events == ["connect", ("disconnect", 1011)]


def test_websocket_endpoint_default_hooks(test_client_factory: TestClientFactory) -> None:
    with test_client_factory(WebSocketEndpoint).websocket_connect("/") as session:
        session.send_text("ignored")
        session.send_bytes(b"ignored")
    assert WebSocketEndpoint.encoding is None


def test_endpoint_json_response(test_client_factory: TestClientFactory) -> None:
    class Api(HTTPEndpoint):
        async def get(self, request: Request) -> Response:
            return JSONResponse({"method": request.method, "path": request.url.path})

    response = test_client_factory(Api).get("/items")
    assert response.json() == {"method": "GET", "path": "/items"}


class Item(HTTPEndpoint):
    async def get(self, request: Request) -> Response:
        return JSONResponse({"id": request.path_params["item_id"]})

    async def delete(self, request: Request) -> Response:
        return Response(status_code=204)


class Echo(WebSocketEndpoint):
    encoding = "json"

    async def on_receive(self, websocket: WebSocket, data: Any) -> None:
        await websocket.send_json({"echo": data, "room": websocket.path_params["room"]})


def build_app(**kwargs: Any) -> Application:
    return Application(
        routes=[Route("/items/{item_id:int}", Item), WebSocketRoute("/ws/{room}", Echo)],
        **kwargs,
    )


def test_endpoints_behind_routes(test_client_factory: TestClientFactory) -> None:
    with test_client_factory(build_app()) as client:
        assert client.get("/items/7").json() == {"id": 7}
        assert client.delete("/items/7").status_code == 204
        response = client.put("/items/7")
        assert response.status_code == 405
        assert response.text == "Method Not Allowed"
        assert response.headers["allow"] == "GET, HEAD, DELETE"
        with client.websocket_connect("/ws/lobby") as session:
            session.send_json({"hi": 1})
            assert session.receive_json() == {"echo": {"hi": 1}, "room": "lobby"}


def test_application_exception_handler_sees_405(test_client_factory: TestClientFactory) -> None:
    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code, headers=exc.headers)

    client = test_client_factory(build_app(exception_handlers={405: on_http_error}))
    response = client.post("/items/1")
    assert response.status_code == 405
    assert response.json() == {"error": "Method Not Allowed"}
    assert response.headers["allow"] == "GET, HEAD, DELETE"


def test_query_method_is_dispatched_and_allowed(test_client_factory: TestClientFactory) -> None:
    class Search(HTTPEndpoint):
        async def get(self, request: Request) -> PlainTextResponse:
            return PlainTextResponse("get")  # pragma: no cover - not requested

        async def query(self, request: Request) -> PlainTextResponse:
            return PlainTextResponse("searched " + (await request.body()).decode())

    client = test_client_factory(Application(routes=[Route("/", Search)]))
    response = client.request("QUERY", "/", content=b"term")
    assert response.status_code == 200
    assert response.text == "searched term"
    assert client.delete("/").headers["allow"] == "GET, HEAD, QUERY"


@pytest.mark.anyio
async def test_endpoint_can_send_early_hints() -> None:
    class Page(HTTPEndpoint):
        async def get(self, request: Request) -> PlainTextResponse:
            await request.send_early_hints("</app.css>; rel=preload; as=style")
            return PlainTextResponse("page")

    sent: list[Message] = []

    async def receive() -> Message:  # pragma: no cover - GET without body
        raise AssertionError("not read")

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "headers": [], "extensions": {"http.response.early_hint": {}}}
    await Page(scope, receive, send)
    assert sent[0] == {"type": "http.response.early_hint", "links": [b"</app.css>; rel=preload; as=style"]}
    assert sent[1]["status"] == 200
