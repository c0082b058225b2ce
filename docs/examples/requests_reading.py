"""Read a request: URL parts, headers, cookies, a JSON body (a 400 when it is not JSON) and a form."""

from __future__ import annotations

from framework.applications import Application
from framework.requests import Request
from framework.responses import JSONResponse
from framework.routing import Route
from framework.testclient import TestClient


async def inspect(request: Request) -> JSONResponse:
    return JSONResponse(
        {
            "method": request.method,
            "path": request.url.path,
            "page": request.query_params.get("page", "1"),
            "agent": request.headers.get("user-agent"),
            "theme": request.cookies.get("theme"),
            "item_id": request.path_params["item_id"],
        }
    )


async def create_note(request: Request) -> JSONResponse:
    note = await request.json()  # Not JSON? The client gets a 400, the handler never sees it.
    return JSONResponse({"saved": note["text"]}, status_code=201)


async def upload(request: Request) -> JSONResponse:
    # `async with` closes the uploaded files when the block ends.
    async with request.form(max_files=1, max_fields=10) as form:
        photo = form["photo"]
        assert not isinstance(photo, str)
        size = len(await photo.read())
        return JSONResponse({"title": form["title"], "filename": photo.filename, "size": size})


app = Application(
    routes=[
        Route("/items/{item_id:int}", inspect),
        Route("/notes", create_note, methods=["POST"]),
        Route("/photos", upload, methods=["POST"]),
    ]
)

with TestClient(app) as client:
    response = client.get("/items/7?page=2", headers={"user-agent": "docs", "cookie": "theme=dark"})
    assert response.json() == {
        "method": "GET",
        "path": "/items/7",
        "page": "2",
        "agent": "docs",
        "theme": "dark",
        "item_id": 7,
    }

    assert client.post("/notes", json={"text": "hello"}).json() == {"saved": "hello"}

    broken = client.post("/notes", content=b'{"text": ', headers={"content-type": "application/json"})
    assert broken.status_code == 400
    assert broken.text == "Invalid JSON in request body: Expecting value: line 1 column 10 (char 9)"

    files = {"photo": ("cat.jpg", b"\xff\xd8 pretend jpeg", "image/jpeg")}
    response = client.post("/photos", data={"title": "Cat"}, files=files)
    assert response.json() == {"title": "Cat", "filename": "cat.jpg", "size": 15}

    too_many = {"photo": ("a.jpg", b"a"), "other": ("b.jpg", b"b")}
    assert client.post("/photos", data={"title": "Two"}, files=too_many).status_code == 400
