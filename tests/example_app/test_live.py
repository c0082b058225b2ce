"""The live board: task changes reach the project's WebSocket watchers once committed, and only them."""

from __future__ import annotations

import pytest

from framework.testclient import TestClient
from framework.websockets import WebSocketDisconnect
from tests.example_app.conftest import PASSWORD


def _sign_up_with_project(client: TestClient, username: str = "alice") -> int:
    assert client.post("/api/auth/signup", json={"username": username, "password": PASSWORD}).status_code == 201
    project_id: int = client.post("/api/projects", json={"name": "Live"}).json()["id"]
    return project_id


def test_watchers_receive_created_updated_and_deleted_tasks(client: TestClient) -> None:
    project_id = _sign_up_with_project(client)
    tasks_url = f"/api/projects/{project_id}/tasks"
    with (
        client.websocket_connect(f"/ws/projects/{project_id}") as first,
        client.websocket_connect(f"/ws/projects/{project_id}") as second,
    ):
        task = client.post(tasks_url, json={"title": "Live card"}).json()
        for watcher in (first, second):
            event = watcher.receive_json()
            assert event == {"type": "task.created", "project_id": project_id, "task_id": task["id"], "task": task}

        client.patch(f"{tasks_url}/{task['id']}", json={"status": "done"})
        updated = first.receive_json()
        assert (updated["type"], updated["task"]["status"]) == ("task.updated", "done")

        client.delete(f"{tasks_url}/{task['id']}")
        deleted = first.receive_json()
        assert deleted == {"type": "task.deleted", "project_id": project_id, "task_id": task["id"], "task": None}


def test_rolled_back_changes_are_never_announced(client: TestClient) -> None:
    project_id = _sign_up_with_project(client)
    tasks_url = f"/api/projects/{project_id}/tasks"
    client.post(tasks_url, json={"title": "Taken"})
    with client.websocket_connect(f"/ws/projects/{project_id}") as watcher:
        assert client.post(tasks_url, json={"title": "Taken"}).status_code == 409
        assert client.post(tasks_url, json={"title": "x" * 500}).status_code == 422
        client.post(tasks_url, json={"title": "Committed"})
        event = watcher.receive_json()
        assert (event["type"], event["task"]["title"]) == ("task.created", "Committed")


def test_changes_in_other_projects_are_not_sent(client: TestClient) -> None:
    project_id = _sign_up_with_project(client)
    other = client.post("/api/projects", json={"name": "Other"}).json()["id"]
    with client.websocket_connect(f"/ws/projects/{project_id}") as watcher:
        client.post(f"/api/projects/{other}/tasks", json={"title": "Elsewhere"})
        client.post(f"/api/projects/{project_id}/tasks", json={"title": "Here"})
        assert watcher.receive_json()["task"]["title"] == "Here"


def test_anonymous_watchers_are_refused(client: TestClient) -> None:
    project_id = _sign_up_with_project(client)
    client.post("/api/auth/logout")
    with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect(f"/ws/projects/{project_id}"):
        pass  # pragma: no cover - the handshake is refused
    assert refused.value.code == 1008
    assert refused.value.reason == "Sign in first"


def test_watching_someone_elses_project_is_refused(client: TestClient) -> None:
    project_id = _sign_up_with_project(client, "alice")
    client.post("/api/auth/logout")
    _sign_up_with_project(client, "mallory")
    with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect(f"/ws/projects/{project_id}"):
        pass  # pragma: no cover - the handshake is refused
    assert refused.value.code == 1008
    assert refused.value.reason == f"Project {project_id} is not yours to watch"


def test_invalid_project_ids_are_refused(client: TestClient) -> None:
    _sign_up_with_project(client)
    with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect("/ws/projects/99999999999"):
        pass  # pragma: no cover - the handshake is refused
    assert refused.value.code == 1008
