"""Request bodies: JSON models, `Body[T]`, forms and uploads, including hostile input (never a 500)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, ConfigDict, Field

from framework.applications import Application
from framework.binding import Body, Form, compile_handler
from framework.datastructures import UploadFile
from framework.requests import Request
from framework.responses import Response
from framework.routing import Route, compile_path
from framework.testclient import TestClient

ClientFactory = Callable[..., TestClient]
JSON = {"content-type": "application/json"}


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    age: int = 0
    score: float = 0.0


class LooseIn(BaseModel):
    name: str


@dataclasses.dataclass
class Point:
    x: int
    y: int


class SignupForm(BaseModel):
    username: str
    roles: list[str] = []
    age: int = 0


class Handlers:
    async def create_user(self, user: UserIn) -> UserIn:
        return user

    async def create_loose(self, user: LooseIn) -> dict[str, Any]:
        return user.model_dump()

    async def add_point(self, point: Point) -> Point:
        return point

    async def sum_numbers(self, numbers: Body[list[int]]) -> dict[str, int]:
        return {"total": sum(numbers)}

    async def optional_body(self, data: Annotated[dict[str, int] | None, Body()] = None) -> dict[str, Any]:
        return {"data": data}

    async def any_json(self, data: Body[Any]) -> dict[str, str]:
        return {"type": type(data).__name__}

    async def signup(self, form: Form[SignupForm]) -> SignupForm:
        return form

    async def login(self, username: Form[str], remember: Form[bool] = False) -> dict[str, Any]:
        return {"username": username, "remember": remember}

    async def upload(self, file: UploadFile, note: Form[str] = "") -> dict[str, Any]:
        content = await file.read()
        return {"filename": file.filename, "size": len(content), "note": note}

    async def upload_many(self, files: list[UploadFile]) -> dict[str, Any]:
        return {"names": [f.filename for f in files]}

    async def optional_upload(self, file: UploadFile | None = None) -> dict[str, Any]:
        return {"has_file": file is not None}


def serve(function: Callable[..., Any], path: str = "/", methods: Sequence[str] = ("POST",)) -> Route:
    _, _, convertors = compile_path(path)
    compiled = compile_handler(
        function,
        where=f"Handlers.{function.__name__}",
        path=path,
        path_param_names=list(convertors),
        status_code=None,
        response_class=None,
    )
    bound = function.__get__(Handlers())

    async def endpoint(request: Request) -> Response:
        return await compiled(bound, request)

    return Route(path, endpoint, methods=list(methods))


@pytest.fixture
def client(test_client_factory: ClientFactory) -> TestClient:
    app = Application(
        routes=[
            serve(Handlers.create_user, "/users"),
            serve(Handlers.create_loose, "/loose"),
            serve(Handlers.add_point, "/points"),
            serve(Handlers.sum_numbers, "/sum"),
            serve(Handlers.optional_body, "/optional"),
            serve(Handlers.any_json, "/any"),
            serve(Handlers.signup, "/signup"),
            serve(Handlers.login, "/login"),
            serve(Handlers.upload, "/upload"),
            serve(Handlers.upload_many, "/upload-many"),
            serve(Handlers.optional_upload, "/optional-upload"),
        ]
    )
    return test_client_factory(app)


def test_model_body(client: TestClient) -> None:
    response = client.post("/users", json={"name": "ann", "age": "42"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"name": "ann", "age": 42, "score": 0.0}


def test_structured_json_media_type_accepted(client: TestClient) -> None:
    response = client.post(
        "/users", content=b'{"name": "ann"}', headers={"content-type": "application/merge-patch+json; charset=utf-8"}
    )
    assert response.status_code == 200


def test_dataclass_and_generic_bodies(client: TestClient) -> None:
    assert client.post("/points", json={"x": 1, "y": "2"}).json() == {"x": 1, "y": 2}
    assert client.post("/sum", json=[1, 2, 3]).json() == {"total": 6}
    assert client.post("/optional").json() == {"data": None}
    assert client.post("/optional", json={"a": 1}).json() == {"data": {"a": 1}}


def test_body_validation_errors_have_body_locations(client: TestClient) -> None:
    response = client.post("/users", json={"name": "", "age": "old"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert [error["loc"] for error in errors] == [["body", "name"], ["body", "age"]]
    assert [error["type"] for error in errors] == ["string_too_short", "int_parsing"]
    assert response.json()["instance"] == "/users"


def test_extra_fields_follow_model_config(client: TestClient) -> None:
    forbidden = client.post("/users", json={"name": "ann", "admin": True})
    assert forbidden.status_code == 422
    assert forbidden.json()["errors"] == [
        {"loc": ["body", "admin"], "msg": "Extra inputs are not permitted", "type": "extra_forbidden"}
    ]
    ignored = client.post("/loose", json={"name": "ann", "admin": True})
    assert ignored.status_code == 200
    assert ignored.json() == {"name": "ann"}


def test_missing_body_is_422(client: TestClient) -> None:
    response = client.post("/users")
    assert response.status_code == 422
    assert response.json()["errors"] == [{"loc": ["body"], "msg": "Field required", "type": "missing"}]


def test_wrong_top_level_type_is_422(client: TestClient) -> None:
    response = client.post("/users", json=[1, 2])
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body"]


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded", "application/jsonx"])
def test_wrong_content_type_is_415(client: TestClient, content_type: str | None) -> None:
    headers = {} if content_type is None else {"content-type": content_type}
    response = client.post("/users", content=b'{"name": "ann"}', headers=headers)
    assert response.status_code == 415
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 415
    assert body["title"] == "Unsupported Media Type"
    assert "application/json" in body["detail"]


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(b'{"name": "ann"', id="truncated"),
        pytest.param(b"{name: 'ann'}", id="not-json"),
        pytest.param(b"\xff\xfe\x00garbage", id="binary"),
        pytest.param(b"[" * 100_000 + b"]" * 100_000, id="nested-100000"),
        pytest.param(b'{"a":' * 100_000 + b"1" + b"}" * 100_000, id="nested-objects"),
        pytest.param(b'{"name": "ann", "age": ' + b"1" * 1_000_000 + b"}", id="million-digit-int"),
        pytest.param(b'{"name": "ann", "score": NaN}', id="nan"),
        pytest.param(b'{"name": "ann", "score": Infinity}', id="infinity"),
        pytest.param(b'{"name": "ann", "score": -Infinity}', id="minus-infinity"),
        pytest.param(b'{"name": "ann", "age": NaN}', id="nan-int-field"),
    ],
)
def test_hostile_json_is_400_problem(client: TestClient, payload: bytes) -> None:
    response = client.post("/users", content=payload, headers=JSON)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 400
    assert body["detail"].startswith("The request body is not valid JSON")
    assert body["errors"][0]["loc"] == ["body"]
    assert body["errors"][0]["type"] == "json_invalid"


@pytest.mark.parametrize(
    "payload", [b"[" * 100_000 + b"]" * 100_000, b"1" * 1_000_000, b"NaN", b'{"a": [Infinity]}'], ids=str
)
def test_hostile_json_for_untyped_body(client: TestClient, payload: bytes) -> None:
    response = client.post("/any", content=payload[:2_000_000], headers=JSON)
    assert response.status_code == 400


def test_nan_inside_a_string_is_fine(client: TestClient) -> None:
    response = client.post("/users", json={"name": "NaN Infinity", "score": "1.5"})
    assert response.status_code == 200
    assert response.json()["name"] == "NaN Infinity"


def test_form_model(client: TestClient) -> None:
    response = client.post("/signup", data={"username": "ann", "roles": ["admin", "dev"], "age": "30"})
    assert response.status_code == 200
    assert response.json() == {"username": "ann", "roles": ["admin", "dev"], "age": 30}
    invalid = client.post("/signup", data={"age": "x"})
    assert invalid.status_code == 422
    assert [error["loc"] for error in invalid.json()["errors"]] == [["form", "username"], ["form", "age"]]


def test_form_fields(client: TestClient) -> None:
    assert client.post("/login", data={"username": "ann", "remember": "on"}).json() == {
        "username": "ann",
        "remember": True,
    }
    assert client.post("/login", data={"username": "bob"}).json() == {"username": "bob", "remember": False}
    missing = client.post("/login", data={})
    assert missing.status_code == 422
    assert missing.json()["errors"] == [{"loc": ["form", "username"], "msg": "Field required", "type": "missing"}]


def test_form_wrong_content_type_is_415(client: TestClient) -> None:
    response = client.post("/login", json={"username": "ann"})
    assert response.status_code == 415
    assert response.headers["content-type"] == "application/problem+json"


def test_upload_file(client: TestClient) -> None:
    response = client.post("/upload", files={"file": ("a.txt", b"hello")}, data={"note": "hi"})
    assert response.status_code == 200
    assert response.json() == {"filename": "a.txt", "size": 5, "note": "hi"}
    many = client.post("/upload-many", files=[("files", ("a.txt", b"1")), ("files", ("b.txt", b"2"))])
    assert many.json() == {"names": ["a.txt", "b.txt"]}
    assert client.post("/optional-upload", data={"x": "1"}).json() == {"has_file": False}


def test_upload_errors(client: TestClient) -> None:
    missing = client.post("/upload", data={"note": "no file"})
    assert missing.status_code == 422
    assert missing.json()["errors"] == [{"loc": ["form", "file"], "msg": "Field required", "type": "missing"}]
    not_a_file = client.post("/upload", data={"file": "just text"})
    assert not_a_file.status_code == 422
    assert not_a_file.json()["errors"][0]["loc"] == ["form", "file"]


def test_malformed_multipart_is_400(client: TestClient) -> None:
    response = client.post(
        "/upload",
        content=b"--xyz\r\nContent-Type: text/plain\r\n\r\ndata\r\n--xyz--\r\n",
        headers={"content-type": "multipart/form-data; boundary=xyz"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


def test_too_many_form_fields_is_400_problem(client: TestClient) -> None:
    payload = "&".join(f"f{i}=x" for i in range(1_500)) + "&username=ann"
    response = client.post(
        "/login", content=payload.encode(), headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 400
