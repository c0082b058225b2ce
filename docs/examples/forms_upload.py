"""Read a form with a file upload, close the upload afterwards, and let limits reject abuse."""

from __future__ import annotations

from framework.applications import Application
from framework.datastructures import UploadFile
from framework.requests import Request
from framework.responses import JSONResponse
from framework.routing import Route
from framework.testclient import TestClient


async def upload_avatar(request: Request) -> JSONResponse:
    # `async with` closes every uploaded file when the block ends, also on error.
    async with request.form(max_files=1, max_fields=5, max_part_size=64 * 1024) as form:
        avatar = form["avatar"]
        assert isinstance(avatar, UploadFile)
        content = await avatar.read()
        return JSONResponse(
            {
                "user": form["user"],
                "filename": avatar.filename,
                "content_type": avatar.content_type,
                "size": len(content),
            }
        )


app = Application(routes=[Route("/avatar", upload_avatar, methods=["POST"])])

with TestClient(app) as client:
    response = client.post(
        "/avatar",
        data={"user": "ada"},
        files={"avatar": ("ada.png", b"\x89PNG fake image", "image/png")},
    )
    assert response.status_code == 200
    assert response.json() == {"user": "ada", "filename": "ada.png", "content_type": "image/png", "size": 15}

    # Two files where one is allowed: the client gets a 400 that says why.
    too_many = client.post(
        "/avatar",
        data={"user": "ada"},
        files=[("avatar", ("a.png", b"a", "image/png")), ("avatar", ("b.png", b"b", "image/png"))],
    )
    assert too_many.status_code == 400
    assert too_many.text == "Too many files. Maximum number of files is 1."

    # A text field over `max_part_size` is refused as soon as it crosses the limit.
    huge = client.post("/avatar", data={"user": "x" * 100_000}, files={"avatar": ("a.png", b"a", "image/png")})
    assert (huge.status_code, huge.text) == (400, "Part exceeded maximum size of 64KB.")

    # URL-encoded forms have the same limits.
    fields = client.post("/avatar", data={f"field{i}": "v" for i in range(6)})
    assert (fields.status_code, fields.text) == (400, "Too many fields. Maximum number of fields is 5.")
