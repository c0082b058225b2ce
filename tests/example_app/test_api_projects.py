"""The projects API over HTTP, on a transactional test database."""

from __future__ import annotations

import httpx
import pytest

from tests.example_app.conftest import sign_up

pytestmark = pytest.mark.anyio


async def test_create_then_read_a_project(api: httpx.AsyncClient) -> None:
    alice = await sign_up(api)
    created = await api.post("/api/projects", json={"name": "  Launch  ", "description": "Ship v1"})
    assert created.status_code == 201
    assert created.headers["content-type"] == "application/json"
    body = created.json()
    assert body["name"] == "Launch"  # surrounding whitespace is stripped
    assert body["owner_id"] == alice["id"]
    assert body["created_at"].endswith("Z")

    fetched = await api.get(f"/api/projects/{body['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == body


async def test_list_projects_paginates_and_orders(api: httpx.AsyncClient) -> None:
    await sign_up(api)
    for name in ("Charlie", "alpha", "Bravo"):
        assert (await api.post("/api/projects", json={"name": name})).status_code == 201

    page = (await api.get("/api/projects", params={"order": "name", "limit": 2})).json()
    assert [p["name"] for p in page["items"]] == ["Bravo", "Charlie"]  # binary collation: capitals first
    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 0)

    rest = (await api.get("/api/projects", params={"order": "name", "limit": 2, "offset": 2})).json()
    assert [p["name"] for p in rest["items"]] == ["alpha"]

    newest_first = (await api.get("/api/projects")).json()
    assert [p["name"] for p in newest_first["items"]] == ["Bravo", "alpha", "Charlie"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"offset": -1}, "offset"),
        ({"limit": "ten"}, "limit"),
        ({"order": "password_hash"}, "order"),
        ({"order": "name; DROP TABLE projects"}, "order"),
    ],
)
async def test_list_projects_rejects_bad_paging_and_ordering(
    api: httpx.AsyncClient, params: dict[str, str | int], field: str
) -> None:
    await sign_up(api)
    response = await api.get("/api/projects", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [error["loc"] for error in response.json()["errors"]] == [["query", field]]


async def test_update_project_changes_only_sent_fields(api: httpx.AsyncClient) -> None:
    await sign_up(api)
    project = (await api.post("/api/projects", json={"name": "Old", "description": "Keep me"})).json()
    response = await api.patch(f"/api/projects/{project['id']}", json={"name": "New"})
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["description"]) == ("New", "Keep me")


async def test_projects_of_other_users_are_not_found(api: httpx.AsyncClient) -> None:
    await sign_up(api, "alice")
    project = (await api.post("/api/projects", json={"name": "Private"})).json()
    await api.post("/api/auth/logout")
    await sign_up(api, "mallory")

    for method, path, payload in [
        ("GET", f"/api/projects/{project['id']}", None),
        ("PATCH", f"/api/projects/{project['id']}", {"name": "Mine now"}),
        ("DELETE", f"/api/projects/{project['id']}", None),
        ("GET", f"/api/projects/{project['id']}/tasks", None),
        ("POST", f"/api/projects/{project['id']}/tasks", {"title": "Sneaky"}),
        ("POST", f"/api/projects/{project['id']}/members", {"username": "mallory"}),
    ]:
        response = await api.request(method, path, json=payload)
        assert response.status_code == 404, (method, path)
        assert response.json()["code"] == "project_not_found"
        assert response.json()["detail"] == f"Project {project['id']} does not exist or you are not a member of it."
    assert (await api.get("/api/projects")).json()["total"] == 0

    await api.post("/api/auth/logout")
    await api.post("/api/auth/login", json={"username": "alice", "password": "correct horse battery"})
    unchanged = (await api.get(f"/api/projects/{project['id']}")).json()
    assert unchanged["name"] == "Private"
    assert (await api.get(f"/api/projects/{project['id']}/tasks")).json()["total"] == 0


async def test_members_see_a_project_but_only_the_owner_deletes_it(api: httpx.AsyncClient) -> None:
    await sign_up(api, "bob")
    await api.post("/api/auth/logout")
    await sign_up(api, "alice")
    project = (await api.post("/api/projects", json={"name": "Shared"})).json()
    added = await api.post(f"/api/projects/{project['id']}/members", json={"username": "bob"})
    assert added.status_code == 201
    assert added.json()["username"] == "bob"
    members = (await api.get(f"/api/projects/{project['id']}/members")).json()
    assert [m["username"] for m in members] == ["bob"]

    await api.post("/api/auth/logout")
    await api.post("/api/auth/login", json={"username": "bob", "password": "correct horse battery"})
    assert (await api.get(f"/api/projects/{project['id']}")).status_code == 200
    assert (await api.post(f"/api/projects/{project['id']}/tasks", json={"title": "Bob's"})).status_code == 201
    refused = await api.delete(f"/api/projects/{project['id']}")
    assert refused.status_code == 403
    assert refused.json()["code"] == "not_project_owner"
    assert refused.json()["detail"] == f"Only the owner of project {project['id']} may delete it."
    adding = await api.post(f"/api/projects/{project['id']}/members", json={"username": "bob"})
    assert adding.status_code == 403


async def test_adding_an_unknown_member_is_404(api: httpx.AsyncClient) -> None:
    await sign_up(api)
    project = (await api.post("/api/projects", json={"name": "P"})).json()
    response = await api.post(f"/api/projects/{project['id']}/members", json={"username": "nobody"})
    assert response.status_code == 404
    assert response.json()["detail"] == "No user is called 'nobody'."


async def test_owner_deletes_project_and_its_tasks(api: httpx.AsyncClient) -> None:
    await sign_up(api)
    project = (await api.post("/api/projects", json={"name": "Doomed"})).json()
    task = (await api.post(f"/api/projects/{project['id']}/tasks", json={"title": "T"})).json()
    deleted = await api.delete(f"/api/projects/{project['id']}")
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert (await api.get(f"/api/projects/{project['id']}")).status_code == 404
    assert (await api.get(f"/api/projects/{project['id']}/tasks/{task['id']}")).status_code == 404


async def test_api_requires_sign_in(api: httpx.AsyncClient) -> None:
    for method, path in [
        ("GET", "/api/projects"),
        ("POST", "/api/projects"),
        ("GET", "/api/projects/1"),
        ("DELETE", "/api/projects/1/tasks/1"),
    ]:
        response = await api.request(method, path, json={"name": "x"} if method == "POST" else None)
        assert response.status_code == 401, path
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "sign_in_required"
