"""HTML pages: forms create and edit projects and tasks, show errors in place, and refuse forged posts."""

from __future__ import annotations

import re
from collections.abc import Callable

from framework.testclient import TestClient
from tests.example_app.conftest import csrf_token_of

_PROJECT_URL = re.compile(r"/projects/(\d+)$")


def _create_project(client: TestClient, token: str, name: str = "Launch") -> int:
    response = client.post("/projects/new", data={"name": name, "description": "", "csrf_token": token})
    assert response.status_code == 200
    match = _PROJECT_URL.search(str(response.url))
    assert match is not None, response.url
    return int(match.group(1))


def test_create_a_project_and_a_task_through_forms(client: TestClient, signed_in: Callable[[str], str]) -> None:
    token = signed_in("alice")
    project_id = _create_project(client, token, "Launch <v1>")
    page = client.get(f"/projects/{project_id}")
    assert '<h1 id="project-name">Launch &lt;v1&gt;</h1>' in page.text  # autoescaped
    response = client.post(
        f"/projects/{project_id}/tasks", data={"title": "Write <b>docs</b>", "description": "", "csrf_token": token}
    )
    assert response.status_code == 200
    assert "Write &lt;b&gt;docs&lt;/b&gt;" in response.text
    assert client.get("/api/projects").json()["items"][0]["name"] == "Launch <v1>"


def test_form_errors_are_shown_next_to_the_field(client: TestClient, signed_in: Callable[[str], str]) -> None:
    token = signed_in("alice")
    project_id = _create_project(client, token)
    too_long = client.post(f"/projects/{project_id}/tasks", data={"title": "x" * 201, "csrf_token": token})
    assert too_long.status_code == 422
    assert 'id="title-error">String should have at most 200 characters' in too_long.text
    client.post(f"/projects/{project_id}/tasks", data={"title": "Once", "csrf_token": token})
    duplicate = client.post(f"/projects/{project_id}/tasks", data={"title": "Once", "csrf_token": token})
    assert duplicate.status_code == 422
    assert "already has a task titled &#39;Once&#39;" in duplicate.text
    assert client.get(f"/api/projects/{project_id}/tasks").json()["total"] == 1
    empty_name = client.post("/projects/new", data={"name": "  ", "csrf_token": token})
    assert empty_name.status_code == 422
    assert 'id="name-error"' in empty_name.text


def test_edit_and_delete_through_forms(client: TestClient, signed_in: Callable[[str], str]) -> None:
    token = signed_in("alice")
    project_id = _create_project(client, token)
    client.post(f"/projects/{project_id}/tasks", data={"title": "Card", "csrf_token": token})
    task_id = client.get(f"/api/projects/{project_id}/tasks").json()["items"][0]["id"]

    form = client.get(f"/projects/{project_id}/tasks/{task_id}/edit")
    assert 'value="Card"' in form.text
    edited = client.post(
        f"/projects/{project_id}/tasks/{task_id}/edit",
        data={"title": "Card 2", "description": "more", "status": "doing", "csrf_token": token},
    )
    assert edited.status_code == 200
    task = client.get(f"/api/projects/{project_id}/tasks/{task_id}").json()
    assert (task["title"], task["description"], task["status"]) == ("Card 2", "more", "doing")

    renamed = client.post(f"/projects/{project_id}/edit", data={"name": "Renamed", "csrf_token": token})
    assert renamed.status_code == 200
    assert "Renamed" in renamed.text

    client.post(f"/projects/{project_id}/tasks/{task_id}/delete", data={"csrf_token": token})
    assert client.get(f"/api/projects/{project_id}/tasks").json()["total"] == 0
    gone = client.post(f"/projects/{project_id}/delete", data={"csrf_token": token}, follow_redirects=False)
    assert gone.status_code == 303
    assert client.get(f"/projects/{project_id}").status_code == 404


def test_another_users_project_page_is_a_404_page(client: TestClient, signed_in: Callable[[str], str]) -> None:
    token = signed_in("alice")
    project_id = _create_project(client, token)
    client.post("/logout", data={"csrf_token": token})
    mallory_token = signed_in("mallory")
    for path in [f"/projects/{project_id}", f"/projects/{project_id}/edit"]:
        response = client.get(path)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert "does not exist or you are not a member of it" in response.text
    posted = client.post(f"/projects/{project_id}/tasks", data={"title": "x", "csrf_token": mallory_token})
    assert posted.status_code == 404
    deleted = client.post(f"/projects/{project_id}/delete", data={"csrf_token": mallory_token})
    assert deleted.status_code == 404


def test_form_posts_without_the_csrf_token_are_refused(client: TestClient, signed_in: Callable[[str], str]) -> None:
    token = signed_in("alice")
    project_id = _create_project(client, token)
    for path, data in [
        ("/projects/new", {"name": "Forged"}),
        (f"/projects/{project_id}/tasks", {"title": "Forged"}),
        (f"/projects/{project_id}/edit", {"name": "Forged", "csrf_token": "wrong"}),
        (f"/projects/{project_id}/delete", {}),
        ("/logout", {"csrf_token": ""}),
    ]:
        response = client.post(path, data=data)
        assert response.status_code == 403, path
        assert "did not come from this site" in response.text
    assert [p["name"] for p in client.get("/api/projects").json()["items"]] == ["Launch"]
    assert client.get(f"/api/projects/{project_id}/tasks").json()["total"] == 0
    assert client.get("/api/auth/me").status_code == 200


def test_cross_site_posts_are_refused_even_with_a_token(client: TestClient, signed_in: Callable[[str], str]) -> None:
    token = signed_in("alice")
    for headers in [
        {"origin": "https://evil.example"},
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site", "origin": "http://sub.testserver"},
        {"origin": "null"},
    ]:
        response = client.post("/projects/new", data={"name": "Forged", "csrf_token": token}, headers=headers)
        assert response.status_code == 403, headers
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "csrf_rejected"
        api = client.post("/api/projects", json={"name": "Forged"}, headers=headers)
        assert api.status_code == 403, headers
    same_origin = client.post(
        "/projects/new",
        data={"name": "Mine", "csrf_token": token},
        headers={"origin": "http://testserver", "sec-fetch-site": "same-origin"},
    )
    assert same_origin.status_code == 200
    assert [p["name"] for p in client.get("/api/projects").json()["items"]] == ["Mine"]


def test_static_files_are_served(client: TestClient) -> None:
    css = client.get("/static/app.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    js = client.get("/static/board.js")
    assert js.status_code == 200
    assert "new WebSocket" in js.text
    assert client.get("/static/../settings.py").status_code == 404
    assert client.get("/static/missing.css").status_code == 404


def test_board_lists_the_users_projects(client: TestClient, signed_in: Callable[[str], str]) -> None:
    token = signed_in("alice")
    project_id = _create_project(client, token, "Alpha")
    board = client.get("/")
    assert f'href="http://testserver/projects/{project_id}">Alpha</a>' in board.text
    assert csrf_token_of(board.text) == token
