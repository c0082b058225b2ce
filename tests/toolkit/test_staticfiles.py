from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from email.utils import formatdate
from pathlib import Path
from typing import Any

import pytest

from framework.applications import Application
from framework.exceptions import HTTPException
from framework.routing import Mount
from framework.staticfiles import StaticFiles
from framework.testclient import TestClient
from framework.types import ASGIApp, Message
from framework.websockets import WebSocketDisconnect

ClientFactory = Callable[..., TestClient]


@pytest.fixture
def static_root(tmp_path: Path) -> Path:
    """tmp/static with files, tmp/secret.txt and a sibling tmp/static-secret sharing the prefix."""
    root = tmp_path / "static"
    root.mkdir()
    (root / "example.txt").write_text("<file content>")
    (root / "sub").mkdir()
    (root / "sub" / "nested.css").write_text("body {}")
    (tmp_path / "secret.txt").write_text("outside the root")
    (tmp_path / "static-secret").mkdir()
    (tmp_path / "static-secret" / "key.txt").write_text("sibling secret")
    return root


def _app(**kwargs: Any) -> Application:
    return Application(routes=[Mount("/static", app=StaticFiles(**kwargs), name="static")])


async def _raw_get(app: ASGIApp, path: str, headers: list[tuple[bytes, bytes]] | None = None) -> tuple[int, bytes]:
    """Send a path exactly as given (no URL normalisation by an HTTP client) and collect the answer."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode("latin-1", "backslashreplace"),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), *(headers or [])],
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 1234),
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body


# --- serving ---------------------------------------------------------------------------------


def test_serves_a_file_with_validators(static_root: Path, test_client_factory: ClientFactory) -> None:
    client = test_client_factory(_app(directory=static_root))
    response = client.get("/static/example.txt")
    assert response.status_code == 200
    assert response.text == "<file content>"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["content-length"] == "14"
    assert response.headers["etag"].startswith('"')
    assert response.headers["last-modified"]
    assert response.headers["accept-ranges"] == "bytes"
    nested = client.get("/static/sub/nested.css")
    assert (nested.status_code, nested.text) == (200, "body {}")
    assert nested.headers["content-type"].startswith("text/css")


def test_head_sends_headers_without_body(static_root: Path, test_client_factory: ClientFactory) -> None:
    response = test_client_factory(_app(directory=static_root)).head("/static/example.txt")
    assert response.status_code == 200
    assert response.headers["content-length"] == "14"
    assert response.content == b""


def test_other_methods_are_405(static_root: Path, test_client_factory: ClientFactory) -> None:
    client = test_client_factory(_app(directory=static_root))
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        response = client.request(method, "/static/example.txt")
        assert response.status_code == 405
        assert response.text == "Method Not Allowed"
        assert response.headers["allow"] == "GET, HEAD"


def test_other_methods_raise_405_when_used_bare(static_root: Path, test_client_factory: ClientFactory) -> None:
    client = test_client_factory(StaticFiles(directory=static_root))
    with pytest.raises(HTTPException) as info:
        client.post("/example.txt")
    assert info.value.status_code == 405
    assert info.value.headers == {"Allow": "GET, HEAD"}


def test_websocket_handshake_is_closed_normally(static_root: Path, test_client_factory: ClientFactory) -> None:
    client = test_client_factory(_app(directory=static_root))
    with pytest.raises(WebSocketDisconnect) as info, client.websocket_connect("/static/example.txt"):
        pytest.fail("the handshake should have been refused")  # pragma: no cover
    assert info.value.code == 1000


def test_missing_file_directory_and_file_as_directory_are_404(
    static_root: Path, test_client_factory: ClientFactory
) -> None:
    client = test_client_factory(_app(directory=static_root))
    for path in ("/static/missing.txt", "/static/sub", "/static/", "/static/example.txt/child", "/static/nope/x"):
        response = client.get(path)
        assert (response.status_code, response.text) == (404, "Not Found"), path


def test_range_request_gives_206(static_root: Path, test_client_factory: ClientFactory) -> None:
    response = test_client_factory(_app(directory=static_root)).get(
        "/static/example.txt", headers={"range": "bytes=1-4"}
    )
    assert response.status_code == 206
    assert response.content == b"file"
    assert response.headers["content-range"] == "bytes 1-4/14"


def test_lookup_runs_in_a_worker_thread(static_root: Path, test_client_factory: ClientFactory) -> None:
    threads: list[int] = []
    loop_threads: list[int] = []

    class Recording(StaticFiles):
        def lookup_path(self, path: str) -> tuple[str, os.stat_result | None]:
            threads.append(threading.get_ident())
            return super().lookup_path(path)

    static = Recording(directory=static_root)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        loop_threads.append(threading.get_ident())
        await static(scope, receive, send)

    assert test_client_factory(app).get("/example.txt").status_code == 200
    assert threads
    assert loop_threads[0] not in threads


# --- conditional requests ------------------------------------------------------------------


def test_if_none_match_gives_304(static_root: Path, test_client_factory: ClientFactory) -> None:
    client = test_client_factory(_app(directory=static_root))
    etag = client.get("/static/example.txt").headers["etag"]
    for value in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        response = client.get("/static/example.txt", headers={"if-none-match": value})
        assert response.status_code == 304, value
        assert response.content == b""
        assert response.headers["etag"] == etag
        assert "content-length" not in response.headers or response.headers["content-length"] == "0"
    response = client.get("/static/example.txt", headers={"if-none-match": '"stale"'})
    assert (response.status_code, response.text) == (200, "<file content>")


@pytest.mark.parametrize("value", ['"*"', '"a,*,b"', '"stale", *', "W/*"])
def test_star_only_matches_as_the_whole_if_none_match(
    static_root: Path, test_client_factory: ClientFactory, value: str
) -> None:
    # A quoted "*" is an (unlikely) entity tag, and a "*" inside a list is malformed: neither means "any".
    response = test_client_factory(_app(directory=static_root)).get(
        "/static/example.txt", headers={"if-none-match": value}
    )
    assert (response.status_code, response.text) == (200, "<file content>")


def test_if_modified_since(static_root: Path, test_client_factory: ClientFactory) -> None:
    client = test_client_factory(_app(directory=static_root))
    last_modified = client.get("/static/example.txt").headers["last-modified"]
    response = client.get("/static/example.txt", headers={"if-modified-since": last_modified})
    assert response.status_code == 304
    assert response.headers["etag"]
    later = formatdate(time.time() + 3600, usegmt=True)
    assert client.get("/static/example.txt", headers={"if-modified-since": later}).status_code == 304
    earlier = formatdate(os.stat(static_root / "example.txt").st_mtime - 3600, usegmt=True)
    response = client.get("/static/example.txt", headers={"if-modified-since": earlier})
    assert (response.status_code, response.text) == (200, "<file content>")
    garbage = client.get("/static/example.txt", headers={"if-modified-since": "not a date"})
    assert garbage.status_code == 200


def test_if_none_match_mismatch_wins_over_if_modified_since(
    static_root: Path, test_client_factory: ClientFactory
) -> None:
    client = test_client_factory(_app(directory=static_root))
    last_modified = client.get("/static/example.txt").headers["last-modified"]
    headers = {"if-none-match": '"stale"', "if-modified-since": last_modified}
    assert client.get("/static/example.txt", headers=headers).status_code == 200


# --- html mode -------------------------------------------------------------------------------


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    (root / "docs").mkdir(parents=True)
    (root / "empty").mkdir()
    (root / "index.html").write_text("<h1>home</h1>")
    (root / "docs" / "index.html").write_text("<h1>docs</h1>")
    (root / "404.html").write_text("<h1>custom 404</h1>")
    return root


def test_html_mode_serves_index_and_custom_404(site: Path, test_client_factory: ClientFactory) -> None:
    client = test_client_factory(_app(directory=site, html=True))
    response = client.get("/static/")
    assert (response.status_code, response.text) == (200, "<h1>home</h1>")
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert client.get("/static/docs/").text == "<h1>docs</h1>"
    for path in ("/static/missing", "/static/empty/"):
        response = client.get(path)
        assert (response.status_code, response.text) == (404, "<h1>custom 404</h1>")
        assert response.headers["content-type"] == "text/html; charset=utf-8"


def test_html_mode_redirects_directories_to_a_trailing_slash(site: Path, test_client_factory: ClientFactory) -> None:
    client = test_client_factory(_app(directory=site, html=True), follow_redirects=False)
    response = client.get("/static/docs?x=1")
    assert response.status_code == 307
    assert response.headers["location"] == "http://testserver/static/docs/?x=1"


def test_html_mode_without_404_page(site: Path, test_client_factory: ClientFactory) -> None:
    (site / "404.html").unlink()
    client = test_client_factory(_app(directory=site, html=True))
    response = client.get("/static/missing")
    assert (response.status_code, response.text) == (404, "Not Found")


def test_html_mode_deleted_index_is_not_cached(site: Path, test_client_factory: ClientFactory) -> None:
    client = test_client_factory(_app(directory=site, html=True))
    assert client.get("/static/docs/").status_code == 200
    (site / "docs" / "index.html").unlink()
    response = client.get("/static/docs/")
    assert (response.status_code, response.text) == (404, "<h1>custom 404</h1>")


# --- configuration ---------------------------------------------------------------------------


def test_missing_directory_fails_at_construction(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="does not exist"):
        StaticFiles(directory=tmp_path / "nope")


def test_unchecked_missing_directory_fails_on_first_request(tmp_path: Path, test_client_factory: ClientFactory) -> None:
    missing = tmp_path / "nope"
    client = test_client_factory(StaticFiles(directory=missing, check_dir=False))
    with pytest.raises(RuntimeError) as info:
        client.get("/example.txt")
    assert str(info.value) == f"StaticFiles directory '{missing}' does not exist."


def test_file_instead_of_directory_fails_on_first_request(tmp_path: Path, test_client_factory: ClientFactory) -> None:
    path = tmp_path / "file.txt"
    path.write_text("x")
    client = test_client_factory(StaticFiles(directory=path, check_dir=False))
    with pytest.raises(RuntimeError) as info:
        client.get("/")
    assert str(info.value) == f"StaticFiles path '{path}' is not a directory."


def test_config_is_checked_once(static_root: Path, test_client_factory: ClientFactory) -> None:
    app = StaticFiles(directory=static_root)
    client = test_client_factory(app)
    assert not app.config_checked
    with pytest.raises(HTTPException):
        client.get("/")
    assert app.config_checked
    assert client.get("/example.txt").status_code == 200


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Iterator[str]:
    name = f"h6_static_pkg_{abs(hash(request.node.nodeid))}"
    pkg = tmp_path / "pkgs" / name
    (pkg / "statics").mkdir(parents=True)
    (pkg / "assets").mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "statics" / "example.txt").write_text("from statics")
    (pkg / "assets" / "logo.svg").write_text("<svg/>")
    monkeypatch.syspath_prepend(str(tmp_path / "pkgs"))
    yield name
    sys.modules.pop(name, None)


def test_packages(package: str, static_root: Path, test_client_factory: ClientFactory) -> None:
    client = test_client_factory(StaticFiles(packages=[package]))
    assert client.get("/example.txt").text == "from statics"
    client = test_client_factory(StaticFiles(packages=[(package, "assets")]))
    assert client.get("/logo.svg").text == "<svg/>"
    combined = StaticFiles(directory=static_root, packages=[package, (package, "assets")])
    assert len(combined.all_directories) == 3
    client = test_client_factory(combined)
    assert client.get("/example.txt").text == "<file content>"  # the directory comes first
    assert client.get("/logo.svg").status_code == 200


def test_unknown_package_or_missing_statics_fail_at_construction(package: str) -> None:
    with pytest.raises(AssertionError, match="could not be found"):
        StaticFiles(packages=["h6_no_such_package_anywhere"])
    with pytest.raises(AssertionError, match="could not be found"):
        StaticFiles(packages=[(package, "no-such-dir")])


def test_get_path_strips_root_path(static_root: Path) -> None:
    app = StaticFiles(directory=static_root)
    assert app.get_path({"path": "/static/sub/./a/../nested.css", "root_path": "/static"}) == "sub/nested.css"
    assert app.get_path({"path": "/"}) == "."


# --- path traversal: every spelling is a 404 and never a file outside the root --------------


async def _assert_404(app: ASGIApp, path: str) -> None:
    status, body = await _raw_get(app, path)
    assert status == 404, path
    assert b"outside" not in body
    assert b"secret" not in body


@pytest.mark.anyio
async def test_traversal_with_dot_dot(static_root: Path) -> None:
    await _assert_404(_app(directory=static_root), "/static/../secret.txt")
    await _assert_404(_app(directory=static_root), "/static/sub/../../secret.txt")


def test_traversal_with_percent_encoded_dots(static_root: Path, test_client_factory: ClientFactory) -> None:
    client = test_client_factory(_app(directory=static_root))
    for path in ("/static/%2e%2e/secret.txt", "/static/%2E%2E/secret.txt", "/static/sub/%2e%2e/%2e%2e/secret.txt"):
        response = client.get(path)
        assert (response.status_code, response.text) == (404, "Not Found"), path


def test_traversal_with_encoded_slash(static_root: Path, test_client_factory: ClientFactory) -> None:
    client = test_client_factory(_app(directory=static_root))
    for path in ("/static/..%2fsecret.txt", "/static/..%2Fsecret.txt", "/static/sub%2f..%2f..%2fsecret.txt"):
        response = client.get(path)
        assert (response.status_code, response.text) == (404, "Not Found"), path


@pytest.mark.anyio
async def test_traversal_with_double_encoding(static_root: Path) -> None:
    # A server decodes the path once: "%252e%252e" arrives as the literal text "%2e%2e".
    for path in ("/static/%2e%2e/secret.txt", "/static/%2e%2e%2fsecret.txt", "/static/..%2fsecret.txt"):
        await _assert_404(_app(directory=static_root), path)


def test_traversal_with_double_encoding_through_the_client(
    static_root: Path, test_client_factory: ClientFactory
) -> None:
    client = test_client_factory(_app(directory=static_root))
    for path in ("/static/%252e%252e/secret.txt", "/static/%252e%252e%252fsecret.txt", "/static/..%252fsecret.txt"):
        response = client.get(path)
        assert (response.status_code, response.text) == (404, "Not Found"), path


@pytest.mark.anyio
async def test_traversal_with_backslashes(static_root: Path) -> None:
    for path in ("/static/..\\secret.txt", "/static/sub\\..\\..\\secret.txt", "/static/\\..\\secret.txt"):
        await _assert_404(_app(directory=static_root), path)


@pytest.mark.anyio
async def test_nul_byte_is_404_not_500(static_root: Path) -> None:
    await _assert_404(_app(directory=static_root), "/static/example.txt\x00.png")
    await _assert_404(_app(directory=static_root), "/static/\x00")


def test_nul_byte_through_the_client(static_root: Path, test_client_factory: ClientFactory) -> None:
    response = test_client_factory(_app(directory=static_root)).get("/static/example.txt%00")
    assert (response.status_code, response.text) == (404, "Not Found")


@pytest.mark.anyio
async def test_absolute_paths(static_root: Path, tmp_path: Path) -> None:
    await _assert_404(_app(directory=static_root), "/static/" + str(tmp_path / "secret.txt"))
    await _assert_404(_app(directory=static_root), "/static//" + str(tmp_path / "secret.txt").lstrip("/"))
    await _assert_404(_app(directory=static_root), "/static///etc/passwd")
    assert StaticFiles(directory=static_root).lookup_path(str(tmp_path / "secret.txt")) == ("", None)


@pytest.mark.anyio
async def test_unc_and_drive_paths(static_root: Path) -> None:
    for path in (
        "/static/\\\\server\\share\\secret.txt",
        "/static///server/share/secret.txt",
        "/static/C:\\secret.txt",
    ):
        await _assert_404(_app(directory=static_root), path)


@pytest.mark.anyio
async def test_sibling_directory_sharing_the_prefix(static_root: Path) -> None:
    await _assert_404(_app(directory=static_root), "/static/../static-secret/key.txt")
    app = StaticFiles(directory=static_root)
    with pytest.raises(HTTPException) as info:
        await app.get_response(app.get_path({"path": "/../static-secret/key.txt"}), {"method": "GET"})
    assert (info.value.status_code, info.value.detail) == (404, "Not Found")


@pytest.mark.anyio
async def test_symlink_out_of_the_root(static_root: Path, tmp_path: Path) -> None:
    (static_root / "link.txt").symlink_to(tmp_path / "secret.txt")
    (static_root / "linkdir").symlink_to(tmp_path / "static-secret")
    await _assert_404(_app(directory=static_root), "/static/link.txt")
    await _assert_404(_app(directory=static_root), "/static/linkdir/key.txt")


def test_symlink_followed_when_allowed(static_root: Path, tmp_path: Path, test_client_factory: ClientFactory) -> None:
    (static_root / "link.txt").symlink_to(tmp_path / "secret.txt")
    (static_root / "linkdir").symlink_to(tmp_path / "static-secret")
    client = test_client_factory(_app(directory=static_root, follow_symlink=True))
    assert client.get("/static/link.txt").text == "outside the root"
    assert client.get("/static/linkdir/key.txt").text == "sibling secret"


@pytest.mark.anyio
async def test_symlinked_root_still_refuses_dot_dot(tmp_path: Path) -> None:
    real = tmp_path / "real" / "statics"
    real.mkdir(parents=True)
    (tmp_path / "real" / "secret.txt").write_text("outside the root")
    (tmp_path / "linked").symlink_to(real)
    for follow in (False, True):
        await _assert_404(_app(directory=tmp_path / "linked", follow_symlink=follow), "/static/../secret.txt")


@pytest.mark.anyio
async def test_symlink_loop_is_404(static_root: Path) -> None:
    (static_root / "loop").symlink_to(static_root / "loop")
    for follow in (False, True):
        await _assert_404(_app(directory=static_root, follow_symlink=follow), "/static/loop")


def test_too_long_name_is_404(static_root: Path, test_client_factory: ClientFactory) -> None:
    response = test_client_factory(_app(directory=static_root)).get("/static/" + "x" * 300)
    assert (response.status_code, response.text) == (404, "Not Found")
