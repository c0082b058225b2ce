"""URL, QueryParams, Headers and MutableHeaders as endpoints and middleware see them."""

from __future__ import annotations

from framework.applications import Application
from framework.datastructures import URL, Headers, MutableHeaders, QueryParams
from framework.requests import Request
from framework.responses import JSONResponse
from framework.routing import Route
from framework.testclient import TestClient


async def search(request: Request) -> JSONResponse:
    url = request.url
    next_page = url.include_query_params(page=int(request.query_params.get("page", "1")) + 1)
    response = JSONResponse(
        {
            "path": url.path,
            "tags": request.query_params.getlist("tag"),
            "agent": request.headers["User-Agent"],  # case-insensitive
            "next": str(next_page),
        }
    )
    response.headers.add_vary_header("User-Agent")
    return response


app = Application(routes=[Route("/search", search)])

with TestClient(app) as client:
    response = client.get("/search?tag=a&tag=b", headers={"user-agent": "docs"})
    assert response.status_code == 200
    assert response.json() == {
        "path": "/search",
        "tags": ["a", "b"],
        "agent": "docs",
        "next": "http://testserver/search?tag=a&tag=b&page=2",
    }
    assert response.headers["vary"] == "User-Agent"

# The same types work on their own.
url = URL("https://user:hunter2@example.org:8443/a?x=1")
assert (url.hostname, url.port, url.is_secure) == ("example.org", 8443, True)
assert repr(url) == "URL('https://user:********@example.org:8443/a?x=1')"
assert url.replace(path="/b").remove_query_params("x") == "https://user:hunter2@example.org:8443/b"

params = QueryParams("a=1&a=2&b=")
assert params["a"] == "2"
assert params.getlist("a") == ["1", "2"]
assert params["b"] == ""

headers = MutableHeaders(Headers({"Content-Type": "text/plain"}))
headers.append("Set-Cookie", "a=1")
headers.append("Set-Cookie", "b=2")
assert headers.getlist("set-cookie") == ["a=1", "b=2"]
assert headers.raw[0] == (b"content-type", b"text/plain")
