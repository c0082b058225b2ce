"""GraphQL at /graphql: the same services, rules, data and transaction as the JSON API, for signed-in users only."""

from __future__ import annotations

import concurrent.futures
import contextlib
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from example_app.app import build_app
from example_app.container import Container
from example_app.domain.schemas import TaskEvent
from example_app.settings import AppSettings
from framework.db import Database
from framework.testclient import TestClient, WebSocketTestSession
from framework.testing import overrides
from framework.websockets import WebSocketDisconnect
from tests.example_app.conftest import PASSWORD

CREATE_TASK = """
mutation Create($projectId: Int!, $title: String!) {
  createTask(projectId: $projectId, task: {title: $title}) { id projectId title description status }
}
"""
PROJECT_WITH_TASKS = "query Board($id: Int!) { project(id: $id) { id name tasks { id title status } } }"
TASK_CHANGES = "subscription Watch($id: Int!) { taskChanges(projectId: $id) { kind projectId taskId task { title } } }"


def _rows(database: Database, sql: str) -> list[tuple[object, ...]]:
    assert database.url.database is not None
    with sqlite3.connect(Path(database.url.database)) as connection:
        return connection.execute(sql).fetchall()


def _sign_up_with_project(client: TestClient, username: str = "alice", project: str = "Board") -> int:
    assert client.post("/api/auth/signup", json={"username": username, "password": PASSWORD}).status_code == 201
    project_id: int = client.post("/api/projects", json={"name": project}).json()["id"]
    return project_id


def _graphql(client: TestClient, query: str, **variables: object) -> dict[str, Any]:
    response = client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    return body


def _only_error(body: dict[str, Any]) -> dict[str, Any]:
    assert len(body["errors"]) == 1, body
    error: dict[str, Any] = body["errors"][0]
    assert "traceback" not in str(error).lower()
    return error


def test_a_task_created_over_graphql_is_the_task_rest_reads(client: TestClient, file_database: Database) -> None:
    project_id = _sign_up_with_project(client)
    body = _graphql(client, CREATE_TASK, projectId=project_id, title="  Via GraphQL  ")
    created = body["data"]["createTask"]
    assert "errors" not in body
    assert created == {
        "id": created["id"],
        "projectId": project_id,
        "title": "Via GraphQL",  # the REST model's rules: surrounding whitespace stripped
        "description": "",
        "status": "TODO",
    }

    rest = client.get(f"/api/projects/{project_id}/tasks/{created['id']}")
    assert rest.status_code == 200
    assert (rest.json()["title"], rest.json()["status"]) == ("Via GraphQL", "todo")
    # Logged like a REST change, once the request committed.
    assert _rows(file_database, "SELECT action, summary FROM activity_log ORDER BY id") == [
        ("project.created", "alice created the project"),
        ("task.created", "alice added 'Via GraphQL'"),
    ]


# --8<-- [start:rules]
def test_a_duplicate_title_is_refused_by_both_apis_with_the_same_rule(
    client: TestClient, file_database: Database
) -> None:
    project_id = _sign_up_with_project(client)
    assert client.post(f"/api/projects/{project_id}/tasks", json={"title": "Made over REST"}).status_code == 201
    assert "errors" not in _graphql(client, CREATE_TASK, projectId=project_id, title="Made over GraphQL")

    refused_by_rest = client.post(f"/api/projects/{project_id}/tasks", json={"title": "Made over GraphQL"})
    refused_by_graphql = _graphql(client, CREATE_TASK, projectId=project_id, title="Made over REST")

    assert refused_by_rest.status_code == 409
    problem = refused_by_rest.json()
    error = _only_error(refused_by_graphql)
    assert refused_by_graphql["data"] is None
    assert error["extensions"]["code"] == problem["code"] == "duplicate_task_title"
    assert error["message"] == "This project already has a task titled 'Made over REST'; choose another title."
    assert problem["detail"] == "This project already has a task titled 'Made over GraphQL'; choose another title."

    board = _graphql(client, PROJECT_WITH_TASKS, id=project_id)["data"]["project"]
    assert [task["title"] for task in board["tasks"]] == ["Made over REST", "Made over GraphQL"]
    assert client.get(f"/api/projects/{project_id}/tasks").json()["total"] == 2
    assert _rows(file_database, "SELECT COUNT(*) FROM tasks") == [(2,)]


# --8<-- [end:rules]


@pytest.mark.parametrize(
    ("title", "message"),
    [
        ("   ", "task.title: String should have at least 1 character"),
        ("x" * 201, "task.title: String should have at most 200 characters"),
        ("bell\x07", "task.title: Value error, must not contain control characters"),
    ],
)
def test_invalid_input_is_refused_like_rest(
    client: TestClient, file_database: Database, title: str, message: str
) -> None:
    project_id = _sign_up_with_project(client)
    assert client.post(f"/api/projects/{project_id}/tasks", json={"title": title}).status_code == 422

    error = _only_error(_graphql(client, CREATE_TASK, projectId=project_id, title=title))
    assert error["message"] == f"The task is invalid: {message.removeprefix('task.')}."
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert [problem["loc"] for problem in error["extensions"]["errors"]] == [["task", "title"]]
    assert _rows(file_database, "SELECT COUNT(*) FROM tasks") == [(0,)]


def test_out_of_range_pages_are_refused(client: TestClient) -> None:
    _sign_up_with_project(client)
    for arguments in ("limit: 0", "limit: 101", "offset: -1"):
        error = _only_error(_graphql(client, f"{{ projects({arguments}) {{ id }} }}"))
        assert error["extensions"]["code"] == "BAD_USER_INPUT"


class _ExplodingNotifier:
    def task_changed(self, event: TaskEvent) -> None:
        raise RuntimeError("boom after the write")


@pytest.fixture
def exploding_client(container: Container, file_database: Database) -> Iterator[TestClient]:
    with (
        overrides(container, database=file_database, task_notifier=_ExplodingNotifier()),
        TestClient(build_app(container)) as client,
    ):
        yield client


def test_a_mutation_that_raises_after_writing_leaves_no_rows(
    exploding_client: TestClient, file_database: Database
) -> None:
    project_id = _sign_up_with_project(exploding_client)
    body = _graphql(exploding_client, CREATE_TASK, projectId=project_id, title="Half written")
    error = _only_error(body)
    assert body["data"] is None
    assert error == {
        "message": "Internal server error.",
        "locations": error["locations"],
        "path": ["createTask"],
        "extensions": {"code": "INTERNAL_SERVER_ERROR"},
    }
    assert _rows(file_database, "SELECT COUNT(*) FROM tasks") == [(0,)]
    assert _rows(file_database, "SELECT action FROM activity_log") == [("project.created",)]
    # The session went back clean: the next request reads the project.
    assert exploding_client.get(f"/api/projects/{project_id}").status_code == 200


@contextlib.contextmanager
def _subscribe(client: TestClient, project_id: int) -> Iterator[WebSocketTestSession]:
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as socket:
        socket.send_json({"type": "connection_init"})
        assert _next_message(socket) == {"type": "connection_ack"}
        socket.send_json(
            {"id": "1", "type": "subscribe", "payload": {"query": TASK_CHANGES, "variables": {"id": project_id}}}
        )
        yield socket


def _next_message(socket: WebSocketTestSession, seconds: float = 10) -> dict[str, Any]:
    """The next message; a message that never comes fails the test instead of hanging it."""
    pool = concurrent.futures.ThreadPoolExecutor(1)
    try:
        message: dict[str, Any] = pool.submit(socket.receive_json).result(timeout=seconds)
    finally:
        pool.shutdown(wait=False)  # a receive still waiting ends when the socket closes
    return message


def _wait_for_watchers(container: Container, project_id: int) -> None:
    """The subscription starts in a server task: wait until it listens before changing anything."""
    feed = container.task_feed()
    deadline = time.monotonic() + 10
    while feed.watchers(project_id) == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert feed.watchers(project_id) == 1


def test_a_subscription_receives_tasks_created_through_rest(client: TestClient, container: Container) -> None:
    project_id = _sign_up_with_project(client)
    other_project = client.post("/api/projects", json={"name": "Elsewhere"}).json()["id"]
    tasks_url = f"/api/projects/{project_id}/tasks"
    with _subscribe(client, project_id) as socket:
        _wait_for_watchers(container, project_id)
        assert client.post(f"/api/projects/{other_project}/tasks", json={"title": "Not here"}).status_code == 201
        assert client.post(tasks_url, json={"title": "Taken"}).status_code == 201
        assert client.post(tasks_url, json={"title": "Taken"}).status_code == 409  # rolled back: never announced
        task = client.post(tasks_url, json={"title": "Live card"}).json()
        client.patch(f"{tasks_url}/{task['id']}", json={"status": "done"})

        first = _next_message(socket)
        assert first["payload"]["data"]["taskChanges"]["task"] == {"title": "Taken"}
        assert _next_message(socket) == {
            "id": "1",
            "type": "next",
            "payload": {
                "data": {
                    "taskChanges": {
                        "kind": "CREATED",
                        "projectId": project_id,
                        "taskId": task["id"],
                        "task": {"title": "Live card"},
                    }
                }
            },
        }
        assert _next_message(socket)["payload"]["data"]["taskChanges"]["kind"] == "UPDATED"
        socket.send_json({"id": "1", "type": "complete"})
    _wait_for_no_watchers(container, project_id)


def _wait_for_no_watchers(container: Container, project_id: int) -> None:
    feed = container.task_feed()
    deadline = time.monotonic() + 10
    while feed.watchers(project_id) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert feed.watchers(project_id) == 0


def test_anonymous_clients_are_refused(client: TestClient) -> None:
    project_id = _sign_up_with_project(client)
    client.post("/api/auth/logout")

    for response in (
        client.post("/graphql", json={"query": "{ projects { id name } }"}),
        client.get("/graphql", params={"query": "{ projects { id name } }"}),
    ):
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "sign_in_required"
        assert "Board" not in response.text

    with pytest.raises(WebSocketDisconnect) as refused, _subscribe(client, project_id):
        pass  # pragma: no cover - the handshake is refused
    assert refused.value.code == 1008


def test_another_users_project_is_an_error_without_data(
    client: TestClient, container: Container, file_database: Database
) -> None:
    alice_project = _sign_up_with_project(client, "alice", project="Alice's secret board")
    client.post(f"/api/projects/{alice_project}/tasks", json={"title": "Secret card"})
    client.post("/api/auth/logout")
    mallory_project = _sign_up_with_project(client, "mallory", project="Mallory's board")

    body = _graphql(client, PROJECT_WITH_TASKS, id=alice_project)
    assert body["data"] == {"project": None}
    error = _only_error(body)
    assert error["message"] == f"Project {alice_project} does not exist or you are not a member of it."
    assert error["extensions"] == {"code": "project_not_found"}
    # Indistinguishable from an id that does not exist.
    missing = _only_error(_graphql(client, PROJECT_WITH_TASKS, id=alice_project + 1000))
    assert missing["message"] == f"Project {alice_project + 1000} does not exist or you are not a member of it."

    assert _graphql(client, "{ projects { id name } }")["data"] == {
        "projects": [{"id": mallory_project, "name": "Mallory's board"}]
    }
    written = _graphql(client, CREATE_TASK, projectId=alice_project, title="Planted")
    assert written["data"] is None
    assert _only_error(written)["extensions"]["code"] == "project_not_found"
    assert _rows(file_database, "SELECT title FROM tasks") == [("Secret card",)]

    with _subscribe(client, alice_project) as socket:
        refused = _next_message(socket)
        assert refused["type"] == "next"
        assert refused["payload"]["data"] is None
        assert refused["payload"]["errors"][0]["extensions"] == {"code": "project_not_found"}
        assert container.task_feed().watchers(alice_project) == 0
    assert "Secret" not in str(body) + str(written)


def test_graphiql_and_introspection_only_in_debug_mode(
    container: Container, settings: AppSettings, file_database: Database
) -> None:
    page = {"accept": "text/html"}
    introspection = {"query": "{ __schema { queryType { name } } }"}
    for debug in (False, True):
        with (
            overrides(container, database=file_database, settings=settings.model_copy(update={"debug": debug})),
            TestClient(build_app(container)) as client,
        ):
            client.post("/api/auth/signup", json={"username": f"user{int(debug)}", "password": PASSWORD})
            ide = client.get("/graphql", headers=page)
            schema = client.post("/graphql", json=introspection)
        if debug:
            assert ide.status_code == 200
            assert "graphiql" in ide.text.lower()
            assert schema.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
        else:
            assert ide.status_code == 404
            assert schema.status_code == 400
            assert schema.json()["errors"][0]["extensions"]["code"] == "INTROSPECTION_DISABLED"
