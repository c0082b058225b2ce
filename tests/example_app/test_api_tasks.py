"""The tasks API over HTTP, on a transactional test database: rules, filters, ordering, paging."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.example_app.conftest import sign_up

pytestmark = pytest.mark.anyio


async def _project(api: httpx.AsyncClient, name: str = "Board") -> int:
    response = await api.post("/api/projects", json={"name": name})
    assert response.status_code == 201
    project_id: int = response.json()["id"]
    return project_id


async def _task(api: httpx.AsyncClient, project_id: int, **fields: Any) -> dict[str, Any]:
    response = await api.post(f"/api/projects/{project_id}/tasks", json=fields)
    assert response.status_code == 201, response.text
    task: dict[str, Any] = response.json()
    return task


async def test_create_and_read_a_task(api: httpx.AsyncClient) -> None:
    await sign_up(api)
    project_id = await _project(api)
    task = await _task(api, project_id, title="Write docs", description="Tutorial first")
    assert (task["project_id"], task["title"], task["status"]) == (project_id, "Write docs", "todo")
    fetched = await api.get(f"/api/projects/{project_id}/tasks/{task['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == task


async def test_titles_are_unique_per_project(api: httpx.AsyncClient) -> None:
    await sign_up(api)
    first, second = await _project(api, "One"), await _project(api, "Two")
    await _task(api, first, title="Deploy")
    duplicate = await api.post(f"/api/projects/{first}/tasks", json={"title": " Deploy "})
    assert duplicate.status_code == 409
    assert duplicate.headers["content-type"] == "application/problem+json"
    assert duplicate.json()["code"] == "duplicate_task_title"
    assert duplicate.json()["detail"] == "This project already has a task titled 'Deploy'; choose another title."
    assert (await api.get(f"/api/projects/{first}/tasks")).json()["total"] == 1
    await _task(api, second, title="Deploy")  # another project may reuse it


async def test_renaming_onto_an_existing_title_is_a_conflict(api: httpx.AsyncClient) -> None:
    await sign_up(api)
    project_id = await _project(api)
    await _task(api, project_id, title="A")
    b = await _task(api, project_id, title="B")
    response = await api.patch(f"/api/projects/{project_id}/tasks/{b['id']}", json={"title": "A", "status": "done"})
    assert response.status_code == 409
    unchanged = (await api.get(f"/api/projects/{project_id}/tasks/{b['id']}")).json()
    assert (unchanged["title"], unchanged["status"]) == ("B", "todo")  # nothing half-written


async def test_update_moves_a_task_and_bumps_updated_at(api: httpx.AsyncClient) -> None:
    await sign_up(api)
    project_id = await _project(api)
    task = await _task(api, project_id, title="Move me")
    moved = await api.patch(f"/api/projects/{project_id}/tasks/{task['id']}", json={"status": "doing"})
    assert moved.status_code == 200
    assert moved.json()["status"] == "doing"
    assert moved.json()["title"] == "Move me"
    assert moved.json()["updated_at"] > task["updated_at"]


async def test_filter_by_status_order_and_paginate(api: httpx.AsyncClient) -> None:
    await sign_up(api)
    project_id = await _project(api)
    for title, status in [("c", "todo"), ("a", "done"), ("b", "todo"), ("d", "doing")]:
        await _task(api, project_id, title=title, status=status)
    url = f"/api/projects/{project_id}/tasks"

    todo = (await api.get(url, params={"status": "todo", "order": "title"})).json()
    assert [t["title"] for t in todo["items"]] == ["b", "c"]
    assert todo["total"] == 2

    by_title_desc = (await api.get(url, params={"order": "-title", "limit": 3})).json()
    assert [t["title"] for t in by_title_desc["items"]] == ["d", "c", "b"]
    assert by_title_desc["total"] == 4

    second_page = (await api.get(url, params={"order": "title", "limit": 3, "offset": 3})).json()
    assert [t["title"] for t in second_page["items"]] == ["d"]


async def test_unknown_status_filter_is_422(api: httpx.AsyncClient) -> None:
    await sign_up(api)
    project_id = await _project(api)
    response = await api.get(f"/api/projects/{project_id}/tasks", params={"status": "blocked"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "status"]


async def test_task_of_another_project_is_not_found(api: httpx.AsyncClient) -> None:
    await sign_up(api)
    first, second = await _project(api, "One"), await _project(api, "Two")
    task = await _task(api, first, title="Only here")
    response = await api.get(f"/api/projects/{second}/tasks/{task['id']}")
    assert response.status_code == 404
    assert response.json()["detail"] == f"Task {task['id']} does not exist in project {second}."
    assert (await api.delete(f"/api/projects/{second}/tasks/{task['id']}")).status_code == 404
    assert (await api.get(f"/api/projects/{first}/tasks/{task['id']}")).status_code == 200


async def test_delete_task(api: httpx.AsyncClient) -> None:
    await sign_up(api)
    project_id = await _project(api)
    task = await _task(api, project_id, title="Done with")
    response = await api.delete(f"/api/projects/{project_id}/tasks/{task['id']}")
    assert response.status_code == 204
    assert (await api.get(f"/api/projects/{project_id}/tasks/{task['id']}")).status_code == 404
