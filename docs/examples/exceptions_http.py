"""Raise HTTPException from an endpoint; the application turns it into an error response."""

from __future__ import annotations

from framework.applications import Application
from framework.exceptions import HTTPException
from framework.requests import Request
from framework.responses import PlainTextResponse
from framework.routing import Route
from framework.testclient import TestClient

BOOKS = {1: "Dune"}


async def get_book(request: Request) -> PlainTextResponse:
    book_id = request.path_params["book_id"]
    if book_id not in BOOKS:
        raise HTTPException(status_code=404, detail=f"Book {book_id} does not exist.")
    return PlainTextResponse(BOOKS[book_id])


async def admin(request: Request) -> PlainTextResponse:
    # No detail: the standard reason phrase is used. Headers go out with the error response.
    raise HTTPException(status_code=401, headers={"WWW-Authenticate": "Bearer"})


app = Application(
    routes=[
        Route("/books/{book_id:int}", get_book),
        Route("/admin", admin),
    ]
)

with TestClient(app) as client:
    assert client.get("/books/1").text == "Dune"

    missing = client.get("/books/2")
    assert missing.status_code == 404
    assert missing.text == "Book 2 does not exist."

    denied = client.get("/admin")
    assert denied.status_code == 401
    assert denied.text == "Unauthorized"
    assert denied.headers["www-authenticate"] == "Bearer"

exc = HTTPException(404)
assert str(exc) == "404: Not Found"
assert repr(exc) == "HTTPException(status_code=404, detail='Not Found')"
