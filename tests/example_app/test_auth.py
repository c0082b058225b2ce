"""Sign-up, log-in and log-out, through the JSON API and the HTML forms; the signed session cookie."""

from __future__ import annotations

from collections.abc import Callable

from framework.testclient import TestClient
from tests.example_app.conftest import PASSWORD, csrf_token_of

COOKIE = "taskboard_session"


def test_api_sign_up_sets_a_signed_http_only_cookie(client: TestClient) -> None:
    response = client.post("/api/auth/signup", json={"username": "alice", "password": PASSWORD})
    assert response.status_code == 201
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    me = client.get("/api/auth/me")
    assert me.status_code == 200
    assert me.json() == {"id": response.json()["id"], "username": "alice"}


def test_logout_clears_the_session(client: TestClient) -> None:
    client.post("/api/auth/signup", json={"username": "alice", "password": PASSWORD})
    response = client.post("/api/auth/logout")
    assert response.status_code == 204
    assert "expires=Thu, 01 Jan 1970 00:00:00 GMT" in response.headers["set-cookie"]
    assert client.get("/api/auth/me").status_code == 401
    assert client.get("/api/projects").status_code == 401


def test_login_with_the_right_password(client: TestClient) -> None:
    client.post("/api/auth/signup", json={"username": "alice", "password": PASSWORD})
    client.post("/api/auth/logout")
    response = client.post("/api/auth/login", json={"username": "alice", "password": PASSWORD})
    assert response.status_code == 200
    assert response.json()["username"] == "alice"
    assert client.get("/api/auth/me").json()["username"] == "alice"


def test_a_forged_cookie_is_ignored(client: TestClient) -> None:
    client.post("/api/auth/signup", json={"username": "alice", "password": PASSWORD})
    value = client.cookies[COOKIE]
    payload, _, signature = value.partition(".")
    # Replace the server's cookie (same domain), rather than sending a second one beside it.
    domain = next(cookie.domain for cookie in client.cookies.jar if cookie.name == COOKIE)
    client.cookies.set(COOKIE, payload[:-2] + "xx." + signature, domain=domain)
    assert client.get("/api/auth/me").status_code == 401


def test_pages_redirect_anonymous_visitors_to_login(client: TestClient) -> None:
    response = client.get("/projects/new?x=1", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fprojects%2Fnew%3Fx%3D1"
    landing = client.get("/")
    assert landing.status_code == 200
    assert "Sign up" in landing.text


def test_sign_up_form_signs_in_and_shows_the_board(client: TestClient, signed_in: Callable[[str], str]) -> None:
    signed_in("alice")
    board = client.get("/")
    assert '<span class="who" id="signed-in-as">alice</span>' in board.text
    assert "No projects yet" in board.text


def test_sign_up_form_shows_validation_errors_in_the_page(client: TestClient) -> None:
    token = csrf_token_of(client.get("/signup").text)
    response = client.post("/signup", data={"username": "a<b", "password": "short", "csrf_token": token})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert 'id="username-error"' in response.text
    assert 'id="password-error"' in response.text
    assert 'value="a&lt;b"' in response.text  # refilled, escaped
    assert client.get("/api/auth/me").status_code == 401


def test_login_form_reports_bad_credentials_and_keeps_next(client: TestClient, signed_in: Callable[[str], str]) -> None:
    signed_in("alice")
    client.post("/logout", data={"csrf_token": csrf_token_of(client.get("/").text)})
    page = client.get("/login?next=/projects/new")
    token = csrf_token_of(page.text)
    assert 'name="next" value="/projects/new"' in page.text
    wrong = client.post(
        "/login", data={"username": "alice", "password": "nope", "next": "/projects/new", "csrf_token": token}
    )
    assert wrong.status_code == 422
    assert "The username or password is incorrect." in wrong.text
    right = client.post(
        "/login",
        data={"username": "alice", "password": PASSWORD, "next": "/projects/new", "csrf_token": token},
        follow_redirects=False,
    )
    assert right.status_code == 303
    assert right.headers["location"] == "/projects/new"


def test_login_never_redirects_off_site(client: TestClient, signed_in: Callable[[str], str]) -> None:
    signed_in("alice")
    client.post("/logout", data={"csrf_token": csrf_token_of(client.get("/").text)})
    for target in ["https://evil.example/", "//evil.example/", "/\\evil.example"]:
        token = csrf_token_of(client.get("/login").text)
        response = client.post(
            "/login",
            data={"username": "alice", "password": PASSWORD, "next": target, "csrf_token": token},
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/"
        client.post("/logout", data={"csrf_token": csrf_token_of(client.get("/").text)})


def test_sign_in_starts_a_new_session(client: TestClient, signed_in: Callable[[str], str]) -> None:
    anonymous_token = csrf_token_of(client.get("/signup").text)
    new_token = signed_in("alice")
    assert new_token != anonymous_token
