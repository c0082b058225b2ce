"""Serve a file: download name, HEAD, and byte ranges for resumable downloads and media players."""

from __future__ import annotations

from pathlib import Path

from framework.applications import Application
from framework.requests import Request
from framework.responses import FileResponse
from framework.routing import Route
from framework.testclient import TestClient

REPORT = Path("report.csv")
REPORT.write_text("id,name\n" + "".join(f"{i},item {i}\n" for i in range(100)))


async def download(request: Request) -> FileResponse:
    return FileResponse(REPORT, filename="rapport été.csv")


app = Application(routes=[Route("/report", download, methods=["GET", "HEAD"])])
size = REPORT.stat().st_size

with TestClient(app) as client:
    full = client.get("/report")
    assert full.status_code == 200
    assert full.content == REPORT.read_bytes()
    assert full.headers["content-type"] == "text/csv; charset=utf-8"
    assert full.headers["accept-ranges"] == "bytes"
    # A non-ASCII name is sent in the RFC 5987 form every browser understands.
    assert full.headers["content-disposition"] == "attachment; filename*=utf-8''rapport%20%C3%A9t%C3%A9.csv"

    head = client.head("/report")
    assert (head.content, head.headers["content-length"]) == (b"", str(size))

    # Resume a download: the rest of the file after byte 99, only if it has not changed (If-Range).
    rest = client.get("/report", headers={"Range": "bytes=100-", "If-Range": full.headers["etag"]})
    assert rest.status_code == 206
    assert rest.headers["content-range"] == f"bytes 100-{size - 1}/{size}"
    assert rest.content == REPORT.read_bytes()[100:]

    # Several ranges come back as one multipart/byteranges body.
    parts = client.get("/report", headers={"Range": "bytes=0-6, -10"})
    assert parts.status_code == 206
    assert parts.headers["content-type"].startswith("multipart/byteranges; boundary=")

    # A range past the end of the file.
    beyond = client.get("/report", headers={"Range": f"bytes={size}-"})
    assert (beyond.status_code, beyond.headers["content-range"]) == (416, f"bytes */{size}")
