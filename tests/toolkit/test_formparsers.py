from __future__ import annotations

import codecs
import threading
import tracemalloc
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from tempfile import SpooledTemporaryFile
from typing import Any

import pytest

from framework import formparsers
from framework.applications import Application
from framework.datastructures import Headers, UploadFile
from framework.exceptions import StarletteDeprecationWarning
from framework.formparsers import FormMessage, FormParser, MultiPartException, MultiPartParser, _user_safe_decode
from framework.requests import ClientDisconnect, Request
from framework.responses import JSONResponse
from framework.routing import Route
from framework.testclient import TestClient
from framework.types import Receive, Scope, Send

ClientFactory = Callable[..., TestClient]
BOUNDARY = "a7f3c0de5b1e4f2d"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


async def _describe(form: Any) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            entry: Any = {
                "filename": value.filename,
                "size": value.size,
                "content": (await value.read()).decode("latin-1"),
                "content_type": value.content_type,
            }
        else:
            entry = value
        result.setdefault(key, []).append(entry)
    return result


def _form_app(**limits: Any) -> Callable[[Scope, Receive, Send], Any]:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        async with request.form(**limits) as form:
            body = await _describe(form)
        await JSONResponse(body)(scope, receive, send)

    return app


def _application(**limits: Any) -> Application:
    """Inside an application, a MultiPartException becomes a 400 for the client."""

    async def endpoint(request: Request) -> JSONResponse:
        async with request.form(**limits) as form:
            return JSONResponse(await _describe(form))

    return Application(routes=[Route("/", endpoint, methods=["POST"])])


def _part(name: str, value: bytes, *, filename: str | None = None, extra: str = "") -> bytes:
    disposition = f'Content-Disposition: form-data; name="{name}"'
    if filename is not None:
        disposition += f'; filename="{filename}"'
    return f"--{BOUNDARY}\r\n{disposition}\r\n{extra}\r\n".encode() + value + b"\r\n"


def _body(*parts: bytes) -> bytes:
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


async def _chunks(chunks: Iterable[bytes], consumed: list[int] | None = None) -> AsyncIterator[bytes]:
    for chunk in chunks:
        if consumed is not None:
            consumed.append(len(chunk))
        yield chunk


# --- urlencoded ------------------------------------------------------------------------------


def test_urlencoded_fields_and_repeated_keys(test_client_factory: ClientFactory) -> None:
    client = test_client_factory(_form_app())
    response = client.post(
        "/",
        content=b"a=1&b=two+words&a=%C3%A9&k%20ey=v%26w",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200
    assert response.json() == {"a": ["1", "é"], "b": ["two words"], "k ey": ["v&w"]}


def test_urlencoded_via_httpx_data(test_client_factory: ClientFactory) -> None:
    client = test_client_factory(_form_app())
    response = client.post("/", data={"name": "Zoë & co", "empty": ""})
    assert response.json() == {"name": ["Zoë & co"], "empty": [""]}


def test_urlencoded_raw_utf8_bytes_are_decoded(test_client_factory: ClientFactory) -> None:
    client = test_client_factory(_form_app())
    content = "city=Zürich".encode()
    response = client.post("/", content=content, headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.json() == {"city": ["Zürich"]}


def test_empty_and_non_form_bodies_give_empty_form(test_client_factory: ClientFactory) -> None:
    client = test_client_factory(_form_app())
    assert client.post("/", content=b"", headers={"content-type": "application/x-www-form-urlencoded"}).json() == {}
    assert client.post("/", content=b"a=1", headers={"content-type": "text/plain"}).json() == {}


def test_urlencoded_too_many_fields_is_400(test_client_factory: ClientFactory) -> None:
    client = test_client_factory(_application(max_fields=3))
    headers = {"content-type": "application/x-www-form-urlencoded"}
    assert client.post("/", content=b"a=1&b=2&c=3", headers=headers).json() == {"a": ["1"], "b": ["2"], "c": ["3"]}
    response = client.post("/", content=b"a=1&b=2&c=3&d=4", headers=headers)
    assert response.status_code == 400
    assert response.text == "Too many fields. Maximum number of fields is 3."


def test_urlencoded_value_larger_than_part_limit_is_400(test_client_factory: ClientFactory) -> None:
    # The name and the value of one field share the limit: 1 byte of name leaves 1 MiB - 1 for the value.
    client = test_client_factory(_application())
    headers = {"content-type": "application/x-www-form-urlencoded"}
    exact = b"v=" + b"x" * (1024 * 1024 - 1)
    assert client.post("/", content=exact, headers=headers).status_code == 200
    response = client.post("/", content=exact + b"x", headers=headers)
    assert response.status_code == 400
    assert response.text == "Field exceeded maximum size of 1024KB."


def test_urlencoded_limit_is_per_field_not_per_body(test_client_factory: ClientFactory) -> None:
    client = test_client_factory(_application(max_part_size=1024))
    headers = {"content-type": "application/x-www-form-urlencoded"}
    body = b"&".join(b"f%d=" % i + b"x" * 1000 for i in range(5))
    response = client.post("/", content=body, headers=headers)
    assert response.status_code == 200
    assert sorted(response.json()) == ["f0", "f1", "f2", "f3", "f4"]


def test_urlencoded_name_larger_than_custom_part_limit_is_400(test_client_factory: ClientFactory) -> None:
    client = test_client_factory(_application(max_part_size=2048))
    headers = {"content-type": "application/x-www-form-urlencoded"}
    response = client.post("/", content=b"n" * 2049 + b"=1", headers=headers)
    assert response.status_code == 400
    assert response.text == "Field exceeded maximum size of 2KB."


@pytest.mark.anyio
async def test_urlencoded_ten_thousand_fields_stop_at_the_limit() -> None:
    consumed: list[int] = []
    chunks = (f"f{i}=v&".encode() for i in range(10_000))
    parser = FormParser(Headers(), _chunks(chunks, consumed), max_fields=1000)
    with pytest.raises(MultiPartException) as info:
        await parser.parse()
    assert info.value.message == "Too many fields. Maximum number of fields is 1000."
    # Field 1001 starts in chunk 1001: nothing after it was read.
    assert len(consumed) == 1001


@pytest.mark.anyio
async def test_urlencoded_huge_field_fails_early_with_bounded_memory() -> None:
    consumed: list[int] = []
    chunk = b"x" * 65536
    chunks = [b"big="] + [chunk] * 800  # 50 MiB in total, produced lazily below
    tracemalloc.start()
    try:
        parser = FormParser(Headers(), _chunks(iter(chunks), consumed))
        with pytest.raises(MultiPartException) as info:
            await parser.parse()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.value.message == "Field exceeded maximum size of 1024KB."
    assert sum(consumed) < 1024 * 1024 + 2 * len(chunk)
    assert peak < 4 * 1024 * 1024


# --- multipart: happy paths ---------------------------------------------------------------


def test_multipart_fields_and_files(test_client_factory: ClientFactory) -> None:
    client = test_client_factory(_form_app())
    files = [("doc", ("a.txt", b"alpha", "text/plain")), ("doc", ("b.bin", b"\x00\x01", "application/octet-stream"))]
    response = client.post("/", data={"title": "report"}, files=files)
    assert response.status_code == 200
    assert response.json() == {
        "title": ["report"],
        "doc": [
            {"filename": "a.txt", "size": 5, "content": "alpha", "content_type": "text/plain"},
            {"filename": "b.bin", "size": 2, "content": "\x00\x01", "content_type": "application/octet-stream"},
        ],
    }


def test_multipart_part_headers_are_kept_on_the_upload(test_client_factory: ClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        async with request.form() as form:
            upload = form["f"]
            assert isinstance(upload, UploadFile)
            headers = dict(upload.headers)
        await JSONResponse(headers)(scope, receive, send)

    body = _body(_part("f", b"data", filename="f.txt", extra="Content-Type: text/csv\r\nX-Extra: yes\r\n"))
    response = test_client_factory(app).post("/", content=body, headers={"content-type": MULTIPART})
    assert response.json() == {
        "content-disposition": 'form-data; name="f"; filename="f.txt"',
        "content-type": "text/csv",
        "x-extra": "yes",
    }


def test_multipart_charset_decodes_names_values_and_filenames(test_client_factory: ClientFactory) -> None:
    client = test_client_factory(_form_app())
    body = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="caf\xe9"\r\n\r\nna\xefve\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="f"; filename="r\xe9sum\xe9.txt"\r\n\r\nx\r\n'
        f"--{BOUNDARY}--\r\n"
    ).encode("latin-1")
    response = client.post("/", content=body, headers={"content-type": MULTIPART + "; charset=iso-8859-1"})
    data = response.json()
    assert data["café"] == ["naïve"]
    assert data["f"][0]["filename"] == "résumé.txt"


def test_multipart_defaults_to_utf8_for_filenames(test_client_factory: ClientFactory) -> None:
    client = test_client_factory(_form_app())
    body = _body(_part("f", b"x", filename="文書.txt"))
    response = client.post("/", content=body, headers={"content-type": MULTIPART})
    assert response.json()["f"][0]["filename"] == "文書.txt"


def test_multipart_unknown_charset_falls_back_to_latin1(test_client_factory: ClientFactory) -> None:
    client = test_client_factory(_form_app())
    body = _body(_part("k", "é".encode()))
    response = client.post("/", content=body, headers={"content-type": MULTIPART + "; charset=no-such-codec"})
    assert response.status_code == 200
    assert response.json() == {"k": ["Ã©"]}


def test_multipart_filename_star_is_used_when_plain_filename_is_absent(test_client_factory: ClientFactory) -> None:
    client = test_client_factory(_form_app())
    star = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="f"; '
        "filename*=UTF-8''%E2%82%AC%20rates.txt\r\n\r\nx\r\n"
    )
    both = (
        f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"g\"; filename*=UTF-8''other.txt; "
        'filename="plain.txt"\r\n\r\ny\r\n'
    )
    body = _body(star.encode(), both.encode())
    response = client.post("/", content=body, headers={"content-type": MULTIPART})
    data = response.json()
    assert data["f"][0]["filename"] == "€ rates.txt"
    assert data["g"][0]["filename"] == "plain.txt"


def test_multipart_windows_full_path_filename_keeps_the_basename(test_client_factory: ClientFactory) -> None:
    client = test_client_factory(_form_app())
    body = _body(_part("f", b"x", filename="C:\\Users\\me\\secret.txt"))
    response = client.post("/", content=body, headers={"content-type": MULTIPART})
    assert response.json()["f"][0]["filename"] == "secret.txt"


def test_multipart_quoted_parameters_with_escapes_and_semicolons(test_client_factory: ClientFactory) -> None:
    client = test_client_factory(_form_app())
    raw = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="a;\\"b\\""\r\n\r\nv\r\n'.encode()
    response = client.post(
        "/", content=_body(raw), headers={"content-type": f'multipart/form-data; boundary="{BOUNDARY}"'}
    )
    assert response.json() == {'a;"b"': ["v"]}


def test_multipart_large_file_rolls_to_disk_and_is_intact(test_client_factory: ClientFactory) -> None:
    payload = bytes(range(256)) * 8192  # 2 MiB: more than the 1 MiB spool
    seen: dict[str, Any] = {}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        async with request.form() as form:
            upload = form["f"]
            assert isinstance(upload, UploadFile)
            seen["rolled"] = getattr(upload.file, "_rolled", None)
            seen["size"] = upload.size
            seen["equal"] = await upload.read() == payload
        await JSONResponse({})(scope, receive, send)

    response = test_client_factory(app).post("/", files={"f": ("big.bin", payload)})
    assert response.status_code == 200
    assert seen == {"rolled": True, "size": len(payload), "equal": True}


@pytest.mark.anyio
async def test_multipart_disk_writes_happen_off_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    write_threads: set[int] = set()

    class RecordingSpool(SpooledTemporaryFile[bytes]):
        def write(self, s: Any) -> int:
            if self._rolled or self.tell() + len(s) > 16:  # type: ignore[attr-defined]
                write_threads.add(threading.get_ident())
            return super().write(s)

    monkeypatch.setattr(formparsers, "SpooledTemporaryFile", RecordingSpool)
    monkeypatch.setattr(MultiPartParser, "spool_max_size", 16)
    body = _body(_part("f", b"0123456789" * 10, filename="f.bin"))
    chunks = [body[i : i + 20] for i in range(0, len(body), 20)]
    parser = MultiPartParser(Headers({"content-type": MULTIPART}), _chunks(chunks))
    form = await parser.parse()
    upload = form["f"]
    assert isinstance(upload, UploadFile)
    assert await upload.read() == b"0123456789" * 10
    assert write_threads
    assert threading.get_ident() not in write_threads
    await form.close()


# --- multipart: limits and hostile input --------------------------------------------------


def test_multipart_missing_boundary_is_400(test_client_factory: ClientFactory) -> None:
    client = test_client_factory(_application())
    for content_type in ("multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; charset=utf-8"):
        response = client.post("/", content=b"--x--", headers={"content-type": content_type})
        assert response.status_code == 400
        assert response.text == "Missing boundary in multipart."


@pytest.mark.anyio
async def test_multipart_exception_is_raised_outside_an_application() -> None:
    parser = MultiPartParser(Headers({"content-type": "multipart/form-data"}), _chunks([b""]))
    with pytest.raises(MultiPartException) as info:
        await parser.parse()
    assert info.value.message == "Missing boundary in multipart."


def test_multipart_part_without_name_is_400(test_client_factory: ClientFactory) -> None:
    client = test_client_factory(_application())
    body = _body(f"--{BOUNDARY}\r\nContent-Disposition: form-data\r\n\r\nx\r\n".encode())
    response = client.post("/", content=body, headers={"content-type": MULTIPART})
    assert response.status_code == 400
    assert response.text == 'The Content-Disposition header field "name" must be provided.'


def test_multipart_too_many_fields_at_the_default_limit(test_client_factory: ClientFactory) -> None:
    client = test_client_factory(_application())
    ok = _body(*(_part(f"f{i}", b"v") for i in range(1000)))
    assert client.post("/", content=ok, headers={"content-type": MULTIPART}).status_code == 200
    too_many = _body(*(_part(f"f{i}", b"v") for i in range(1001)))
    response = client.post("/", content=too_many, headers={"content-type": MULTIPART})
    assert response.status_code == 400
    assert response.text == "Too many fields. Maximum number of fields is 1000."


def test_multipart_too_many_files_at_the_default_limit(test_client_factory: ClientFactory) -> None:
    client = test_client_factory(_application())
    too_many = _body(*(_part("f", b"v", filename=f"{i}.txt") for i in range(1001)))
    response = client.post("/", content=too_many, headers={"content-type": MULTIPART})
    assert response.status_code == 400
    assert response.text == "Too many files. Maximum number of files is 1000."


def test_multipart_custom_limits(test_client_factory: ClientFactory) -> None:
    client = test_client_factory(_application(max_files=1, max_fields=1))
    headers = {"content-type": MULTIPART}
    ok = _body(_part("a", b"1"), _part("f", b"x", filename="x"))
    assert client.post("/", content=ok, headers=headers).status_code == 200
    response = client.post("/", content=_body(_part("a", b"1"), _part("b", b"2")), headers=headers)
    assert (response.status_code, response.text) == (400, "Too many fields. Maximum number of fields is 1.")
    response = client.post(
        "/", content=_body(_part("f", b"1", filename="1"), _part("f", b"2", filename="2")), headers=headers
    )
    assert (response.status_code, response.text) == (400, "Too many files. Maximum number of files is 1.")


@pytest.mark.anyio
async def test_multipart_ten_thousand_files_stop_at_the_limit() -> None:
    consumed: list[int] = []
    chunks = [_part("f", b"v", filename=f"{i}") for i in range(10_000)]
    parser = MultiPartParser(Headers({"content-type": MULTIPART}), _chunks(chunks, consumed))
    with pytest.raises(MultiPartException) as info:
        await parser.parse()
    assert info.value.message == "Too many files. Maximum number of files is 1000."
    assert len(consumed) == 1001
    uploads = [value for _, value in parser.items if isinstance(value, UploadFile)]
    assert len(uploads) == 1000
    assert all(upload.file.closed for upload in uploads)


@pytest.mark.anyio
async def test_multipart_ten_thousand_fields_stop_at_the_limit() -> None:
    consumed: list[int] = []
    chunks = [_part(f"f{i}", b"v") for i in range(10_000)]
    parser = MultiPartParser(Headers({"content-type": MULTIPART}), _chunks(chunks, consumed))
    with pytest.raises(MultiPartException) as info:
        await parser.parse()
    assert info.value.message == "Too many fields. Maximum number of fields is 1000."
    assert len(consumed) == 1001


def test_multipart_field_larger_than_part_limit_is_400(test_client_factory: ClientFactory) -> None:
    client = test_client_factory(_application())
    headers = {"content-type": MULTIPART}
    assert client.post("/", content=_body(_part("v", b"x" * 1024 * 1024)), headers=headers).status_code == 200
    body = _body(_part("small", b"ok"), _part("v", b"x" * (1024 * 1024 + 1)))
    response = client.post("/", content=body, headers=headers)
    assert response.status_code == 400
    assert response.text == "Part exceeded maximum size of 1024KB."


def test_multipart_custom_part_limit_does_not_apply_to_files(test_client_factory: ClientFactory) -> None:
    client = test_client_factory(_application(max_part_size=10))
    headers = {"content-type": MULTIPART}
    response = client.post("/", content=_body(_part("f", b"y" * 100, filename="f")), headers=headers)
    assert response.status_code == 200
    assert response.json()["f"][0]["size"] == 100
    response = client.post("/", content=_body(_part("v", b"x" * 11)), headers=headers)
    assert (response.status_code, response.text) == (400, "Part exceeded maximum size of 0KB.")


@pytest.mark.anyio
async def test_multipart_fifty_megabyte_field_fails_early_with_bounded_memory() -> None:
    consumed: list[int] = []
    head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="big"\r\n\r\n'.encode()
    chunk = b"x" * 65536

    def body() -> Iterable[bytes]:
        yield head
        for _ in range(800):  # 50 MiB, never materialised
            yield chunk

    tracemalloc.start()
    try:
        parser = MultiPartParser(Headers({"content-type": MULTIPART}), _chunks(body(), consumed))
        with pytest.raises(MultiPartException) as info:
            await parser.parse()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.value.message == "Part exceeded maximum size of 1024KB."
    assert sum(consumed) < 1024 * 1024 + 2 * len(chunk)
    assert peak < 4 * 1024 * 1024


@pytest.mark.anyio
async def test_multipart_files_are_closed_when_a_later_part_breaks_a_limit() -> None:
    body = _body(_part("f", b"file data", filename="f.txt"), _part("a", b"1"), _part("b", b"2"))
    parser = MultiPartParser(Headers({"content-type": MULTIPART}), _chunks([body]), max_fields=1)
    with pytest.raises(MultiPartException):
        await parser.parse()
    upload = parser.items[0][1]
    assert isinstance(upload, UploadFile)
    assert upload.file.closed


@pytest.mark.anyio
async def test_multipart_client_disconnect_propagates_and_closes_files() -> None:
    async def stream() -> AsyncIterator[bytes]:
        yield _part("done", b"complete", filename="done.txt")
        yield f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="half"; filename="h.txt"\r\n\r\npartial'.encode()
        raise ClientDisconnect()

    parser = MultiPartParser(Headers({"content-type": MULTIPART}), stream())
    with pytest.raises(ClientDisconnect):
        await parser.parse()
    uploads = [value for _, value in parser.items if isinstance(value, UploadFile)]
    assert len(uploads) == 1
    assert uploads[0].file.closed
    assert all(file.closed for file in parser._files)
    assert len(parser._files) == 2


def test_multipart_client_disconnect_through_request(test_client_factory: ClientFactory) -> None:
    outcome: dict[str, Any] = {}
    head = _part("f", b"data", filename="f.txt")

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            await request.form()
        except ClientDisconnect:
            outcome["disconnected"] = True
        await JSONResponse({})(scope, receive, send)

    async def disconnecting_receive_app(scope: Scope, receive: Receive, send: Send) -> None:
        messages: Iterator[dict[str, Any]] = iter(
            [{"type": "http.request", "body": head, "more_body": True}, {"type": "http.disconnect"}]
        )

        async def fake_receive() -> dict[str, Any]:
            return next(messages)

        await app(scope, fake_receive, send)

    response = test_client_factory(disconnecting_receive_app).post(
        "/", content=b"", headers={"content-type": MULTIPART}
    )
    assert response.status_code == 200
    assert outcome == {"disconnected": True}


@pytest.mark.anyio
async def test_multipart_truncated_body_returns_complete_parts_and_closes_the_rest() -> None:
    body = (
        _part("a", b"1") + f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="f"; filename="f"\r\n\r\nhal'.encode()
    )
    parser = MultiPartParser(Headers({"content-type": MULTIPART}), _chunks([body]))
    form = await parser.parse()
    assert list(form.multi_items()) == [("a", "1")]
    assert len(parser._files) == 1
    assert parser._files[0].closed


def test_multipart_malformed_body_is_400_not_500(test_client_factory: ClientFactory) -> None:
    client = test_client_factory(_application())
    body = f"--{BOUNDARY}\r\nno colon in this header line\r\n\r\nx\r\n--{BOUNDARY}--\r\n".encode()
    response = client.post("/", content=body, headers={"content-type": MULTIPART})
    assert response.status_code == 400
    assert response.text == "Invalid multipart data."


def test_multipart_oversized_part_header_is_400(test_client_factory: ClientFactory) -> None:
    client = test_client_factory(_application())
    body = _body(_part("f", b"x", filename="a" * 100_000))
    response = client.post("/", content=body, headers={"content-type": MULTIPART})
    assert response.status_code == 400
    assert response.text == "Invalid multipart data."


def test_multipart_megabyte_boundary_is_400(test_client_factory: ClientFactory) -> None:
    client = test_client_factory(_application())
    response = client.post(
        "/", content=b"--x--", headers={"content-type": "multipart/form-data; boundary=" + "b" * 1_000_000}
    )
    assert response.status_code == 400
    assert response.text == "Invalid multipart data."


@pytest.mark.parametrize(
    "parameters",
    [
        'x="' + "\\;" * 500_000,  # unterminated quoted string full of escapes and separators
        ";" * 1_000_000,
        "a" * 1_000_000 + "=",
        '"' * 1_000_000,
        "k=" + '\\"' * 500_000,
        "a;" * 500_000 + "=b",
    ],
    ids=["unterminated-quote", "semicolons", "long-key", "quotes", "escaped-quotes", "keys-then-equals"],
)
@pytest.mark.anyio
async def test_megabyte_content_type_parameters_parse_in_linear_time(parameters: str) -> None:
    # Quadratic parsing of a 1 MB header would take hours: finishing at all is the assertion.
    headers = Headers({"content-type": "multipart/form-data; " + parameters})
    parser = MultiPartParser(headers, _chunks([b""]))
    with pytest.raises(MultiPartException) as info:
        await parser.parse()
    assert info.value.message == "Missing boundary in multipart."


@pytest.mark.anyio
async def test_megabyte_content_type_before_a_valid_boundary() -> None:
    headers = Headers({"content-type": "multipart/form-data; " + "p=v; " * 200_000 + f"boundary={BOUNDARY}"})
    parser = MultiPartParser(headers, _chunks([_body(_part("k", b"v"))]))
    form = await parser.parse()
    assert list(form.multi_items()) == [("k", "v")]


def test_user_safe_decode() -> None:
    assert _user_safe_decode("ężć".encode(), "utf-8") == "ężć"
    assert _user_safe_decode(b"\xff\xfe", "utf-8") == "ÿþ"
    assert _user_safe_decode(b"abc", "latin-8") == "abc"


def test_multipart_exception_carries_message() -> None:
    exc = MultiPartException("boom")
    assert exc.message == "boom"
    assert str(exc) == "boom"


def test_form_message_lookup_warns_it_is_deprecated() -> None:
    with pytest.warns(StarletteDeprecationWarning, match="`FormMessage` is deprecated"):
        assert FormMessage(3) is FormMessage.FIELD_DATA


def test_unknown_multipart_charset_is_looked_up_once_per_body(test_client_factory: ClientFactory) -> None:
    """Failed codec lookups are not cached by Python: resolving per part would repeat them for every part."""
    searched: list[str] = []

    def spy(name: str) -> None:
        searched.append(name)

    body = _body(_part("a", b"\xe9"), _part("b", b"2"), _part("c", b"3"))
    codecs.register(spy)
    try:
        response = test_client_factory(_application()).post(
            "/", content=body, headers={"content-type": MULTIPART + "; charset=no-such-codec"}
        )
    finally:
        codecs.unregister(spy)
    assert response.status_code == 200
    assert response.json() == {"a": ["\u00e9"], "b": ["2"], "c": ["3"]}
    assert searched == ["no_such_codec"]


@pytest.mark.anyio
async def test_urlencoded_field_count_stops_inside_one_big_chunk() -> None:
    body = b"&".join(b"k%d=" % i for i in range(50_000))
    parser = FormParser(Headers(), _chunks([body]), max_fields=5)
    with pytest.raises(MultiPartException, match="Too many fields"):
        await parser.parse()
    assert parser.items == [(f"k{i}", "") for i in range(5)]
