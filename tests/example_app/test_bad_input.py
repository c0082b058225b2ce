"""Hostile and broken input through every public route: a clear 4xx, never a 500, nothing half-written."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.example_app.conftest import sign_up

pytestmark = pytest.mark.anyio

MALFORMED_BODIES = [
    b'{"name": "unterminated',
    b"[1, 2,",
    b"\xff\xfe not utf-8",
    b'{"name": NaN}',
    b"[" * 100_000 + b"]" * 100_000,
    b'{"name": ' + b"9" * 100_000 + b"}",
]


async def _setup(api: httpx.AsyncClient) -> tuple[int, int]:
    await sign_up(api)
    project_id = (await api.post("/api/projects", json={"name": "Board"})).json()["id"]
    task_id = (await api.post(f"/api/projects/{project_id}/tasks", json={"title": "Task"})).json()["id"]
    return project_id, task_id


def _json_routes(project_id: int, task_id: int) -> list[tuple[str, str]]:
    return [
        ("POST", "/api/auth/signup"),
        ("POST", "/api/auth/login"),
        ("POST", "/api/projects"),
        ("PATCH", f"/api/projects/{project_id}"),
        ("POST", f"/api/projects/{project_id}/members"),
        ("POST", f"/api/projects/{project_id}/tasks"),
        ("PATCH", f"/api/projects/{project_id}/tasks/{task_id}"),
    ]


async def _snapshot(api: httpx.AsyncClient, project_id: int) -> Any:
    projects = (await api.get("/api/projects")).json()
    tasks = (await api.get(f"/api/projects/{project_id}/tasks")).json()
    members = (await api.get(f"/api/projects/{project_id}/members")).json()
    return projects, tasks, members


@pytest.mark.parametrize("body", MALFORMED_BODIES, ids=["truncated", "array", "bytes", "nan", "deep", "huge-int"])
async def test_malformed_json_is_400_everywhere(api: httpx.AsyncClient, body: bytes) -> None:
    project_id, task_id = await _setup(api)
    before = await _snapshot(api, project_id)
    for method, path in _json_routes(project_id, task_id):
        response = await api.request(method, path, content=body, headers={"content-type": "application/json"})
        assert response.status_code in (400, 422), (method, path, response.status_code)
        assert response.headers["content-type"] == "application/problem+json"
    assert await _snapshot(api, project_id) == before


async def test_wrong_content_type_is_415(api: httpx.AsyncClient) -> None:
    project_id, task_id = await _setup(api)
    for method, path in _json_routes(project_id, task_id):
        response = await api.request(method, path, content=b"name=x", headers={"content-type": "text/plain"})
        assert response.status_code == 415, (method, path)


@pytest.mark.parametrize(
    ("route", "payload", "loc"),
    [
        ("signup", {"username": "ab", "password": "long enough"}, ["body", "username"]),
        ("signup", {"username": "x" * 41, "password": "long enough"}, ["body", "username"]),
        ("signup", {"username": "<script>", "password": "long enough"}, ["body", "username"]),
        ("signup", {"username": "carol", "password": "short"}, ["body", "password"]),
        ("signup", {"username": "carol", "password": "p" * 129}, ["body", "password"]),
        ("signup", {"username": "carol", "password": "long enough", "admin": True}, ["body", "admin"]),
        ("project", {"name": ""}, ["body", "name"]),
        ("project", {"name": "   "}, ["body", "name"]),
        ("project", {"name": "n" * 101}, ["body", "name"]),
        ("project", {"name": 42}, ["body", "name"]),
        ("project", {"name": ["list"]}, ["body", "name"]),
        ("project", {"name": "ok", "description": "d" * 2001}, ["body", "description"]),
        ("project", {"name": "nul\x00byte"}, ["body", "name"]),
        ("project", {"name": "ok", "owner_id": 999}, ["body", "owner_id"]),
        ("project-patch", {"name": None, "nmae": "typo"}, ["body", "nmae"]),
        ("task", {"title": "t" * 201}, ["body", "title"]),
        ("task", {"title": "ok", "status": "blocked"}, ["body", "status"]),
        ("task", {"title": "ok", "project_id": 1}, ["body", "project_id"]),
        ("task", {"title": {"nested": "object"}}, ["body", "title"]),
        ("task-patch", {"status": 3}, ["body", "status"]),
        ("member", {"username": 7}, ["body", "username"]),
    ],
)
async def test_invalid_fields_are_422_with_their_location(
    api: httpx.AsyncClient, route: str, payload: dict[str, Any], loc: list[str]
) -> None:
    project_id, task_id = await _setup(api)
    before = await _snapshot(api, project_id)
    method, path = {
        "signup": ("POST", "/api/auth/signup"),
        "project": ("POST", "/api/projects"),
        "project-patch": ("PATCH", f"/api/projects/{project_id}"),
        "task": ("POST", f"/api/projects/{project_id}/tasks"),
        "task-patch": ("PATCH", f"/api/projects/{project_id}/tasks/{task_id}"),
        "member": ("POST", f"/api/projects/{project_id}/members"),
    }[route]
    response = await api.request(method, path, json=payload)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert loc in [error["loc"] for error in response.json()["errors"]]
    assert await _snapshot(api, project_id) == before


@pytest.mark.parametrize("bad_id", ["0", "2147483648", "99999999999999999999999"])
async def test_out_of_range_ids_are_422_not_500(api: httpx.AsyncClient, bad_id: str) -> None:
    project_id, _ = await _setup(api)
    for path in [
        f"/api/projects/{bad_id}",
        f"/api/projects/{bad_id}/tasks",
        f"/api/projects/{project_id}/tasks/{bad_id}",
        f"/projects/{bad_id}",
    ]:
        response = await api.get(path)
        assert response.status_code == 422, (path, response.status_code)


async def test_non_numeric_ids_do_not_match_a_route(api: httpx.AsyncClient) -> None:
    await _setup(api)
    for path in ["/api/projects/abc", "/api/projects/1.5/tasks", "/api/projects/-1", "/projects/..%2Fetc"]:
        assert (await api.get(path)).status_code == 404, path


async def test_unknown_verb_is_405_with_allow(api: httpx.AsyncClient) -> None:
    project_id, _ = await _setup(api)
    response = await api.put(f"/api/projects/{project_id}", json={"name": "x"})
    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) >= {"GET", "PATCH", "DELETE"}


async def test_wrong_password_and_unknown_user_look_the_same(api: httpx.AsyncClient) -> None:
    await _setup(api)
    await api.post("/api/auth/logout")
    wrong = await api.post("/api/auth/login", json={"username": "alice", "password": "not the password"})
    unknown = await api.post("/api/auth/login", json={"username": "nobody", "password": "not the password"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == {**unknown.json()}
    assert wrong.json()["detail"] == "The username or password is incorrect."
    assert "set-cookie" not in wrong.headers


async def test_duplicate_username_is_409(api: httpx.AsyncClient) -> None:
    await sign_up(api, "alice")
    response = await api.post("/api/auth/signup", json={"username": "alice", "password": "another password"})
    assert response.status_code == 409
    assert response.json()["code"] == "username_taken"
