"""Serve a directory of assets and an HTML site, with caching validators and traversal protection."""

from __future__ import annotations

from pathlib import Path

from framework.applications import Application
from framework.routing import Mount
from framework.staticfiles import StaticFiles
from framework.testclient import TestClient

# The files this example serves (created in the current directory).
Path("assets/css").mkdir(parents=True, exist_ok=True)
Path("assets/css/site.css").write_text("body { margin: 0 }\n")
Path("site/guide").mkdir(parents=True, exist_ok=True)
Path("site/index.html").write_text("<h1>Home</h1>")
Path("site/guide/index.html").write_text("<h1>Guide</h1>")
Path("site/404.html").write_text("<h1>No such page</h1>")
Path("private.txt").write_text("not for the web")

app = Application(
    routes=[
        Mount("/static", app=StaticFiles(directory="assets"), name="static"),
        Mount("/", app=StaticFiles(directory="site", html=True), name="site"),
    ]
)

with TestClient(app) as client:
    css = client.get("/static/css/site.css")
    assert css.status_code == 200
    assert css.headers["content-type"] == "text/css; charset=utf-8"

    # A browser revalidating its cached copy gets an empty 304.
    cached = client.get("/static/css/site.css", headers={"If-None-Match": css.headers["etag"]})
    assert (cached.status_code, cached.content) == (304, b"")

    # Only GET and HEAD.
    assert client.post("/static/css/site.css").status_code == 405

    # HTML mode: index.html for directories, a redirect to add the slash, and the site's 404 page.
    assert client.get("/").text == "<h1>Home</h1>"
    redirect = client.get("/guide", follow_redirects=False)
    assert (redirect.status_code, redirect.headers["location"]) == (307, "http://testserver/guide/")
    assert client.get("/guide/").text == "<h1>Guide</h1>"
    missing = client.get("/nowhere")
    assert (missing.status_code, missing.text) == (404, "<h1>No such page</h1>")

    # No spelling of ".." reaches a file outside the directory.
    for path in ("/static/%2e%2e/private.txt", "/static/..%2fprivate.txt", "/static/css/..%2f..%2f..%2fprivate.txt"):
        response = client.get(path)
        assert response.status_code == 404
        assert "not for the web" not in response.text
