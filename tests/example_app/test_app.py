"""How the app is assembled: middleware (trusted hosts, CORS, GZip), OpenAPI and its docs page, routes."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from example_app.app import build_app
from example_app.services.live import TaskFeed
from framework.testclient import TestClient
from tests.example_app.conftest import FRONTEND_ORIGIN, PASSWORD


def test_unknown_host_is_refused(client: TestClient) -> None:
    response = client.get("/", headers={"host": "evil.example"})
    assert response.status_code == 400
    assert response.text == "Invalid host header"


def test_cors_preflight_from_the_front_end(client: TestClient) -> None:
    response = client.options(
        "/api/projects",
        headers={
            "origin": FRONTEND_ORIGIN,
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == FRONTEND_ORIGIN
    assert response.headers["access-control-allow-credentials"] == "true"
    assert "POST" in response.headers["access-control-allow-methods"]


def test_cors_refuses_other_origins(client: TestClient) -> None:
    response = client.options(
        "/api/projects",
        headers={"origin": "https://evil.example", "access-control-request-method": "POST"},
    )
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


def test_front_end_origin_may_write_with_credentials(client: TestClient) -> None:
    client.post("/api/auth/signup", json={"username": "alice", "password": PASSWORD})
    response = client.post("/api/projects", json={"name": "From the SPA"}, headers={"origin": FRONTEND_ORIGIN})
    assert response.status_code == 201
    assert response.headers["access-control-allow-origin"] == FRONTEND_ORIGIN


def test_large_responses_are_gzipped(client: TestClient) -> None:
    response = client.get("/static/app.css", headers={"accept-encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    raw = client.get("/static/app.css", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in raw.headers
    assert response.text == raw.text  # httpx decoded it
    docs = client.get("/openapi.json", headers={"accept-encoding": "gzip"})
    assert docs.headers["content-encoding"] == "gzip"
    assert gzip.compress(docs.content)  # decodable JSON arrived
    assert docs.json()["info"]["title"] == "Task board API"


def test_openapi_describes_the_json_api_only(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    paths = document["paths"]
    assert set(paths) >= {
        "/api/projects",
        "/api/projects/{project_id}",
        "/api/projects/{project_id}/tasks",
        "/api/projects/{project_id}/tasks/{task_id}",
        "/api/auth/signup",
    }
    assert not any(path.startswith(("/projects", "/ws", "/static", "/signup")) for path in paths)
    list_tasks = paths["/api/projects/{project_id}/tasks"]["get"]
    assert {p["name"] for p in list_tasks["parameters"]} >= {"project_id", "status", "limit", "offset", "order"}
    assert "ProjectIn" in document["components"]["schemas"]


def test_docs_page_renders(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "/openapi.json" in response.text


def test_build_app_without_a_container_reads_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'env.db'}")
    monkeypatch.setenv("ALLOWED_HOSTS", "board.example, testserver")
    app = build_app()
    container = app.state.container
    assert isinstance(container.task_feed(), TaskFeed)
    assert container.settings().allowed_hosts == ["board.example", "testserver"]
    assert str(container.database().url).endswith("env.db")
    assert app.url_path_for("show_project", project_id=7) == "/projects/7"
    assert app.url_path_for("static", path="app.css") == "/static/app.css"
