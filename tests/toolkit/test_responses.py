from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel
import pytest

from framework.background import BackgroundTask
from framework.datastructures import MutableHeaders
from framework.requests import ClientDisconnect
from framework.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from framework.testclient import TestClient
from framework.types import ASGIApp, Message, Receive, Scope, Send

TestClientFactory = Callable[..., TestClient]

FILE_CONTENT = bytes(range(256)) * 4  # 1024 bytes, every byte value, so offsets are checkable.


def http_scope(**overrides: Any) -> Scope:
    scope: Scope = {"type": "http", "method": "GET", "path": "/", "headers": [], "query_string": b""}
    scope.update(overrides)
    return scope


async def call(app: ASGIApp, scope: Scope, receive: Receive | None = None) -> list[Message]:
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def never_disconnect() -> Message:
        await anyio.sleep_forever()
        raise AssertionError("unreachable")  # pragma: no cover

    await app(scope, receive or never_disconnect, send)
    return sent


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    path = tmp_path / "data.bin"
    path.write_bytes(FILE_CONTENT)
    return path


def file_app(path: Path, **kwargs: Any) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await FileResponse(path, **kwargs)(scope, receive, send)

    return app


# --- Response --------------------------------------------------------------------------------------------------


def test_text_body_with_charset(test_client_factory: TestClientFactory) -> None:
    response = test_client_factory(PlainTextResponse("héllo")).get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["content-length"] == str(len("héllo".encode()))
    assert response.text == "héllo"


def test_bytes_body_and_custom_status(test_client_factory: TestClientFactory) -> None:
    app = Response(b"\x00\x01", status_code=201, media_type="application/octet-stream")
    response = test_client_factory(app).get("/")
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.content == b"\x00\x01"


def test_raw_headers_are_built_directly() -> None:
    response = JSONResponse({"a": 1})
    assert response.raw_headers == [(b"content-length", b"7"), (b"content-type", b"application/json")]
    assert Response().raw_headers == [(b"content-length", b"0")]


@pytest.mark.parametrize("status_code", [100, 204, 304])
def test_no_content_length_for_bodiless_statuses(status_code: int) -> None:
    response = Response(status_code=status_code)
    assert b"content-length" not in [key for key, _ in response.raw_headers]


def test_caller_headers_win_and_are_lowercased() -> None:
    response = Response(
        "body", media_type="text/html", headers={"Content-Type": "text/x-custom", "Content-Length": "99", "X-A": "1"}
    )
    assert response.raw_headers == [(b"content-type", b"text/x-custom"), (b"content-length", b"99"), (b"x-a", b"1")]


def test_charset_rules() -> None:
    assert HTMLResponse("x").headers["content-type"] == "text/html; charset=utf-8"
    assert Response("x", media_type="text/csv; charset=latin-1").headers["content-type"] == "text/csv; charset=latin-1"
    assert Response("x", media_type="application/xml").headers["content-type"] == "application/xml"

    class Latin1(PlainTextResponse):
        charset = "latin-1"

    response = Latin1("é")
    assert response.body == b"\xe9"
    assert response.headers["content-type"] == "text/plain; charset=latin-1"


@pytest.mark.parametrize("size", [0, 1, 2047, 2048, 2049, 70000])
def test_content_length_of_every_size(size: int) -> None:
    # Small lengths come from a shared table of header tuples, large ones are built each time.
    for _ in range(2):
        assert Response(b"x" * size).raw_headers == [(b"content-length", str(size).encode())]


def test_shared_header_values_are_not_changed_through_one_response() -> None:
    first = PlainTextResponse("abc")
    first.headers["content-type"] = "text/x-other"
    first.headers["content-length"] = "99"
    first.raw_headers.append((b"x-extra", b"1"))
    assert PlainTextResponse("abc").raw_headers == [
        (b"content-length", b"3"),
        (b"content-type", b"text/plain; charset=utf-8"),
    ]


def test_many_distinct_media_types_all_get_their_own_header() -> None:
    for number in range(600):
        media_type = f"text/x-type-{number}"
        expected = f"{media_type}; charset=utf-8".encode()
        assert Response("x", media_type=media_type).raw_headers[-1] == (b"content-type", expected)
        assert Response("x", media_type=media_type).raw_headers[-1] == (b"content-type", expected)


def test_charset_is_part_of_the_remembered_content_type() -> None:
    class Latin1(HTMLResponse):
        charset = "latin-1"

    assert HTMLResponse("x").headers["content-type"] == "text/html; charset=utf-8"
    assert Latin1("x").headers["content-type"] == "text/html; charset=latin-1"
    assert HTMLResponse("x").headers["content-type"] == "text/html; charset=utf-8"


def test_response_without_body_attribute_gets_no_content_length() -> None:
    class Bodiless(Response):
        def __init__(self) -> None:
            self.status_code = 200
            self.init_headers({"x-a": "1"})

    assert Bodiless().raw_headers == [(b"x-a", b"1")]


def test_memoryview_content_length_counts_bytes() -> None:
    view = memoryview(bytearray(12)).cast("I")
    response = Response(view)
    assert response.headers["content-length"] == "12"


def test_headers_property_writes_through_to_raw_headers() -> None:
    response = Response("x")
    assert isinstance(response.headers, MutableHeaders)
    response.headers["x-extra"] = "1"
    assert (b"x-extra", b"1") in response.raw_headers
    assert response.headers is response.headers


def test_background_runs_after_body(test_client_factory: TestClientFactory) -> None:
    events: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        async def recording_send(message: Message) -> None:
            events.append(message["type"])
            await send(message)

        task = BackgroundTask(events.append, "background")
        await Response("ok", background=task)(scope, receive, recording_send)

    response = test_client_factory(app).get("/")
    assert response.text == "ok"
    assert events == ["http.response.start", "http.response.body", "background"]


@pytest.mark.anyio
async def test_response_as_websocket_denial() -> None:
    sent = await call(PlainTextResponse("denied", status_code=403), {"type": "websocket", "headers": []})
    assert [message["type"] for message in sent] == ["websocket.http.response.start", "websocket.http.response.body"]
    assert sent[0]["status"] == 403
    assert sent[1]["body"] == b"denied"


# --- JSON, redirect -------------------------------------------------------------------------------------------


def test_json_is_compact_and_utf8(test_client_factory: TestClientFactory) -> None:
    app = JSONResponse({"name": "Zoë", "items": [1, None, True]})
    response = test_client_factory(app).get("/")
    assert response.content == '{"name":"Zoë","items":[1,null,true]}'.encode()
    assert response.headers["content-type"] == "application/json"


def test_json_refuses_nan() -> None:
    with pytest.raises(ValueError):
        JSONResponse({"x": float("nan")})


def test_json_none_and_custom_media_type() -> None:
    assert JSONResponse(None).body == b"null"
    response = JSONResponse([], media_type="application/vnd.api+json", status_code=202)
    assert response.headers["content-type"] == "application/vnd.api+json"
    assert response.status_code == 202


def test_json_render_can_be_overridden() -> None:
    class SortedJSON(JSONResponse):
        def render(self, content: Any) -> bytes:
            return repr(sorted(content)).encode()

    assert SortedJSON({"b": 1, "a": 2}).body == b"['a', 'b']"


def test_redirect(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] == "/":
            await PlainTextResponse("home")(scope, receive, send)
        else:
            await RedirectResponse("/")(scope, receive, send)

    client = test_client_factory(app)
    response = client.get("/old", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "/"
    assert response.headers["content-length"] == "0"
    assert client.get("/old").text == "home"


def test_redirect_quotes_unsafe_characters_only() -> None:
    response = RedirectResponse("/a b/ü?q=1&r=%20#frag", status_code=301)
    assert response.status_code == 301
    assert response.headers["location"] == "/a%20b/%C3%BC?q=1&r=%20#frag"
    response = RedirectResponse("https://example.org/x?y=[1]")
    assert response.headers["location"] == "https://example.org/x?y=[1]"


# --- cookies --------------------------------------------------------------------------------------------------


def test_set_cookie_with_every_attribute(test_client_factory: TestClientFactory) -> None:
    response = Response("x")
    response.set_cookie(
        "session",
        "abc",
        max_age=60,
        expires=120,
        path="/admin",
        domain="example.org",
        secure=True,
        httponly=True,
        samesite="strict",
    )
    header = response.headers["set-cookie"]
    parts = {part.strip().split("=")[0].lower() for part in header.split(";")}
    assert header.startswith("session=abc; ")
    assert {"expires", "max-age", "path", "domain", "secure", "httponly", "samesite"} <= parts
    assert "Path=/admin" in header
    assert "SameSite=strict" in header


def test_set_cookie_defaults_and_several_cookies() -> None:
    response = Response()
    response.set_cookie("a", "1")
    response.set_cookie("b", "2")
    assert response.headers.getlist("set-cookie") == ["a=1; Path=/; SameSite=lax", "b=2; Path=/; SameSite=lax"]


def test_set_cookie_expires_datetime_and_string() -> None:
    response = Response()
    response.set_cookie("a", expires=dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC))
    response.set_cookie("b", expires="Thu, 01 Jan 2037 00:00:00 GMT")
    first, second = response.headers.getlist("set-cookie")
    assert "expires=Wed, 02 Jan 2030 03:04:05 GMT" in first
    assert "expires=Thu, 01 Jan 2037 00:00:00 GMT" in second


def test_set_cookie_samesite_is_validated() -> None:
    with pytest.raises(AssertionError, match="samesite must be either 'strict', 'lax' or 'none'"):
        Response().set_cookie("a", samesite="sometimes")  # type: ignore[arg-type]
    response = Response()
    response.set_cookie("a", samesite=None)
    assert "samesite" not in response.headers["set-cookie"].lower()


@pytest.mark.parametrize("action", ["set", "delete"])
def test_partitioned_cookie_needs_python_3_14(action: str) -> None:
    response = Response()

    def write() -> None:
        if action == "set":
            response.set_cookie("chip", "1", secure=True, samesite="none", partitioned=True)
        else:
            response.delete_cookie("chip", secure=True, samesite="none", partitioned=True)

    if sys.version_info < (3, 14):
        with pytest.raises(ValueError, match=r"only supported in Python 3\.14 and above"):
            write()
        assert "set-cookie" not in response.headers
    else:  # pragma: no cover - Python 3.14+
        write()
        header = response.headers["set-cookie"]
        assert header.startswith("chip=")
        assert "Partitioned" in header
        assert "Secure" in header


def test_delete_cookie(test_client_factory: TestClientFactory) -> None:
    response = Response()
    response.delete_cookie("session", path="/x", secure=True, httponly=True)
    header = response.headers["set-cookie"]
    assert header.startswith('session=""; ')
    assert "Max-Age=0" in header
    assert "expires=" in header
    assert "Path=/x" in header


def test_cookie_reaches_the_client(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        response = PlainTextResponse("set")
        response.set_cookie("flavour", "oat")
        await response(scope, receive, send)

    client = test_client_factory(app)
    assert client.get("/").cookies["flavour"] == "oat"


# --- streaming ------------------------------------------------------------------------------------------------


def test_streaming_async_iterator(test_client_factory: TestClientFactory) -> None:
    async def numbers() -> AsyncIterator[str]:
        for number in range(3):
            yield f"{number},"
            await anyio.lowlevel.checkpoint()

    app = StreamingResponse(numbers(), media_type="text/csv")
    response = test_client_factory(app).get("/")
    assert response.text == "0,1,2,"
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "content-length" not in response.headers


def test_streaming_sync_iterator_runs_in_thread(test_client_factory: TestClientFactory) -> None:
    import threading

    threads: set[int] = set()

    def chunks() -> Iterator[bytes]:
        for chunk in (b"a", b"b", memoryview(b"c")):
            threads.add(threading.get_ident())
            yield bytes(chunk)

    response = test_client_factory(StreamingResponse(chunks())).get("/")
    assert response.content == b"abc"
    assert threading.get_ident() not in threads


def test_streaming_background_and_headers(test_client_factory: TestClientFactory) -> None:
    done: list[bool] = []

    async def chunks() -> AsyncIterator[bytes]:
        yield b"x"

    app = StreamingResponse(
        chunks(), status_code=202, headers={"x-a": "1"}, background=BackgroundTask(done.append, True)
    )
    response = test_client_factory(app).get("/")
    assert (response.status_code, response.headers["x-a"], response.content, done) == (202, "1", b"x", [True])


@pytest.mark.anyio
async def test_streaming_stops_on_disconnect_message_before_spec_2_4() -> None:
    produced: list[int] = []

    async def forever() -> AsyncIterator[bytes]:
        number = 0
        while True:
            produced.append(number)
            number += 1
            yield b"."
            await anyio.sleep(0.001)

    async def receive() -> Message:
        await anyio.sleep(0.05)
        return {"type": "http.disconnect"}

    with anyio.fail_after(5):
        sent = await call(StreamingResponse(forever()), http_scope(asgi={"spec_version": "2.3"}), receive)
    assert sent[0]["type"] == "http.response.start"
    assert 0 < len(produced) < 1000


@pytest.mark.anyio
async def test_streaming_turns_oserror_into_client_disconnect_on_spec_2_4() -> None:
    sent: list[Message] = []
    cleaned_up: list[bool] = []

    async def send(message: Message) -> None:
        if message["type"] == "http.response.body":
            raise OSError("connection lost")
        sent.append(message)

    async def chunks() -> AsyncIterator[bytes]:
        try:
            yield b"a"
            yield b"b"  # pragma: no cover
        finally:
            cleaned_up.append(True)

    async def receive() -> Message:  # pragma: no cover - must not be listened to on 2.4
        raise AssertionError("receive() should not be called")

    response = StreamingResponse(chunks())
    with pytest.raises(ClientDisconnect):
        await response(http_scope(asgi={"spec_version": "2.4"}), receive, send)
    assert [message["type"] for message in sent] == ["http.response.start"]
    assert cleaned_up == [True]


@pytest.mark.anyio
async def test_streaming_websocket_denial() -> None:
    async def chunks() -> AsyncIterator[str]:
        yield "no"

    sent = await call(StreamingResponse(chunks(), status_code=401), {"type": "websocket", "headers": []})
    assert [message["type"] for message in sent] == [
        "websocket.http.response.start",
        "websocket.http.response.body",
        "websocket.http.response.body",
    ]


# --- files ----------------------------------------------------------------------------------------------------


def test_file_response(test_client_factory: TestClientFactory, data_file: Path) -> None:
    client = test_client_factory(file_app(data_file, filename="report.bin"))
    response = client.get("/")
    assert response.status_code == 200
    assert response.content == FILE_CONTENT
    assert response.headers["content-length"] == str(len(FILE_CONTENT))
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["content-disposition"] == 'attachment; filename="report.bin"'
    assert response.headers["etag"].startswith('"')
    assert response.headers["last-modified"].endswith(" GMT")


def test_file_response_in_chunks(test_client_factory: TestClientFactory, tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    content = os.urandom(FileResponse.chunk_size * 2 + 10)
    path.write_bytes(content)
    response = test_client_factory(file_app(path)).get("/")
    assert response.content == content
    assert response.headers["content-type"] == "text/plain; charset=utf-8"


def test_file_response_unicode_filename_and_inline(test_client_factory: TestClientFactory, data_file: Path) -> None:
    client = test_client_factory(file_app(data_file, filename="résumé 1.pdf", content_disposition_type="inline"))
    response = client.get("/")
    assert response.headers["content-disposition"] == "inline; filename*=utf-8''r%C3%A9sum%C3%A9%201.pdf"
    assert response.headers["content-type"] == "application/pdf"


def test_file_response_head_has_headers_only(test_client_factory: TestClientFactory, data_file: Path) -> None:
    response = test_client_factory(file_app(data_file)).head("/")
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == str(len(FILE_CONTENT))


def test_file_response_with_stat_result(test_client_factory: TestClientFactory, data_file: Path) -> None:
    stat_result = os.stat(data_file)
    response = FileResponse(data_file, stat_result=stat_result, media_type="image/png")
    assert response.headers["content-length"] == str(len(FILE_CONTENT))
    assert response.headers["content-type"] == "image/png"
    assert test_client_factory(response).get("/").content == FILE_CONTENT


def test_file_response_missing_file_and_directory(test_client_factory: TestClientFactory, tmp_path: Path) -> None:
    client = test_client_factory(file_app(tmp_path / "missing.txt"))
    with pytest.raises(RuntimeError, match="does not exist"):
        client.get("/")
    client = test_client_factory(file_app(tmp_path))
    with pytest.raises(RuntimeError, match="is not a file"):
        client.get("/")


@pytest.mark.anyio
async def test_file_response_uses_pathsend(data_file: Path) -> None:
    scope = http_scope(extensions={"http.response.pathsend": {}})
    sent = await call(FileResponse(data_file), scope)
    assert sent[1] == {"type": "http.response.pathsend", "path": str(data_file)}


def test_single_range(test_client_factory: TestClientFactory, data_file: Path) -> None:
    client = test_client_factory(file_app(data_file))
    response = client.get("/", headers={"Range": "bytes=10-19"})
    assert response.status_code == 206
    assert response.content == FILE_CONTENT[10:20]
    assert response.headers["content-range"] == "bytes 10-19/1024"
    assert response.headers["content-length"] == "10"

    response = client.get("/", headers={"Range": "bytes=1000-"})
    assert response.content == FILE_CONTENT[1000:]
    assert response.headers["content-range"] == "bytes 1000-1023/1024"

    response = client.get("/", headers={"Range": "bytes=-4"})
    assert response.content == FILE_CONTENT[-4:]

    # A suffix longer than the file, and an end past it, are clamped.
    response = client.get("/", headers={"Range": "bytes=-5000"})
    assert (response.status_code, response.content) == (206, FILE_CONTENT)
    response = client.get("/", headers={"Range": "bytes=1020-9999"})
    assert response.content == FILE_CONTENT[1020:]


def test_range_on_head_sends_no_body(test_client_factory: TestClientFactory, data_file: Path) -> None:
    response = test_client_factory(file_app(data_file)).head("/", headers={"Range": "bytes=0-9"})
    assert response.status_code == 206
    assert response.headers["content-length"] == "10"
    assert response.content == b""


def _parse_multipart(body: bytes, boundary: str) -> list[tuple[dict[str, str], bytes]]:
    assert body.endswith(f"--{boundary}--".encode())
    parts = []
    for raw in body.split(f"--{boundary}".encode())[1:-1]:
        head, _, content = raw[2:].partition(b"\r\n\r\n")
        headers = dict(line.decode().split(": ", 1) for line in head.split(b"\r\n"))
        assert content.endswith(b"\r\n")
        parts.append((headers, content[:-2]))
    return parts


def test_multiple_ranges(test_client_factory: TestClientFactory, data_file: Path) -> None:
    response = test_client_factory(file_app(data_file)).get("/", headers={"Range": "bytes=500-509, 0-4, -3"})
    assert response.status_code == 206
    content_type = response.headers["content-type"]
    assert content_type.startswith("multipart/byteranges; boundary=")
    assert "content-range" not in response.headers
    assert int(response.headers["content-length"]) == len(response.content)
    boundary = content_type.split("boundary=")[1]
    parts = _parse_multipart(response.content, boundary)
    assert [headers["Content-Range"] for headers, _ in parts] == [
        "bytes 0-4/1024",
        "bytes 500-509/1024",
        "bytes 1021-1023/1024",
    ]
    assert [content for _, content in parts] == [FILE_CONTENT[0:5], FILE_CONTENT[500:510], FILE_CONTENT[1021:]]
    assert all(headers["Content-Type"] == "application/octet-stream" for headers, _ in parts)


def test_overlapping_and_adjacent_ranges_merge(test_client_factory: TestClientFactory, data_file: Path) -> None:
    client = test_client_factory(file_app(data_file))
    response = client.get("/", headers={"Range": "bytes=0-9, 5-14, 15-19"})
    assert response.status_code == 206
    assert response.headers["content-range"] == "bytes 0-19/1024"
    assert response.content == FILE_CONTENT[:20]


def test_range_response_does_not_change_the_response_headers(
    test_client_factory: TestClientFactory, data_file: Path
) -> None:
    response = FileResponse(data_file)
    client = test_client_factory(response)
    assert client.get("/", headers={"Range": "bytes=0-1"}).status_code == 206
    assert client.get("/", headers={"Range": "bytes=0-1,4-5"}).status_code == 206
    full = client.get("/")
    assert (full.status_code, full.content, full.headers["content-type"]) == (
        200,
        FILE_CONTENT,
        "application/octet-stream",
    )
    assert "content-range" not in full.headers


@pytest.mark.parametrize(
    ("range_header", "message"),
    [
        ("bytes", "Malformed range header."),
        ("items=0-1", "Only support bytes range"),
        ("bytes=", "Range header: range must be requested"),
        ("bytes=abc, -, 5", "Range header: range must be requested"),
        ("bytes=10-5", "Range header: start must be less than end"),
        ("bytes=5-4", "Range header: start must be less than end"),
    ],
)
def test_malformed_range_is_400(
    test_client_factory: TestClientFactory, data_file: Path, range_header: str, message: str
) -> None:
    response = test_client_factory(file_app(data_file)).get("/", headers={"Range": range_header})
    assert response.status_code == 400
    assert response.text == message


@pytest.mark.parametrize("range_header", ["bytes=1024-", "bytes=2000-3000", "bytes=0-1, 5000-5001", "bytes=-0"])
def test_unsatisfiable_range_is_416(test_client_factory: TestClientFactory, data_file: Path, range_header: str) -> None:
    response = test_client_factory(file_app(data_file)).get("/", headers={"Range": range_header})
    assert response.status_code == 416
    assert response.headers["content-range"] == "bytes */1024"
    assert response.content == b""


def test_if_range(test_client_factory: TestClientFactory, data_file: Path) -> None:
    client = test_client_factory(file_app(data_file))
    headers = client.get("/").headers
    for validator in (headers["etag"], headers["last-modified"]):
        response = client.get("/", headers={"Range": "bytes=0-1", "If-Range": validator})
        assert (response.status_code, response.content) == (206, FILE_CONTENT[:2])
    for stale in ('"other-etag"', "Mon, 01 Jan 2001 00:00:00 GMT"):
        response = client.get("/", headers={"Range": "bytes=0-1", "If-Range": stale})
        assert (response.status_code, response.content) == (200, FILE_CONTENT)


def test_up_to_max_ranges_are_served(test_client_factory: TestClientFactory, data_file: Path) -> None:
    ranges = ", ".join(f"{i * 10}-{i * 10}" for i in range(FileResponse.max_ranges))
    response = test_client_factory(file_app(data_file)).get("/", headers={"Range": f"bytes={ranges}"})
    assert response.status_code == 206
    assert response.content.count(b"Content-Range: ") == FileResponse.max_ranges


def test_hostile_range_header_gets_the_whole_file(test_client_factory: TestClientFactory, data_file: Path) -> None:
    # Thousands of tiny disjoint ranges: parsing stops at the comma count and the whole file is sent once.
    ranges = ",".join(f"{i}-{i}" for i in range(0, 1024, 2)) * 8
    response = test_client_factory(file_app(data_file)).get("/", headers={"Range": f"bytes={ranges}"})
    assert response.status_code == 200
    assert response.content == FILE_CONTENT
    assert "content-range" not in response.headers


def test_parse_range_header_merges_and_sorts() -> None:
    parse = FileResponse._parse_range_header
    assert parse("bytes=20-29, 0-9, 5-12, 13-15", 100) == [(0, 16), (20, 30)]
    assert parse("bytes=0-0", 100) == [(0, 1)]
    assert parse("BYTES = 90-", 100) == [(90, 100)]
    # Thousands of ranges: answered without parsing them.
    assert parse("bytes=" + ",".join(["0-1"] * 10_000), 100) == []


@pytest.mark.anyio
async def test_file_response_stops_when_client_disconnects(tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    path.write_bytes(b"x" * (FileResponse.chunk_size * 50))
    sent: list[Message] = []

    async def send(message: Message) -> None:
        if len(sent) > 2:
            raise OSError("gone")
        sent.append(message)

    async def receive() -> Message:  # pragma: no cover
        raise AssertionError("not used on ASGI 2.4")

    # The server's own error reaches the caller unchanged (streaming responses turn it into ClientDisconnect).
    with pytest.raises(OSError, match="gone"):
        await FileResponse(path)(http_scope(asgi={"spec_version": "2.4"}), receive, send)
    assert len(sent) == 3


@pytest.mark.anyio
async def test_file_response_as_websocket_denial(data_file: Path) -> None:
    sent = await call(FileResponse(data_file, status_code=403), {"type": "websocket", "headers": []})
    assert sent[0]["type"] == "websocket.http.response.start"
    assert sent[0]["status"] == 403
    assert b"".join(message.get("body", b"") for message in sent[1:]) == FILE_CONTENT


def test_strided_memoryview_body_is_flattened(test_client_factory: TestClientFactory) -> None:
    every_other_byte = memoryview(b"abcdefgh")[1::2]
    response = test_client_factory(Response(every_other_byte)).get("/")
    assert response.status_code == 200
    assert response.content == b"bdfh"
    assert response.headers["content-length"] == "4"


def _range_client(tmp_path: Path, test_client_factory: TestClientFactory, **kwargs: Any) -> TestClient:
    path = tmp_path / "digits.txt"
    path.write_bytes(b"0123456789")
    return test_client_factory(FileResponse(path, **kwargs))


def test_weak_if_range_never_matches(tmp_path: Path, test_client_factory: TestClientFactory) -> None:
    client = _range_client(tmp_path, test_client_factory, headers={"etag": 'W/"v1"'})
    response = client.get("/", headers={"range": "bytes=0-3", "if-range": 'W/"v1"'})
    assert response.status_code == 200
    assert response.content == b"0123456789"
    assert "content-range" not in response.headers


def test_range_ignored_for_error_status_and_unsafe_methods(
    tmp_path: Path, test_client_factory: TestClientFactory
) -> None:
    not_found = _range_client(tmp_path, test_client_factory, status_code=404).get("/", headers={"range": "bytes=0-3"})
    assert not_found.status_code == 404
    assert not_found.content == b"0123456789"
    posted = _range_client(tmp_path, test_client_factory).post("/", headers={"range": "bytes=0-3"})
    assert posted.status_code == 200
    assert posted.content == b"0123456789"
    assert "content-range" not in posted.headers


@pytest.mark.anyio
@pytest.mark.parametrize(
    "scope",
    [http_scope(method="HEAD"), http_scope(extensions={"http.response.pathsend": {}})],
    ids=["head", "pathsend"],
)
async def test_file_response_without_body_streaming_never_reads_receive(tmp_path: Path, scope: Scope) -> None:
    path = tmp_path / "page.txt"
    path.write_bytes(b"content")

    async def receive() -> Message:  # pragma: no cover - must not be called
        raise AssertionError("nothing to interrupt: receive() should not be awaited")

    sent = await call(FileResponse(path), scope, receive)
    assert sent[0]["status"] == 200
    assert sent[-1]["type"] in ("http.response.body", "http.response.pathsend")
    assert sent[-1].get("body", b"") == b""


@pytest.mark.anyio
async def test_multi_range_on_shrunk_file_raises(tmp_path: Path) -> None:
    path = tmp_path / "shrinks.txt"
    path.write_bytes(b"0123456789")
    response = FileResponse(path, stat_result=path.stat())
    path.write_bytes(b"01")
    scope = http_scope(headers=[(b"range", b"bytes=0-1,6-8")], asgi={"spec_version": "2.4"})
    with pytest.raises(RuntimeError, match="is shorter than expected"):
        await call(response, scope)
