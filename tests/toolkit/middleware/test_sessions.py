from __future__ import annotations

import json
import re
import time
from base64 import b64encode
from collections.abc import Callable
from typing import Any

import itsdangerous
import pytest

from framework.applications import Application
from framework.middleware import Middleware
from framework.middleware.sessions import Session, SessionMiddleware
from framework.requests import Request
from framework.responses import JSONResponse
from framework.routing import Mount, Route, WebSocketRoute
from framework.testclient import TestClient
from framework.websockets import WebSocket

TestClientFactory = Callable[..., TestClient]
SECRET = "example-secret"


async def view_session(request: Request) -> JSONResponse:
    return JSONResponse({"session": request.session})


async def update_session(request: Request) -> JSONResponse:
    request.session.update(await request.json())
    return JSONResponse({"session": request.session})


async def clear_session(request: Request) -> JSONResponse:
    request.session.clear()
    return JSONResponse({"session": request.session})


async def ws_session(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_json({"session": websocket.session})
    await websocket.close()


def build_app(**options: Any) -> Application:
    options.setdefault("secret_key", SECRET)
    return Application(
        routes=[
            Route("/view_session", view_session),
            Route("/update_session", update_session, methods=["POST"]),
            Route("/clear_session", clear_session, methods=["POST"]),
            WebSocketRoute("/ws", ws_session),
        ],
        middleware=[Middleware(SessionMiddleware, **options)],
    )


def signed_cookie(data: Any, secret: str = SECRET, age: float = 0) -> str:
    class OldSigner(itsdangerous.TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time() - age)

    payload = b64encode(json.dumps(data).encode("utf-8"))
    return OldSigner(secret).sign(payload).decode("utf-8")


def test_session_round_trip(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(build_app())
    response = client.get("/view_session")
    assert response.json() == {"session": {}}
    assert "set-cookie" not in response.headers

    response = client.post("/update_session", json={"some": "data"})
    assert response.json() == {"session": {"some": "data"}}
    set_cookie = response.headers["set-cookie"]
    assert set_cookie.startswith("session=")
    assert re.search(r"; path=/; Max-Age=1209600; httponly; samesite=lax$", set_cookie)
    assert "secure" not in set_cookie

    response = client.get("/view_session")
    assert response.json() == {"session": {"some": "data"}}

    response = client.post("/clear_session")
    assert response.json() == {"session": {}}
    assert response.headers["set-cookie"] == (
        "session=null; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; httponly; samesite=lax"
    )
    assert client.get("/view_session").json() == {"session": {}}


def test_cookie_sent_only_when_session_changes(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(build_app())
    first = client.post("/update_session", json={"a": 1})
    assert "Max-Age=1209600" in first.headers["set-cookie"]
    assert first.headers["vary"] == "Cookie"
    # Reading does not rewrite the cookie, but the answer still depends on it.
    read = client.get("/view_session")
    assert read.json() == {"session": {"a": 1}}
    assert "set-cookie" not in read.headers
    assert read.headers["vary"] == "Cookie"
    changed = client.post("/update_session", json={"b": 2})
    assert "set-cookie" in changed.headers
    assert client.get("/view_session").json() == {"session": {"a": 1, "b": 2}}


def test_untouched_session_adds_neither_cookie_nor_vary(test_client_factory: TestClientFactory) -> None:
    async def ignores_session(request: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    app = Application(
        routes=[Route("/", ignores_session)], middleware=[Middleware(SessionMiddleware, secret_key=SECRET)]
    )
    response = test_client_factory(app).get("/", headers={"Cookie": f"session={signed_cookie({'user': 1})}"})
    assert response.json() == {"ok": True}
    assert "set-cookie" not in response.headers
    assert "vary" not in response.headers


def test_no_cookie_without_session_data(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(build_app(max_age=100))
    response = client.get("/view_session")
    assert response.json() == {"session": {}}
    assert "set-cookie" not in response.headers

    old = signed_cookie({"user": 1}, age=60)
    response = client.get("/view_session", headers={"Cookie": f"session={old}"})
    assert response.json() == {"session": {"user": 1}}
    assert "set-cookie" not in response.headers


def test_zero_max_age_is_sent(test_client_factory: TestClientFactory) -> None:
    response = test_client_factory(build_app(max_age=0)).post("/update_session", json={"a": 1})
    assert response.status_code == 200
    assert "; Max-Age=0; " in response.headers["set-cookie"]


def test_session_dict_tracks_reads_and_writes() -> None:
    session = Session({"a": 1})
    assert not session.accessed
    assert not session.modified
    session.mark_accessed()
    assert session.accessed
    assert not session.modified
    # Operations that leave the contents alone are not changes.
    for no_change in (lambda s: s.pop("missing", None), lambda s: s.setdefault("a", 2)):
        fresh = Session({"a": 1})
        no_change(fresh)
        assert not fresh.modified
    changes: list[Callable[[Session], object]] = [
        lambda s: s.__setitem__("b", 2),
        lambda s: s.__delitem__("a"),
        lambda s: s.pop("a"),
        lambda s: s.popitem(),
        lambda s: s.setdefault("b", 2),
        lambda s: s.update(b=2),
        lambda s: s.__ior__({"b": 2}),
        lambda s: s.clear(),
    ]
    for change in changes:
        fresh = Session({"a": 1})
        change(fresh)
        assert fresh.modified
        assert fresh.accessed


def test_expired_cookie_gives_empty_session(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(build_app(max_age=100))
    expired = signed_cookie({"user": 1}, age=1000)
    response = client.get("/view_session", headers={"Cookie": f"session={expired}"})
    assert response.status_code == 200
    assert response.json() == {"session": {}}
    assert "set-cookie" not in response.headers


def _tampered() -> str:
    payload, timestamp, signature = signed_cookie({"user": 1}).split(".")
    forged = b64encode(json.dumps({"user": 1, "admin": True}).encode()).decode()
    assert forged != payload
    return f"{forged}.{timestamp}.{signature}"


HOSTILE_COOKIES = {
    "tampered": _tampered(),
    "truncated": signed_cookie({"user": 1})[:-5],
    "wrong-key": signed_cookie({"user": 1}, secret="another-secret"),
    "garbage": "invalid",
    "dots": "...",
    "empty": "",
    "not-a-dict": signed_cookie([1, 2, 3]),
    "json-string": signed_cookie("user"),
    "not-base64": itsdangerous.TimestampSigner(SECRET).sign(b"%%%not-base64%%%").decode(),
    "not-json": itsdangerous.TimestampSigner(SECRET).sign(b64encode(b"{not json")).decode(),
    "not-utf8": itsdangerous.TimestampSigner(SECRET).sign(b64encode(b"\xff\xfe")).decode(),
    "bad-timestamp": "eyJ1c2VyIjogMX0=.!!!!.signature",
    "huge": "a" * 4000,
}


@pytest.mark.parametrize("cookie", HOSTILE_COOKIES.values(), ids=HOSTILE_COOKIES.keys())
def test_hostile_cookie_gives_empty_session(test_client_factory: TestClientFactory, cookie: str) -> None:
    client = test_client_factory(build_app())
    response = client.get("/view_session", headers={"Cookie": f"session={cookie}"})
    assert response.status_code == 200
    assert response.json() == {"session": {}}
    assert "set-cookie" not in response.headers

    # The client can start over with a fresh session.
    response = client.post("/update_session", json={"x": 1}, headers={"Cookie": f"session={cookie}"})
    assert response.json() == {"session": {"x": 1}}
    assert response.headers["set-cookie"].startswith("session=")


def test_valid_cookie_signed_elsewhere_is_accepted(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(build_app())
    response = client.get("/view_session", headers={"Cookie": f"session={signed_cookie({'n': [1, 'ü']})}"})
    assert response.json() == {"session": {"n": [1, "ü"]}}


def test_secure_flag_added_over_https(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(build_app(), base_url="https://testserver")
    response = client.post("/update_session", json={"some": "data"})
    assert "; secure" in response.headers["set-cookie"]
    assert client.get("/view_session").json() == {"session": {"some": "data"}}
    response = client.post("/clear_session")
    assert response.headers["set-cookie"].endswith("; httponly; samesite=lax; secure")


def test_https_only(test_client_factory: TestClientFactory) -> None:
    app = build_app(https_only=True)
    insecure = test_client_factory(app, base_url="http://testserver")
    response = insecure.post("/update_session", json={"some": "data"})
    assert "; secure" in response.headers["set-cookie"]
    # The browser-like client does not send a Secure cookie over plain http.
    assert insecure.get("/view_session").json() == {"session": {}}

    secure = test_client_factory(app, base_url="https://testserver")
    secure.post("/update_session", json={"some": "data"})
    assert secure.get("/view_session").json() == {"session": {"some": "data"}}
    assert secure.post("/clear_session").json() == {"session": {}}
    assert secure.get("/view_session").json() == {"session": {}}


def test_cookie_options(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(
        build_app(session_cookie="sid", max_age=None, same_site="strict", domain="example.com", partitioned=True)
    )
    response = client.post("/update_session", json={"some": "data"})
    set_cookie = response.headers["set-cookie"]
    assert set_cookie.startswith("sid=")
    assert "Max-Age" not in set_cookie
    assert set_cookie.endswith("; path=/; httponly; samesite=strict; secure; domain=example.com; partitioned")


def test_cookie_path_for_mounted_app(test_client_factory: TestClientFactory) -> None:
    inner = build_app(path="/second_app")
    app = Application(routes=[Mount("/second_app", app=inner)])
    client = test_client_factory(app, base_url="http://testserver/second_app")
    response = client.post("/update_session", json={"some": "data"})
    assert response.status_code == 200
    match = re.search(r"; path=(\S+);", response.headers["set-cookie"])
    assert match is not None
    assert match.group(1) == "/second_app"


def test_session_in_websocket(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(build_app())
    with client.websocket_connect("/ws", headers={"Cookie": f"session={signed_cookie({'room': 7})}"}) as websocket:
        assert websocket.receive_json() == {"session": {"room": 7}}


def test_secret_key_can_be_a_secret(test_client_factory: TestClientFactory) -> None:
    from framework.datastructures import Secret

    client = test_client_factory(build_app(secret_key=Secret(SECRET)))
    response = client.get("/view_session", headers={"Cookie": f"session={signed_cookie({'a': 1})}"})
    assert response.json() == {"session": {"a": 1}}
