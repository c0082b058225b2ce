from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import anyio
import pytest

from framework.datastructures import Address, State
from framework.exceptions import HTTPException
from framework.requests import ClientDisconnect, HTTPConnection, JSONBodyDecodeError, Request, cookie_parser
from framework.responses import JSONResponse, PlainTextResponse, Response
from framework.testclient import TestClient
from framework.types import Message, Receive, Scope, Send

TestClientFactory = Callable[..., TestClient]


def make_scope(**overrides: Any) -> Scope:
    scope: Scope = {
        "type": "http",
        "method": "GET",
        "scheme": "http",
        "server": ("testserver", 80),
        "path": "/",
        "root_path": "",
        "query_string": b"",
        "headers": [],
    }
    scope.update(overrides)
    return scope


def receive_from(*messages: Message) -> Receive:
    queue = list(messages)

    async def receive() -> Message:
        if queue:
            return queue.pop(0)
        await anyio.sleep_forever()
        raise AssertionError("unreachable")  # pragma: no cover

    return receive


def test_request_url_and_query_params(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        data = {"method": request.method, "url": str(request.url), "params": dict(request.query_params)}
        await JSONResponse(data)(scope, receive, send)

    client = test_client_factory(app)
    response = client.get("/path/to?a=1&b=two")
    assert response.status_code == 200
    assert response.json() == {
        "method": "GET",
        "url": "http://testserver/path/to?a=1&b=two",
        "params": {"a": "1", "b": "two"},
    }


def test_request_is_a_read_only_mapping_over_the_scope() -> None:
    scope = make_scope(path="/x")
    request = Request(scope)
    assert request["path"] == "/x"
    assert len(request) == len(scope)
    assert set(request) == set(scope)
    # Identity, not content, decides equality.
    assert request != Request(scope)
    assert request == request
    assert len({request, Request(scope)}) == 2


def test_headers_client_and_path_params() -> None:
    scope = make_scope(
        headers=[(b"x-token", b"abc"), (b"accept", b"a"), (b"accept", b"b")],
        client=("10.0.0.1", 5000),
        path_params={"id": 3},
    )
    request = Request(scope)
    assert request.headers["X-Token"] == "abc"
    assert request.headers.getlist("accept") == ["a", "b"]
    assert request.client == Address("10.0.0.1", 5000)
    assert request.client.host == "10.0.0.1"
    assert request.path_params == {"id": 3}
    assert Request(make_scope()).client is None
    assert Request(make_scope()).path_params == {}


def test_request_rejects_non_http_scope() -> None:
    with pytest.raises(AssertionError):
        Request({"type": "websocket", "headers": []})
    with pytest.raises(ValueError, match="Expected scope type"):
        HTTPConnection({"type": "lifespan"})
    assert HTTPConnection({"type": "websocket", "headers": []})["type"] == "websocket"


def test_base_url_uses_app_root_path() -> None:
    scope = make_scope(path="/mount/sub/page", root_path="/mount/sub", app_root_path="/mount", query_string=b"q=1")
    request = Request(scope)
    assert str(request.base_url) == "http://testserver/mount/"
    assert str(Request(make_scope(root_path="/api")).base_url) == "http://testserver/api/"


def test_missing_middleware_errors_name_the_middleware() -> None:
    request = Request(make_scope())
    with pytest.raises(AssertionError, match=r"SessionMiddleware must be installed to access request\.session"):
        _ = request.session
    with pytest.raises(RuntimeError, match=r"AuthenticationMiddleware must be installed to access request\.auth"):
        _ = request.auth
    with pytest.raises(AssertionError, match=r"AuthenticationMiddleware must be installed to access request\.user"):
        _ = request.user
    present = Request(make_scope(session={"a": 1}, auth="creds", user="bob"))
    assert (present.session, present.auth, present.user) == ({"a": 1}, "creds", "bob")


def test_state_writes_through_to_scope() -> None:
    scope = make_scope()
    request = Request(scope)
    assert isinstance(request.state, State)
    request.state.started = 12
    assert scope["state"] == {"started": 12}
    assert Request(scope).state.started == 12


def test_url_for_uses_router_and_base_url() -> None:
    class FakeURLPath:
        def __init__(self, path: str) -> None:
            self.path = path

        def make_absolute_url(self, base_url: Any) -> str:
            return f"{str(base_url).rstrip('/')}{self.path}"

    class FakeRouter:
        def url_path_for(self, name: str, /, **params: Any) -> FakeURLPath:
            return FakeURLPath(f"/{name}/{params['id']}")

    request = Request(make_scope(router=FakeRouter(), root_path="/app"))
    assert request.url_for("user", id=7) == "http://testserver/app/user/7"
    with pytest.raises(RuntimeError, match="url_for"):
        Request(make_scope()).url_for("user")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("a=1; b=2", {"a": "1", "b": "2"}),
        ('keebler=E=mc2; L=\\"Loves\\"; fudge=\\012;', {"keebler": "E=mc2", "L": '\\"Loves\\"', "fudge": "\\012"}),
        ('quoted="a\\"b"', {"quoted": 'a"b'}),
        ('octal="\\101B"', {"octal": "AB"}),
        ("novalue", {"": "novalue"}),
        ("  spaced  =  value  ", {"spaced": "value"}),
        ("dup=1; dup=2", {"dup": "2"}),
        (";;; ;", {}),
        ("a=;b=", {"a": "", "b": ""}),
        ("unicode=ü", {"unicode": "ü"}),
    ],
)
def test_cookie_parser_is_lenient(header: str, expected: dict[str, str]) -> None:
    assert cookie_parser(header) == expected


def test_cookies_from_several_headers() -> None:
    scope = make_scope(headers=[(b"cookie", b"a=1; b=2"), (b"cookie", b"b=3; c=4")])
    assert Request(scope).cookies == {"a": "1", "b": "3", "c": "4"}


def test_cookies_through_client(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await JSONResponse({"cookies": Request(scope, receive).cookies})(scope, receive, send)

    response = test_client_factory(app).get("/", headers={"cookie": 'session="x y"; broken=[; ok=1'})
    assert response.json() == {"cookies": {"session": "x y", "broken": "[", "ok": "1"}}


@pytest.mark.anyio
async def test_body_arrives_in_chunks_and_is_cached() -> None:
    receive = receive_from(
        {"type": "http.request", "body": b"hel", "more_body": True},
        {"type": "http.request", "body": b"", "more_body": True},
        {"type": "http.request", "body": b"lo", "more_body": False},
    )
    request = Request(make_scope(method="POST"), receive)
    assert await request.body() == b"hello"
    assert await request.body() == b"hello"
    # Once cached, stream() replays the body instead of reading the channel again.
    assert [chunk async for chunk in request.stream()] == [b"hello", b""]


@pytest.mark.anyio
async def test_second_stream_raises_stream_consumed() -> None:
    request = Request(make_scope(method="POST"), receive_from({"type": "http.request", "body": b"abc"}))
    assert [chunk async for chunk in request.stream()] == [b"abc", b""]
    with pytest.raises(RuntimeError, match="Stream consumed"):
        async for _ in request.stream():
            pass  # pragma: no cover


@pytest.mark.anyio
async def test_disconnect_while_reading_body() -> None:
    request = Request(
        make_scope(method="POST"),
        receive_from({"type": "http.request", "body": b"a", "more_body": True}, {"type": "http.disconnect"}),
    )
    with pytest.raises(ClientDisconnect):
        await request.body()
    assert await request.is_disconnected() is True


@pytest.mark.anyio
async def test_is_disconnected_does_not_block() -> None:
    request = Request(make_scope(), receive_from())
    with anyio.fail_after(1):
        assert await request.is_disconnected() is False
    request = Request(make_scope(), receive_from({"type": "http.disconnect"}))
    assert await request.is_disconnected() is True


@pytest.mark.anyio
async def test_without_receive_channel_reading_body_fails() -> None:
    request = Request(make_scope())
    with pytest.raises(RuntimeError, match="Receive channel has not been made available"):
        await request.body()


def test_request_json(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        data = await request.json()
        assert await request.json() is data
        await JSONResponse({"json": data})(scope, receive, send)

    response = test_client_factory(app).post("/", json={"a": [1, 2], "b": "é"})
    assert response.json() == {"json": {"a": [1, 2], "b": "é"}}


@pytest.mark.anyio
@pytest.mark.parametrize(
    "body",
    [b"{bad", b"", b"\xff\xfe\xfa", b"[" * 100_000, b'{"a": 1} trailing'],
    ids=["syntax", "empty", "not-utf8", "deeply-nested", "trailing"],
)
async def test_invalid_json_is_a_400_and_a_json_decode_error(body: bytes) -> None:
    request = Request(make_scope(method="POST"), receive_from({"type": "http.request", "body": body}))
    with pytest.raises(json.JSONDecodeError) as info:
        await request.json()
    exc = info.value
    assert isinstance(exc, JSONBodyDecodeError)
    assert isinstance(exc, HTTPException)
    assert isinstance(exc, ValueError)
    assert exc.status_code == 400
    assert exc.detail.startswith("Invalid JSON in request body: ")
    assert str(exc) in exc.detail


def test_uncaught_invalid_json_becomes_400_through_handler(test_client_factory: TestClientFactory) -> None:
    # The same contract the exception middleware relies on: HTTPException -> status and detail.
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            await request.json()
        except HTTPException as exc:
            response: Response = PlainTextResponse(exc.detail, status_code=exc.status_code)
        else:  # pragma: no cover
            response = PlainTextResponse("parsed")
        await response(scope, receive, send)

    response = test_client_factory(app).post("/", content=b'{"a": }')
    assert response.status_code == 400
    assert response.text == "Invalid JSON in request body: Expecting value: line 1 column 7 (char 6)"


def test_request_form_urlencoded(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        form = await request.form()
        await JSONResponse({"form": dict(form)})(scope, receive, send)

    response = test_client_factory(app).post("/", data={"abc": "123 @", "x": "é"})
    assert response.json() == {"form": {"abc": "123 @", "x": "é"}}


def test_request_form_multipart_as_context_manager(test_client_factory: TestClientFactory) -> None:
    seen: dict[str, Any] = {}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        async with request.form() as form:
            upload = form["file"]
            assert not isinstance(upload, str)
            seen["upload"] = upload
            data = {"name": form["name"], "filename": upload.filename, "content": (await upload.read()).decode()}
        await JSONResponse(data)(scope, receive, send)

    files = {"file": ("notes.txt", b"file body", "text/plain")}
    response = test_client_factory(app).post("/", data={"name": "n"}, files=files)
    assert response.json() == {"name": "n", "filename": "notes.txt", "content": "file body"}
    assert seen["upload"].file.closed


def test_request_form_other_content_type_is_empty(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        form = await Request(scope, receive).form()
        await JSONResponse({"items": len(form)})(scope, receive, send)

    response = test_client_factory(app).post("/", content=b"a=1", headers={"content-type": "text/plain"})
    assert response.json() == {"items": 0}


def test_form_limits_become_400_inside_an_app(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = object()
        request = Request(scope, receive)
        try:
            await request.form(max_fields=2)
        except HTTPException as exc:
            await PlainTextResponse(exc.detail, status_code=exc.status_code)(scope, receive, send)
        else:  # pragma: no cover
            await PlainTextResponse("parsed")(scope, receive, send)

    client = test_client_factory(app)
    response = client.post("/", data={"a": "1", "b": "2", "c": "3"})
    assert response.status_code == 400
    assert "2" in response.text
    files = {"f": ("a.txt", b"x"), "g": ("b.txt", b"y"), "h": ("c.txt", b"z")}
    response = client.post("/", data={"a": "1", "b": "2", "c": "3"}, files=files)
    assert response.status_code == 400


@pytest.mark.anyio
async def test_form_limit_outside_an_app_reraises_parser_error() -> None:
    from framework.formparsers import MultiPartException

    body = b"--B\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n" * 3 + b"--B--\r\n"
    scope = make_scope(method="POST", headers=[(b"content-type", b"multipart/form-data; boundary=B")])
    request = Request(scope, receive_from({"type": "http.request", "body": body}))
    with pytest.raises(MultiPartException):
        await request.form(max_fields=1)


@pytest.mark.anyio
async def test_close_closes_uploaded_files() -> None:
    body = b'--B\r\nContent-Disposition: form-data; name="f"; filename="a.txt"\r\n\r\nxyz\r\n--B--\r\n'
    scope = make_scope(method="POST", headers=[(b"content-type", b"multipart/form-data; boundary=B")])
    request = Request(scope, receive_from({"type": "http.request", "body": body}))
    form = await request.form()
    upload = form["f"]
    assert not isinstance(upload, str)
    await request.close()
    assert upload.file.closed


@pytest.mark.anyio
async def test_send_push_promise_only_with_extension() -> None:
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    headers = [(b"accept", b"text/html"), (b"user-agent", b"ua"), (b"cookie", b"secret=1")]
    await Request(make_scope(headers=headers), send=send).send_push_promise("/style.css")
    assert sent == []
    scope = make_scope(headers=headers, extensions={"http.response.push": {}})
    await Request(scope, send=send).send_push_promise("/style.css")
    assert len(sent) == 1
    assert sent[0]["type"] == "http.response.push"
    assert sent[0]["path"] == "/style.css"
    assert sorted(sent[0]["headers"]) == [(b"accept", b"text/html"), (b"user-agent", b"ua")]


@pytest.mark.anyio
async def test_send_early_hints() -> None:
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    await Request(make_scope(), send=send).send_early_hints("</a.css>; rel=preload")
    assert sent == []
    request = Request(make_scope(extensions={"http.response.early_hint": {}}), send=send)
    await request.send_early_hints("</a.css>; rel=preload; as=style", ["</b.js>; rel=preload; as=script"])
    assert sent == [
        {
            "type": "http.response.early_hint",
            "links": [b"</a.css>; rel=preload; as=style", b"</b.js>; rel=preload; as=script"],
        }
    ]
    with pytest.raises(ValueError, match="Invalid Link header value"):
        await request.send_early_hints("</a>\r\nset-cookie: x=1")
    assert len(sent) == 1


def test_request_subclass_may_add_attributes() -> None:
    request = Request(make_scope())
    request.custom = 1  # type: ignore[attr-defined]
    assert request.custom == 1  # type: ignore[attr-defined]


def test_invalid_json_through_exception_middleware(test_client_factory: TestClientFactory) -> None:
    from framework.middleware.exceptions import ExceptionMiddleware

    async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
        data = await Request(scope, receive).json()
        await JSONResponse(data)(scope, receive, send)

    client = test_client_factory(ExceptionMiddleware(endpoint))
    response = client.post("/", content=b"[1, 2", headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.text.startswith("Invalid JSON in request body: Expecting ")
    assert client.post("/", json=[1, 2]).json() == [1, 2]


@pytest.mark.anyio
async def test_single_message_body_then_stream_replays_it() -> None:
    request = Request(make_scope(method="POST"), receive_from({"type": "http.request", "body": b"one"}))
    assert await request.body() == b"one"
    assert [chunk async for chunk in request.stream()] == [b"one", b""]
    # The channel is not read again: an empty receive_from would block forever.
    assert await request.body() == b"one"


@pytest.mark.anyio
async def test_body_after_stream_consumed_raises() -> None:
    request = Request(make_scope(method="POST"), receive_from({"type": "http.request", "body": b"abc"}))
    assert [chunk async for chunk in request.stream()] == [b"abc", b""]
    with pytest.raises(RuntimeError, match="Stream consumed"):
        await request.body()


@pytest.mark.anyio
async def test_disconnect_before_any_body_is_client_disconnect() -> None:
    request = Request(make_scope(method="POST"), receive_from({"type": "http.disconnect"}))
    with pytest.raises(ClientDisconnect):
        await request.body()
    assert await request.is_disconnected() is True


@pytest.mark.anyio
async def test_body_skips_unknown_messages_and_empty_final_chunk() -> None:
    request = Request(
        make_scope(method="POST"),
        receive_from(
            {"type": "http.something.else"},
            {"type": "http.request", "body": b"ab", "more_body": True},
            {"type": "http.request", "more_body": False},
        ),
    )
    assert await request.body() == b"ab"
    assert await request.body() == b"ab"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"a": "\xc3\xa9"}', {"a": "é"}),
        ('{"a": "é"}'.encode("utf-16"), {"a": "é"}),
        ('{"a": 1}'.encode("utf-16-le"), {"a": 1}),
        ('{"a": 1}'.encode("utf-32-be"), {"a": 1}),
        (b'\xef\xbb\xbf{"a": 1}', {"a": 1}),
        (b"7", 7),
        (b" [1]", [1]),
    ],
    ids=["utf8", "utf16-bom", "utf16-le", "utf32-be", "utf8-bom", "one-byte", "leading-space"],
)
async def test_json_decodes_every_encoding_json_loads_accepts(body: bytes, expected: Any) -> None:
    request = Request(make_scope(method="POST"), receive_from({"type": "http.request", "body": body}))
    assert await request.json() == expected
    assert await request.json() == json.loads(body)


@pytest.mark.anyio
async def test_json_with_lone_surrogate_escape_bytes_matches_json_loads() -> None:
    # json.loads decodes bytes with "surrogatepass"; the fast path must accept the same input.
    body = b'["\xed\xa0\x80"]'
    request = Request(make_scope(method="POST"), receive_from({"type": "http.request", "body": body}))
    assert await request.json() == json.loads(body)


@pytest.mark.anyio
async def test_invalid_utf8_json_names_the_encoding() -> None:
    request = Request(make_scope(method="POST"), receive_from({"type": "http.request", "body": b'{"a": "\xff"}'}))
    with pytest.raises(JSONBodyDecodeError) as info:
        await request.json()
    assert info.value.status_code == 400
    assert "utf-8" in info.value.detail


# --- Cached properties: computed once, and robust to subclasses that skip __init__ ----------------


def test_connection_subclass_that_only_sets_scope_gets_every_property() -> None:
    # Starlette's properties only need `self.scope`; a subclass may set it without calling __init__.
    class ScopeOnly(HTTPConnection):
        def __init__(self, scope: Scope) -> None:
            self.scope = scope

    scope = make_scope(
        path="/p", query_string=b"a=1", headers=[(b"cookie", b"c=2"), (b"x-k", b"v")], app_root_path="/root"
    )
    conn = ScopeOnly(scope)
    assert str(conn.url) == "http://testserver/p?a=1"
    assert conn.url is conn.url
    assert conn.headers["X-K"] == "v"
    assert conn.headers is conn.headers
    assert conn.query_params["a"] == "1"
    assert conn.cookies == {"c": "2"}
    assert str(conn.base_url) == "http://testserver/root/"
    conn.state.flag = True
    assert scope["state"] == {"flag": True}
    assert conn.state is conn.state


@pytest.mark.anyio
async def test_request_subclass_that_skips_init_still_reads_the_body() -> None:
    class Bare(Request):
        def __init__(self, scope: Scope, receive: Receive) -> None:
            self.scope = scope
            self._receive = receive
            self._stream_consumed = False

    request = Bare(make_scope(method="POST"), receive_from({"type": "http.request", "body": b'{"a": 1}'}))
    assert await request.json() == {"a": 1}
    assert await request.body() == b'{"a": 1}'
    assert [chunk async for chunk in request.stream()] == [b'{"a": 1}', b""]


@pytest.mark.anyio
async def test_request_subclass_calling_super_init_keeps_its_own_attributes() -> None:
    class Tagged(Request):
        def __init__(self, scope: Scope, receive: Receive) -> None:
            super().__init__(scope, receive)
            self.tag = "t"

    request = Tagged(make_scope(method="POST", path="/x"), receive_from({"type": "http.request", "body": b"[1]"}))
    assert request.tag == "t"
    assert request.url.path == "/x"
    assert await request.json() == [1]


def test_deleted_cache_is_computed_again() -> None:
    # Code that edits the scope's headers drops the cached Headers this way; the next read sees the edit.
    scope = make_scope(headers=[(b"content-encoding", b"gzip")])
    request = Request(scope)
    assert not hasattr(request, "_headers")
    assert request.headers.get("content-encoding") == "gzip"
    assert hasattr(request, "_headers")
    scope["headers"] = []
    delattr(request, "_headers")
    assert "content-encoding" not in request.headers


@pytest.mark.anyio
async def test_body_and_json_caches_behave_like_plain_attributes() -> None:
    # Middleware in the wild tests `hasattr(request, "_body")`, replaces `_body` and deletes `_json`.
    request = Request(make_scope(method="POST"), receive_from({"type": "http.request", "body": b"[1]"}))
    assert not hasattr(request, "_body")
    assert not hasattr(request, "_json")
    assert await request.json() == [1]
    assert request._body == b"[1]"
    assert request._json == [1]
    request._body = b"[2]"
    del request._json
    assert await request.json() == [2]
    assert await request.body() == b"[2]"


@pytest.mark.anyio
async def test_subclass_caching_its_own_decoded_body() -> None:
    # The custom-request pattern: decode the body once in an overridden `body()`, keyed on `_body`.
    class Upper(Request):
        async def body(self) -> bytes:
            if not hasattr(self, "_body"):
                self._body = (await super().body()).upper()
            return self._body

    request = Upper(make_scope(method="POST"), receive_from({"type": "http.request", "body": b'"abc"'}))
    assert await request.json() == "ABC"
    assert await request.body() == b'"ABC"'


@pytest.mark.anyio
async def test_subclass_setting_a_cache_before_super_init_keeps_it() -> None:
    class Preloaded(Request):
        def __init__(self, scope: Scope) -> None:
            self._body = b'{"pre": 1}'
            super().__init__(scope)

    assert await Preloaded(make_scope(method="POST")).json() == {"pre": 1}


@pytest.mark.anyio
async def test_json_null_body_decodes_to_none_every_time() -> None:
    request = Request(make_scope(method="POST"), receive_from({"type": "http.request", "body": b"null"}))
    assert await request.json() is None
    assert await request.json() is None
    assert await request.body() == b"null"


@pytest.mark.anyio
@pytest.mark.parametrize("body", [b'{"a": 1}', b'  {"a": 1}  ', b"\t[1]\r\n", b"12", b'"s"'])
async def test_json_results_match_json_loads(body: bytes) -> None:
    request = Request(make_scope(method="POST"), receive_from({"type": "http.request", "body": body}))
    assert await request.json() == json.loads(body)


@pytest.mark.anyio
@pytest.mark.parametrize("body", [b'{"a": 1} x', b"[1] ]", b"  ", b"nul", b"[1,", b"\n\n", b" 1 2"])
async def test_json_errors_match_json_loads(body: bytes) -> None:
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads(body)
    request = Request(make_scope(method="POST"), receive_from({"type": "http.request", "body": body}))
    with pytest.raises(JSONBodyDecodeError) as info:
        await request.json()
    assert (info.value.msg, info.value.pos, info.value.doc) == (
        expected.value.msg,
        expected.value.pos,
        expected.value.doc,
    )
    assert str(info.value) == str(expected.value)
