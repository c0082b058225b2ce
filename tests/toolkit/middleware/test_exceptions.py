from __future__ import annotations

from collections.abc import Callable

import pytest

from framework.exceptions import HTTPException, WebSocketException
from framework.middleware.exceptions import ExceptionMiddleware
from framework.requests import Request
from framework.responses import JSONResponse, PlainTextResponse, Response
from framework.routing import Route, Router, WebSocketRoute
from framework.testclient import TestClient
from framework.types import Receive, Scope, Send
from framework.websockets import WebSocket, WebSocketDisconnect

TestClientFactory = Callable[..., TestClient]


def raiser(status_code: int, **kwargs: object) -> Callable[[Request], Response]:
    def endpoint(request: Request) -> Response:
        raise HTTPException(status_code=status_code, **kwargs)  # type: ignore[arg-type]

    return endpoint


class BadBody(HTTPException):
    pass


async def read_body_then_fail(request: Request) -> Response:
    await request.body()
    raise BadBody(422)


async def handler_reading_body(request: Request, exc: Exception) -> Response:
    body = await request.body()
    return JSONResponse({"body": body.decode()}, status_code=422)


class StartedThenFailed:
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await PlainTextResponse("OK")(scope, receive, send)
        raise HTTPException(status_code=406)


async def websocket_closes_via_exception(session: WebSocket) -> None:
    await session.accept()
    raise WebSocketException(code=1008, reason="policy")


router = Router(
    [
        Route("/not-acceptable", raiser(406)),
        Route("/no-content", raiser(204)),
        Route("/not-modified", raiser(304)),
        Route("/with-headers", raiser(200, headers={"x-potato": "always"})),
        Route("/detail", raiser(400, detail="Bad thing")),
        Route("/body", read_body_then_fail, methods=["POST"]),
        Route("/started", StartedThenFailed()),
        WebSocketRoute("/ws", websocket_closes_via_exception),
    ]
)
app = ExceptionMiddleware(router, handlers={BadBody: handler_reading_body})


def test_http_exception_default_responses(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(app)
    response = client.get("/not-acceptable")
    assert response.status_code == 406
    assert response.text == "Not Acceptable"

    response = client.get("/detail")
    assert response.status_code == 400
    assert response.text == "Bad thing"

    response = client.get("/with-headers")
    assert response.status_code == 200
    assert response.headers["x-potato"] == "always"


@pytest.mark.parametrize(("path", "status"), [("/no-content", 204), ("/not-modified", 304)])
def test_bodyless_statuses_have_no_body(test_client_factory: TestClientFactory, path: str, status: int) -> None:
    response = test_client_factory(app).get(path)
    assert response.status_code == status
    assert response.content == b""
    assert "content-length" not in response.headers


def test_not_found_and_method_not_allowed_inside_exception_middleware(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(app)
    response = client.get("/missing")
    assert response.status_code == 404
    assert response.text == "Not Found"


def test_handler_gets_the_same_request_object(test_client_factory: TestClientFactory) -> None:
    response = test_client_factory(app).post("/body", content=b"Hello!")
    assert response.status_code == 422
    assert response.json() == {"body": "Hello!"}


def test_handled_exception_after_response_started(test_client_factory: TestClientFactory) -> None:
    with pytest.raises(RuntimeError, match=r"Caught handled exception, but response already started\."):
        test_client_factory(app).get("/started")
    response = test_client_factory(app, raise_server_exceptions=False).get("/started")
    assert response.status_code == 200
    assert response.text == "OK"


def test_websocket_exception_closes_connection(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(app)
    with client.websocket_connect("/ws") as session, pytest.raises(WebSocketDisconnect) as info:
        session.receive_text()
    assert info.value.code == 1008
    assert info.value.reason == "policy"


def test_unhandled_exceptions_propagate(test_client_factory: TestClientFactory) -> None:
    async def crash(scope: Scope, receive: Receive, send: Send) -> None:
        raise KeyError("x")

    with pytest.raises(KeyError):
        test_client_factory(ExceptionMiddleware(crash)).get("/")


def test_status_handlers_take_precedence_over_class_handlers(test_client_factory: TestClientFactory) -> None:
    async def by_status(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("by status", status_code=406)

    async def by_class(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("by class", status_code=406)  # pragma: no cover

    middleware = ExceptionMiddleware(router, handlers={HTTPException: by_class, 406: by_status})
    assert test_client_factory(middleware).get("/not-acceptable").text == "by status"


def test_handlers_are_found_along_the_mro(test_client_factory: TestClientFactory) -> None:
    class Base(Exception):
        pass

    class Child(Base):
        pass

    async def endpoint(request: Request) -> Response:
        raise Child("child")

    async def on_base(request: Request, exc: Exception) -> Response:
        return PlainTextResponse(f"handled {type(exc).__name__}", status_code=409)

    middleware = ExceptionMiddleware(Router([Route("/", endpoint)]))
    middleware.add_exception_handler(Base, on_base)
    response = test_client_factory(middleware).get("/")
    assert response.status_code == 409
    assert response.text == "handled Child"


def test_add_exception_handler_rejects_other_keys() -> None:
    with pytest.raises(TypeError, match="status code or an Exception subclass"):
        ExceptionMiddleware(router).add_exception_handler("404", handler_reading_body)  # type: ignore[arg-type]


def test_lifespan_passes_through(test_client_factory: TestClientFactory) -> None:
    with test_client_factory(app) as client:
        assert client.get("/not-acceptable").status_code == 406
