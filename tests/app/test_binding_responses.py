"""Rendering of handler results and of exceptions raised by handlers."""

from __future__ import annotations

import dataclasses
import datetime
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict

from framework.applications import Application
from framework.background import BackgroundTask, BackgroundTasks
from framework.binding import RawJSONResponse, compile_handler
from framework.exceptions import HTTPException
from framework.problems import Conflict, NotFound, Unauthorized
from framework.requests import Request
from framework.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from framework.routing import Route, compile_path
from framework.testclient import TestClient

ClientFactory = Callable[..., TestClient]
EVENTS: list[str] = []


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str


class AdminOut(UserOut):
    password_hash: str


class UserRow:
    """Stands in for an ORM object: attributes, including some that must never be serialized."""

    def __init__(self, id: int, name: str) -> None:
        self.id = id
        self.name = name
        self.password_hash = "secret"


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Handlers:
    async def model(self) -> UserOut:
        return UserOut(id=1, name="ann")

    async def orm_object(self) -> UserOut:
        return UserRow(2, "bob")  # type: ignore[return-value]

    async def subclass_filtered(self) -> UserOut:
        return AdminOut(id=3, name="cy", password_hash="secret")

    async def orm_list(self) -> list[UserOut]:
        return [UserRow(1, "a"), UserRow(2, "b")]  # type: ignore[list-item]

    async def dataclass_result(self) -> Point:
        return Point(1, 2)

    async def untyped(self):
        return {"when": datetime.date(2024, 1, 2), "id": uuid.UUID(int=1), "point": Point(3, 4)}

    async def list_result(self) -> list[int]:
        return [1, 2, 3]

    async def nothing(self) -> None:
        return None

    async def custom_response(self) -> Response:
        return PlainTextResponse("raw", status_code=418, headers={"x-custom": "1"})

    async def html(self) -> str:
        return "<h1>hi</h1>"

    async def toolkit_json(self) -> UserOut:
        return UserOut(id=5, name="e")

    async def tasks(self, tasks: BackgroundTasks) -> dict[str, bool]:
        tasks.add_task(EVENTS.append, "handler task")
        return {"queued": True}

    async def tasks_and_response_background(self, tasks: BackgroundTasks) -> Response:
        tasks.add_task(EVENTS.append, "handler task")
        return Response("x", background=BackgroundTask(EVENTS.append, "response task"))

    async def not_found(self) -> dict[str, Any]:
        raise NotFound("User 42 does not exist.", code="user_missing")

    async def conflict(self) -> dict[str, Any]:
        raise Conflict("Name taken.", title="Duplicate user", name="ann")

    async def unauthorized(self) -> dict[str, Any]:
        raise Unauthorized("Log in first.", headers={"WWW-Authenticate": "Bearer"})

    async def http_error(self) -> dict[str, Any]:
        raise HTTPException(status_code=429, detail="Slow down.", headers={"Retry-After": "5"})

    def sync_error(self) -> dict[str, Any]:
        raise NotFound("Sync handlers too.")

    async def bad_return(self) -> UserOut:
        return {"id": "not-a-number"}  # type: ignore[return-value]


def serve(function: Callable[..., Any], path: str, methods: Sequence[str] = ("GET",), **options: Any) -> Route:
    _, _, convertors = compile_path(path)
    compiled = compile_handler(
        function,
        where=f"Handlers.{function.__name__}",
        path=path,
        path_param_names=list(convertors),
        status_code=options.get("status_code"),
        response_class=options.get("response_class"),
    )
    bound = function.__get__(Handlers())

    async def endpoint(request: Request) -> Response:
        return await compiled(bound, request)

    return Route(path, endpoint, methods=list(methods))


@pytest.fixture
def client(test_client_factory: ClientFactory) -> TestClient:
    app = Application(
        routes=[
            serve(Handlers.model, "/model"),
            serve(Handlers.model, "/created", ["POST"], status_code=201),
            serve(Handlers.orm_object, "/orm"),
            serve(Handlers.subclass_filtered, "/filtered"),
            serve(Handlers.orm_list, "/orm-list"),
            serve(Handlers.dataclass_result, "/dataclass"),
            serve(Handlers.untyped, "/untyped"),
            serve(Handlers.list_result, "/list"),
            serve(Handlers.nothing, "/nothing"),
            serve(Handlers.nothing, "/accepted", ["POST"], status_code=202),
            serve(Handlers.custom_response, "/custom"),
            serve(Handlers.html, "/html", response_class=HTMLResponse),
            serve(Handlers.toolkit_json, "/toolkit-json", response_class=JSONResponse),
            serve(Handlers.tasks, "/tasks"),
            serve(Handlers.tasks_and_response_background, "/both-tasks"),
            serve(Handlers.not_found, "/not-found"),
            serve(Handlers.conflict, "/conflict"),
            serve(Handlers.unauthorized, "/unauthorized"),
            serve(Handlers.http_error, "/http-error"),
            serve(Handlers.sync_error, "/sync-error"),
            serve(Handlers.bad_return, "/bad-return"),
        ]
    )
    return test_client_factory(app, raise_server_exceptions=False)


def test_model_result_is_json(client: TestClient) -> None:
    response = client.get("/model")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-length"] == str(len(response.content))
    assert response.content == b'{"id":1,"name":"ann"}'


def test_decorator_status_code(client: TestClient) -> None:
    assert client.post("/created").status_code == 201


def test_return_annotation_drives_serialization(client: TestClient) -> None:
    assert client.get("/orm").json() == {"id": 2, "name": "bob"}
    assert client.get("/filtered").json() == {"id": 3, "name": "cy"}
    assert client.get("/orm-list").json() == [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]


def test_dataclass_untyped_and_list_results(client: TestClient) -> None:
    assert client.get("/dataclass").json() == {"x": 1, "y": 2}
    assert client.get("/untyped").json() == {
        "when": "2024-01-02",
        "id": "00000000-0000-0000-0000-000000000001",
        "point": {"x": 3, "y": 4},
    }
    assert client.get("/list").json() == [1, 2, 3]


def test_none_is_204_unless_status_given(client: TestClient) -> None:
    response = client.get("/nothing")
    assert response.status_code == 204
    assert response.content == b""
    assert "content-length" not in response.headers
    accepted = client.post("/accepted")
    assert accepted.status_code == 202
    assert accepted.content == b""


def test_response_passes_through(client: TestClient) -> None:
    response = client.get("/custom")
    assert response.status_code == 418
    assert response.text == "raw"
    assert response.headers["x-custom"] == "1"


def test_response_class_from_decorator(client: TestClient) -> None:
    html = client.get("/html")
    assert html.headers["content-type"] == "text/html; charset=utf-8"
    assert html.text == "<h1>hi</h1>"
    toolkit = client.get("/toolkit-json")
    assert toolkit.headers["content-type"] == "application/json"
    assert toolkit.json() == {"id": 5, "name": "e"}


def test_background_tasks_run_after_response(client: TestClient) -> None:
    EVENTS.clear()
    assert client.get("/tasks").json() == {"queued": True}
    assert EVENTS == ["handler task"]
    EVENTS.clear()
    assert client.get("/both-tasks").text == "x"
    assert EVENTS == ["response task", "handler task"]


def test_domain_errors_become_problems(client: TestClient) -> None:
    response = client.get("/not-found")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "User 42 does not exist.",
        "instance": "/not-found",
        "code": "user_missing",
    }
    conflict = client.get("/conflict").json()
    assert (conflict["status"], conflict["title"], conflict["name"]) == (409, "Duplicate user", "ann")
    unauthorized = client.get("/unauthorized")
    assert unauthorized.status_code == 401
    assert unauthorized.headers["www-authenticate"] == "Bearer"
    assert client.get("/sync-error").json()["detail"] == "Sync handlers too."


def test_http_exception_becomes_problem_with_headers(client: TestClient) -> None:
    response = client.get("/http-error")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "5"
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank",
        "title": "Too Many Requests",
        "status": 429,
        "detail": "Slow down.",
        "instance": "/http-error",
    }


def test_result_not_matching_annotation_is_server_error(client: TestClient) -> None:
    # A handler that breaks its own contract is a bug on the server: 500, not a 2xx with wrong data.
    assert client.get("/bad-return").status_code == 500


def test_raw_json_response() -> None:
    response = RawJSONResponse(b'{"a":1}', status_code=201, headers={"x-a": "b"})
    assert response.body == b'{"a":1}'
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-length"] == "7"
    assert response.headers["x-a"] == "b"
    assert RawJSONResponse(b"[]").headers["content-length"] == "2"
    not_modified = RawJSONResponse(b"", status_code=304)
    assert "content-length" not in not_modified.headers
    assert not_modified.headers["content-type"] == "application/json"
    with pytest.raises(TypeError, match="encoded JSON bytes"):
        RawJSONResponse({"a": 1})  # type: ignore[arg-type]
