"""One transaction per request, and the activity log written after it commits by a background task."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from dependency_injector import providers

from example_app.app import build_app
from example_app.container import Container
from example_app.domain.models import ActivityLogEntry
from example_app.domain.schemas import TaskEvent
from example_app.repositories.activity import ActivityRepository
from framework.db import Database
from framework.testclient import TestClient
from framework.testing import overrides
from tests.example_app.conftest import PASSWORD


def _rows(database: Database, sql: str) -> list[tuple[object, ...]]:
    assert database.url.database is not None
    with sqlite3.connect(Path(database.url.database)) as connection:
        return connection.execute(sql).fetchall()


def _sign_up_with_project(client: TestClient) -> int:
    client.post("/api/auth/signup", json={"username": "alice", "password": PASSWORD})
    project_id: int = client.post("/api/projects", json={"name": "Board"}).json()["id"]
    return project_id


def test_activity_is_logged_after_each_change(client: TestClient, file_database: Database) -> None:
    project_id = _sign_up_with_project(client)
    task = client.post(f"/api/projects/{project_id}/tasks", json={"title": "Card"}).json()
    client.patch(f"/api/projects/{project_id}/tasks/{task['id']}", json={"status": "done"})
    assert client.post(f"/api/projects/{project_id}/tasks", json={"title": "Card"}).status_code == 409
    rows = _rows(file_database, "SELECT project_id, action, summary FROM activity_log ORDER BY id")
    assert rows == [
        (project_id, "project.created", "alice created the project"),
        (project_id, "task.created", "alice added 'Card'"),
        (project_id, "task.updated", "alice updated 'Card'"),
    ]
    page = client.get(f"/projects/{project_id}")
    assert "alice updated &#39;Card&#39;" in page.text


class _BrokenActivityRepository(ActivityRepository):
    async def recent(self, project_id: int, *, limit: int = 20) -> list[ActivityLogEntry]:
        return []

    async def add(self, instance: ActivityLogEntry) -> ActivityLogEntry:
        raise RuntimeError("activity log is down")


def test_a_failing_background_task_does_not_change_the_response(
    container: Container, file_database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    broken = providers.Factory(_BrokenActivityRepository, session=container.session)
    with (
        overrides(container, database=file_database, activity_repository=broken),
        TestClient(build_app(container)) as client,
    ):
        project_id = _sign_up_with_project(client)
        response = client.post(f"/api/projects/{project_id}/tasks", json={"title": "Still saved"})
    assert response.status_code == 201
    assert _rows(file_database, "SELECT title FROM tasks") == [("Still saved",)]
    assert _rows(file_database, "SELECT COUNT(*) FROM activity_log") == [(0,)]
    assert "activity log is down" in caplog.text


class _ExplodingNotifier:
    def task_changed(self, event: TaskEvent) -> None:
        raise RuntimeError("boom after the write")


@pytest.fixture
def exploding_client(container: Container, file_database: Database) -> Iterator[TestClient]:
    with (
        overrides(container, database=file_database, task_notifier=_ExplodingNotifier()),
        TestClient(build_app(container), raise_server_exceptions=False) as client,
    ):
        yield client


def test_an_error_after_the_write_rolls_everything_back(exploding_client: TestClient, file_database: Database) -> None:
    project_id = _sign_up_with_project(exploding_client)
    response = exploding_client.post(f"/api/projects/{project_id}/tasks", json={"title": "Half written"})
    assert response.status_code == 500
    assert _rows(file_database, "SELECT COUNT(*) FROM tasks") == [(0,)]
    assert _rows(file_database, "SELECT action FROM activity_log") == [("project.created",)]
    # The connection went back to the pool clean: the next request works.
    assert exploding_client.get(f"/api/projects/{project_id}").status_code == 200
