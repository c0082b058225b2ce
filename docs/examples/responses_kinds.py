"""The response classes: JSON, HTML, plain text, redirects, cookies and streamed bodies."""

from __future__ import annotations

from collections.abc import AsyncIterator

from framework.applications import Application
from framework.requests import Request
from framework.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from framework.routing import Route
from framework.testclient import TestClient


async def profile(request: Request) -> JSONResponse:
    return JSONResponse({"name": "Zoë", "roles": ["admin"]}, headers={"cache-control": "no-store"})


async def page(request: Request) -> HTMLResponse:
    return HTMLResponse("<h1>Hello</h1>")


async def old_page(request: Request) -> RedirectResponse:
    return RedirectResponse(url="/page", status_code=301)


async def login(request: Request) -> Response:
    response = PlainTextResponse("welcome")
    response.set_cookie("session", "s3cr3t", max_age=3600, httponly=True, secure=True, samesite="strict")
    return response


async def countdown(request: Request) -> StreamingResponse:
    async def numbers() -> AsyncIterator[str]:
        for number in (3, 2, 1):
            yield f"{number}\n"

    return StreamingResponse(numbers(), media_type="text/plain")


async def deleted(request: Request) -> Response:
    return Response(status_code=204)


app = Application(
    routes=[
        Route("/profile", profile),
        Route("/page", page),
        Route("/old-page", old_page),
        Route("/login", login, methods=["POST"]),
        Route("/countdown", countdown),
        Route("/deleted", deleted, methods=["DELETE"]),
    ]
)

with TestClient(app) as client:
    response = client.get("/profile")
    assert response.content == '{"name":"Zoë","roles":["admin"]}'.encode()  # compact UTF-8
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"

    assert client.get("/page").headers["content-type"] == "text/html; charset=utf-8"

    moved = client.get("/old-page", follow_redirects=False)
    assert (moved.status_code, moved.headers["location"]) == (301, "/page")

    cookie = client.post("/login").headers["set-cookie"]
    assert cookie.startswith("session=s3cr3t; ")
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie

    assert client.get("/countdown").text == "3\n2\n1\n"

    empty = client.delete("/deleted")
    assert empty.status_code == 204
    assert "content-length" not in empty.headers
