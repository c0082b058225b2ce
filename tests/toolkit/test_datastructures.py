from __future__ import annotations

import io
import pickle
import tempfile
from typing import Any
from urllib.parse import parse_qsl

import pytest

from framework.datastructures import (
    URL,
    Address,
    CommaSeparatedStrings,
    FormData,
    Headers,
    ImmutableMultiDict,
    MultiDict,
    MutableHeaders,
    QueryParams,
    Secret,
    State,
    UploadFile,
    URLPath,
)


def _scope(**overrides: Any) -> dict[str, Any]:
    scope: dict[str, Any] = {
        "type": "http",
        "scheme": "http",
        "server": ("testserver", 80),
        "path": "/path/to/somewhere",
        "query_string": b"abc=123",
        "headers": [],
    }
    scope.update(overrides)
    return scope


# --- URL -------------------------------------------------------------------------------------


def test_url_components() -> None:
    url = URL("https://example.org:123/path/to/somewhere?abc=123#anchor")
    assert url.scheme == "https"
    assert url.hostname == "example.org"
    assert url.port == 123
    assert url.netloc == "example.org:123"
    assert url.username is None
    assert url.password is None
    assert url.path == "/path/to/somewhere"
    assert url.query == "abc=123"
    assert url.fragment == "anchor"
    assert url.is_secure


def test_url_replace_components() -> None:
    url = URL("https://example.org:123/path/to/somewhere?abc=123#anchor")
    assert url.replace(scheme="http") == "http://example.org:123/path/to/somewhere?abc=123#anchor"
    assert url.replace(netloc="other.org") == "https://other.org/path/to/somewhere?abc=123#anchor"
    assert url.replace(path="/new") == "https://example.org:123/new?abc=123#anchor"
    assert url.replace(query="") == "https://example.org:123/path/to/somewhere#anchor"
    assert url.replace(fragment="top") == "https://example.org:123/path/to/somewhere?abc=123#top"
    assert url.replace(port=None) == "https://example.org/path/to/somewhere?abc=123#anchor"
    assert url.replace(port=8000) == "https://example.org:8000/path/to/somewhere?abc=123#anchor"
    assert url.replace(hostname="foo.io") == "https://foo.io:123/path/to/somewhere?abc=123#anchor"


def test_url_replace_userinfo() -> None:
    url = URL("http://u:p@example.org:8000/")
    assert url.replace(username="me") == "http://me:p@example.org:8000/"
    assert url.replace(password="pw") == "http://u:pw@example.org:8000/"
    assert url.replace(username=None, password=None) == "http://example.org:8000/"
    assert URL("http://example.org/").replace(username="me") == "http://me@example.org/"


def test_url_replace_keeps_ipv6_brackets() -> None:
    url = URL("http://[::1]:8000/a")
    assert url.hostname == "::1"
    assert url.replace(port=9000) == "http://[::1]:9000/a"
    assert URL("http://[::1]/a").replace(username="x") == "http://x@[::1]/a"


def test_url_is_secure() -> None:
    assert URL("https://a").is_secure
    assert URL("wss://a").is_secure
    assert not URL("http://a").is_secure
    assert not URL("ws://a").is_secure


def test_url_query_params_helpers() -> None:
    url = URL("https://example.org/path?page=3&b=1&b=2")
    assert url.include_query_params(page=4) == "https://example.org/path?b=1&b=2&page=4"
    assert url.include_query_params(search="x y") == "https://example.org/path?page=3&b=1&b=2&search=x+y"
    assert url.replace_query_params(order="name") == "https://example.org/path?order=name"
    assert url.remove_query_params("page") == "https://example.org/path?b=1&b=2"
    assert url.remove_query_params(["page", "b"]) == "https://example.org/path"
    assert url.remove_query_params("missing") == "https://example.org/path?page=3&b=1&b=2"


def test_url_query_helpers_keep_blank_values() -> None:
    url = URL("/p?flag=&x=1")
    assert url.include_query_params(y=2) == "/p?flag=&x=1&y=2"


def test_url_equality_and_hash() -> None:
    url = URL("http://example.org/")
    assert url == "http://example.org/"
    assert url == URL("http://example.org/")
    assert url != "http://example.org"
    assert str(url) == "http://example.org/"
    assert hash(url) == hash(URL("http://example.org/"))


def test_url_repr_masks_password() -> None:
    assert repr(URL("http://example.org/")) == "URL('http://example.org/')"
    assert repr(URL("https://user:secret@example.org/p")) == "URL('https://user:********@example.org/p')"
    assert str(URL("https://user:secret@example.org/p")) == "https://user:secret@example.org/p"


def test_url_from_components() -> None:
    url = URL(scheme="https", netloc="example.org", path="/a", query="x=1")
    assert url == "https://example.org/a?x=1"
    assert URL(path="/only") == "/only"


def test_url_rejects_mixed_arguments() -> None:
    with pytest.raises(AssertionError):
        URL("http://a", scope=_scope())
    with pytest.raises(AssertionError):
        URL("http://a", path="/x")
    with pytest.raises(AssertionError):
        URL(scope=_scope(), path="/x")


def test_url_from_scope_uses_host_header() -> None:
    scope = _scope(headers=[(b"host", b"example.com:8080")])
    url = URL(scope=scope)
    assert url == "http://example.com:8080/path/to/somewhere?abc=123"
    assert url.port == 8080


def test_url_from_scope_server_default_port() -> None:
    assert URL(scope=_scope()) == "http://testserver/path/to/somewhere?abc=123"
    assert URL(scope=_scope(scheme="https", server=("x", 443), query_string=b"")) == "https://x/path/to/somewhere"
    assert URL(scope=_scope(scheme="ws", server=("x", 80))) == "ws://x/path/to/somewhere?abc=123"
    assert URL(scope=_scope(server=("x", 8000))) == "http://x:8000/path/to/somewhere?abc=123"


def test_url_from_scope_without_server() -> None:
    assert URL(scope=_scope(server=None)) == "/path/to/somewhere?abc=123"


def test_url_from_scope_path_includes_root_path() -> None:
    # ASGI: scope["path"] already holds the root_path prefix.
    scope = _scope(root_path="/api", path="/api/users", query_string=b"")
    assert URL(scope=scope) == "http://testserver/api/users"


@pytest.mark.parametrize(
    "host",
    [
        b"evil.com/admin",
        b"evil.com?x=1",
        b"evil.com#frag",
        b"user@evil.com",
        b"evil.com\\x",
        b"evil .com",
        b"evil.com\t",
        b"evil.com\r\nx: y",
        b"evil\x00.com",
        b"evil\x7f.com",
        b"[::1",
        b"example.com:abc",
        b"",
    ],
)
def test_url_from_scope_ignores_malformed_host_header(host: bytes) -> None:
    scope = _scope(server=("127.0.0.1", 8000), headers=[(b"host", host)])
    url = URL(scope=scope)
    assert url == "http://127.0.0.1:8000/path/to/somewhere?abc=123"
    assert url.hostname == "127.0.0.1"
    assert url.path == "/path/to/somewhere"
    assert url.username is None


def test_url_from_scope_accepts_ipv6_host_header() -> None:
    url = URL(scope=_scope(headers=[(b"host", b"[::1]:9000")]))
    assert url.hostname == "::1"
    assert url.port == 9000


def test_url_from_scope_non_utf8_query_string_does_not_raise() -> None:
    url = URL(scope=_scope(query_string=b"a=\xff"))
    assert url.query == "a=\xff"


def test_url_components_are_cached() -> None:
    url = URL("http://example.org/a")
    assert url.components is url.components


# --- URLPath ---------------------------------------------------------------------------------


def test_url_path_is_a_str() -> None:
    path = URLPath("/users/1", protocol="http")
    assert path == "/users/1"
    assert isinstance(path, str)
    assert path.protocol == "http"
    assert path.host == ""


def test_url_path_make_absolute_url() -> None:
    assert URLPath("/a").make_absolute_url("https://example.org/root/") == "https://example.org/root/a"
    assert URLPath("/a", protocol="http").make_absolute_url("https://example.org") == "https://example.org/a"
    assert URLPath("/a", protocol="http").make_absolute_url("http://example.org") == "http://example.org/a"
    assert URLPath("/ws", protocol="websocket").make_absolute_url("https://x.org") == "wss://x.org/ws"
    assert URLPath("/ws", protocol="websocket").make_absolute_url(URL("http://x.org")) == "ws://x.org/ws"
    assert URLPath("/a", host="sub.example.org").make_absolute_url("http://example.org") == "http://sub.example.org/a"
    assert isinstance(URLPath("/a").make_absolute_url("http://x"), URL)


def test_url_path_rejects_unknown_protocol() -> None:
    with pytest.raises(AssertionError):
        URLPath("/", protocol="ftp")


# --- Headers ---------------------------------------------------------------------------------


def test_headers_case_insensitive_lookup() -> None:
    headers = Headers(raw=[(b"a", b"123"), (b"b", b"456"), (b"a", b"789")])
    assert "a" in headers
    assert "A" in headers
    assert "c" not in headers
    assert headers["a"] == "123"
    assert headers["A"] == "123"
    assert headers.get("a") == "123"
    assert headers.get("nope") is None
    assert headers.getlist("a") == ["123", "789"]
    assert headers.keys() == ["a", "b", "a"]
    assert headers.values() == ["123", "456", "789"]
    assert headers.items() == [("a", "123"), ("b", "456"), ("a", "789")]
    assert list(headers) == ["a", "b", "a"]
    assert len(headers) == 3
    with pytest.raises(KeyError):
        headers["missing"]


def test_headers_repr() -> None:
    assert repr(Headers(raw=[(b"a", b"1"), (b"a", b"2")])) == "Headers(raw=[(b'a', b'1'), (b'a', b'2')])"
    assert repr(Headers({"A": "1", "b": "2"})) == "Headers({'a': '1', 'b': '2'})"


def test_headers_equality() -> None:
    assert Headers({"a": "1", "b": "2"}) == Headers({"B": "2", "A": "1"})
    assert Headers({"a": "1"}) != Headers({"a": "2"})
    assert Headers({"a": "1"}) != {"a": "1"}


def test_headers_from_scope_shares_raw_list() -> None:
    raw = [(b"host", b"example.org")]
    scope = {"headers": raw}
    headers = Headers(scope=scope)
    assert headers.raw is raw
    assert headers["host"] == "example.org"


def test_headers_from_scope_tuple_is_converted_once() -> None:
    scope: dict[str, Any] = {"headers": ((b"x", b"1"),)}
    headers = Headers(scope=scope)
    assert scope["headers"] == [(b"x", b"1")]
    assert headers.raw is scope["headers"]


def test_headers_empty() -> None:
    headers = Headers()
    assert len(headers) == 0
    assert headers.raw == []
    assert repr(headers) == "Headers({})"


def test_headers_rejects_mixed_arguments() -> None:
    with pytest.raises(AssertionError):
        Headers({"a": "1"}, raw=[])
    with pytest.raises(AssertionError):
        Headers({"a": "1"}, scope={"headers": []})
    with pytest.raises(AssertionError):
        Headers(raw=[], scope={"headers": []})


def test_headers_latin1_values() -> None:
    headers = Headers(raw=[(b"x-name", "café".encode("latin-1"))])
    assert headers["x-name"] == "café"


def test_headers_mutablecopy_is_independent() -> None:
    headers = Headers(raw=[(b"a", b"1")])
    copy = headers.mutablecopy()
    copy["a"] = "2"
    assert isinstance(copy, MutableHeaders)
    assert headers["a"] == "1"
    assert copy["a"] == "2"


# --- MutableHeaders --------------------------------------------------------------------------


def test_mutable_headers_setitem_replaces_all() -> None:
    headers = MutableHeaders(raw=[(b"a", b"1"), (b"b", b"x"), (b"a", b"2")])
    headers["A"] = "3"
    assert headers.raw == [(b"a", b"3"), (b"b", b"x")]
    headers["c"] = "4"
    assert headers.raw == [(b"a", b"3"), (b"b", b"x"), (b"c", b"4")]


def test_mutable_headers_delitem_removes_all_and_ignores_missing() -> None:
    headers = MutableHeaders(raw=[(b"a", b"1"), (b"b", b"x"), (b"a", b"2")])
    del headers["a"]
    assert headers.raw == [(b"b", b"x")]
    del headers["missing"]
    assert headers.raw == [(b"b", b"x")]


def test_mutable_headers_append_setdefault_update() -> None:
    headers = MutableHeaders()
    headers.append("set-cookie", "a=1")
    headers.append("Set-Cookie", "b=2")
    assert headers.getlist("set-cookie") == ["a=1", "b=2"]
    assert headers.setdefault("x", "first") == "first"
    assert headers.setdefault("X", "second") == "first"
    headers.update({"x": "third", "y": "1"})
    assert headers["x"] == "third"
    assert headers["y"] == "1"


def test_mutable_headers_add_vary_header() -> None:
    headers = MutableHeaders()
    headers.add_vary_header("Origin")
    assert headers["vary"] == "Origin"
    headers.add_vary_header("Accept-Encoding")
    assert headers["vary"] == "Origin, Accept-Encoding"


def test_mutable_headers_or_operators() -> None:
    headers = MutableHeaders({"a": "1"})
    merged = headers | {"b": "2"}
    assert isinstance(merged, MutableHeaders)
    assert merged == Headers({"a": "1", "b": "2"})
    assert headers == Headers({"a": "1"})
    headers |= {"a": "9"}
    assert headers["a"] == "9"
    with pytest.raises(TypeError, match="Expected a mapping but got list"):
        headers | ["a"]  # type: ignore[operator]
    with pytest.raises(TypeError, match="Expected a mapping but got str"):
        headers |= "a"  # type: ignore[arg-type]


def test_mutable_headers_scope_changes_are_visible_in_scope() -> None:
    scope: dict[str, Any] = {"headers": []}
    headers = MutableHeaders(scope=scope)
    headers["x-a"] = "1"
    assert scope["headers"] == [(b"x-a", b"1")]


@pytest.mark.parametrize("value", ["a\r\nset-cookie: x=1", "a\nb", "a\rb", "a\x00b"])
def test_mutable_headers_reject_response_splitting(value: str) -> None:
    headers = MutableHeaders()
    with pytest.raises(ValueError, match="CR, LF or NUL"):
        headers["x"] = value
    with pytest.raises(ValueError, match="CR, LF or NUL"):
        headers.append("x", value)
    with pytest.raises(ValueError, match="CR, LF or NUL"):
        headers.setdefault("x", value)
    assert headers.raw == []


# --- QueryParams -----------------------------------------------------------------------------


def test_query_params_from_string() -> None:
    q = QueryParams("a=123&a=456&b=789")
    assert "a" in q
    assert "A" not in q
    assert q["a"] == "456"
    assert q.get("a") == "456"
    assert q.get("nope") is None
    assert q.getlist("a") == ["123", "456"]
    assert list(q.keys()) == ["a", "b"]
    assert list(q.values()) == ["456", "789"]
    assert list(q.items()) == [("a", "456"), ("b", "789")]
    assert q.multi_items() == [("a", "123"), ("a", "456"), ("b", "789")]
    assert len(q) == 2
    assert list(q) == ["a", "b"]
    assert dict(q) == {"a": "456", "b": "789"}
    assert str(q) == "a=123&a=456&b=789"
    assert repr(q) == "QueryParams('a=123&a=456&b=789')"


def test_query_params_other_sources() -> None:
    expected = QueryParams("a=123&b=456")
    assert QueryParams(b"a=123&b=456") == expected
    assert QueryParams({"a": "123", "b": "456"}) == expected
    assert QueryParams([("a", "123"), ("b", "456")]) == expected
    assert QueryParams(a="123", b="456") == expected
    assert QueryParams("a=123", b="456") == expected
    assert QueryParams({"a": 123, "b": 456}) == expected
    assert QueryParams(expected) == expected
    assert QueryParams() == QueryParams("")
    # The order between different keys does not matter; the order of one key's values does.
    assert QueryParams([("a", "1"), ("b", "2")]) == QueryParams([("b", "2"), ("a", "1")])
    assert QueryParams([("a", "1"), ("a", "2")]) != QueryParams([("a", "2"), ("a", "1")])
    assert QueryParams("a=1") != {"a": "1"}


def test_query_params_decoding() -> None:
    q = QueryParams("name=J%C3%BCrgen&space=a+b&blank=&flag")
    assert q["name"] == "Jürgen"
    assert q["space"] == "a b"
    assert q["blank"] == ""
    assert q["flag"] == ""


def test_query_params_bytes_are_latin1_then_percent_decoded() -> None:
    q = QueryParams(b"a=%C3%A9&b=\xe9")
    assert q["a"] == "é"
    assert q["b"] == "é"


@pytest.mark.parametrize("raw", ["a=%zz", "a=%", "a=%e9%", "a=%ff%fe", "%%%=1", "&&&", "=", "a=1&&b=2"])
def test_query_params_malformed_input_does_not_raise(raw: str) -> None:
    q = QueryParams(raw)
    assert isinstance(str(q), str)
    assert isinstance(q.multi_items(), list)


def test_query_params_invalid_percent_kept_literally() -> None:
    q = QueryParams("a=%zz&b=%ff")
    assert q["a"] == "%zz"
    assert q["b"] == "\ufffd"


def test_query_params_lazy_parse_matches_eager() -> None:
    lazy = QueryParams("x=1&y=2&x=3")
    eager = QueryParams([("x", "1"), ("y", "2"), ("x", "3")])
    assert lazy == eager
    assert eager == QueryParams("x=1&y=2&x=3")
    assert repr(QueryParams("x=1")) == "QueryParams('x=1')"


def test_query_params_pickle_roundtrip() -> None:
    q = QueryParams("a=1&a=2")
    assert pickle.loads(pickle.dumps(q)) == q
    unparsed = QueryParams("b=3")
    assert pickle.loads(pickle.dumps(unparsed))["b"] == "3"


def test_query_params_unknown_attribute() -> None:
    with pytest.raises(AttributeError, match="'QueryParams' object has no attribute 'nope'"):
        QueryParams("a=1").nope  # noqa: B018


def test_query_params_are_immutable() -> None:
    q = QueryParams("a=1")
    with pytest.raises(TypeError):
        q["a"] = "2"


# --- ImmutableMultiDict / MultiDict ----------------------------------------------------------


def test_immutable_multidict() -> None:
    d = ImmutableMultiDict([("a", "123"), ("a", "456"), ("b", "789")])
    assert d["a"] == "456"
    assert d.getlist("a") == ["123", "456"]
    assert d.getlist("missing") == []
    assert d.multi_items() == [("a", "123"), ("a", "456"), ("b", "789")]
    assert repr(d) == "ImmutableMultiDict([('a', '123'), ('a', '456'), ('b', '789')])"
    assert ImmutableMultiDict({"a": "1"}) == ImmutableMultiDict([("a", "1")])
    assert ImmutableMultiDict(a="1") == ImmutableMultiDict([("a", "1")])
    assert ImmutableMultiDict() == ImmutableMultiDict([])
    assert d != ImmutableMultiDict([("a", "456")])
    assert d != [("a", "456")]
    with pytest.raises(AssertionError, match=r"Too many arguments\."):
        ImmutableMultiDict([], [])


def test_immutable_multidict_copy_does_not_share_list() -> None:
    first = MultiDict([("a", "1")])
    second = ImmutableMultiDict(first)
    first.append("a", "2")
    assert second.multi_items() == [("a", "1")]


def test_multidict_mutation() -> None:
    d = MultiDict([("a", "123"), ("a", "456")])
    d["a"] = "789"
    assert d.multi_items() == [("a", "789")]
    d.append("a", "000")
    assert d.getlist("a") == ["789", "000"]
    assert d["a"] == "000"
    d.setlist("b", ["1", "2"])
    assert d.getlist("b") == ["1", "2"]
    assert d["b"] == "2"
    d.setlist("b", [])
    assert "b" not in d
    assert d.setdefault("c", "x") == "x"
    assert d.setdefault("c", "y") == "x"
    del d["c"]
    assert "c" not in d
    with pytest.raises(KeyError):
        del d["c"]


def test_multidict_pop_variants() -> None:
    d = MultiDict([("a", "1"), ("b", "2"), ("a", "3")])
    assert d.poplist("a") == ["1", "3"]
    assert d.multi_items() == [("b", "2")]
    assert d.pop("b") == "2"
    assert d.pop("b", "default") == "default"
    assert d.pop("missing") is None
    d = MultiDict([("x", "1"), ("x", "2")])
    assert d.popitem() == ("x", "2")
    assert d.multi_items() == []
    with pytest.raises(KeyError):
        d.popitem()


def test_multidict_update_and_clear() -> None:
    d = MultiDict([("a", "1"), ("a", "2"), ("b", "3")])
    d.update([("a", "9"), ("c", "4")])
    assert d.multi_items() == [("b", "3"), ("a", "9"), ("c", "4")]
    d.update({"b": "5"}, d="6")
    assert d.multi_items() == [("a", "9"), ("c", "4"), ("b", "5"), ("d", "6")]
    d.clear()
    assert len(d) == 0
    assert d.multi_items() == []
    assert repr(MultiDict([("a", 1)])) == "MultiDict([('a', 1)])"


# --- FormData / UploadFile -------------------------------------------------------------------


@pytest.mark.anyio
async def test_upload_file_plain_file_object() -> None:
    stream = io.BytesIO(b"data")
    upload = UploadFile(stream, filename="file.txt", size=4, headers=Headers({"content-type": "text/plain"}))
    assert upload.filename == "file.txt"
    assert upload.content_type == "text/plain"
    assert upload.size == 4
    assert await upload.read() == b"data"
    await upload.seek(0)
    assert await upload.read(2) == b"da"
    await upload.seek(4)
    await upload.write(b"!!")
    assert upload.size == 6
    await upload.seek(0)
    assert await upload.read() == b"data!!"
    await upload.close()
    assert stream.closed


@pytest.mark.anyio
async def test_upload_file_spooled_rolls_to_disk() -> None:
    spooled = tempfile.SpooledTemporaryFile(max_size=8)  # noqa: SIM115 - closed through UploadFile
    upload = UploadFile(spooled, size=0)
    await upload.write(b"12345")
    assert upload._in_memory
    await upload.write(b"67890")
    assert not upload._in_memory
    assert upload.size == 10
    await upload.seek(0)
    assert await upload.read() == b"1234567890"
    await upload.close()
    assert spooled.closed


@pytest.mark.anyio
async def test_upload_file_size_unknown_stays_none() -> None:
    upload = UploadFile(io.BytesIO())
    await upload.write(b"abc")
    assert upload.size is None
    assert upload.content_type is None
    assert upload.headers == Headers()


def test_upload_file_repr() -> None:
    upload = UploadFile(io.BytesIO(), filename="a.txt", size=3, headers=Headers({"content-type": "text/plain"}))
    assert repr(upload) == "UploadFile(filename='a.txt', size=3, headers=Headers({'content-type': 'text/plain'}))"


@pytest.mark.anyio
async def test_form_data_close_closes_files() -> None:
    stream = io.BytesIO(b"x")
    upload = UploadFile(stream, filename="f")
    form = FormData([("name", "value"), ("file", upload)])
    assert form["name"] == "value"
    assert form["file"] is upload
    assert form.getlist("file") == [upload]
    assert form == FormData([("file", upload), ("name", "value")])
    assert form != FormData([("name", "value")])
    await form.close()
    assert stream.closed


def test_form_data_repr_and_kwargs() -> None:
    form = FormData({"a": "1"}, b="2")
    assert repr(form) == "FormData([('a', '1'), ('b', '2')])"


# --- Small types -----------------------------------------------------------------------------


def test_address() -> None:
    address = Address("127.0.0.1", 8000)
    assert address.host == "127.0.0.1"
    assert address.port == 8000
    assert address == ("127.0.0.1", 8000)


def test_secret() -> None:
    secret = Secret("hunter2")
    assert repr(secret) == "Secret('**********')"
    assert str(secret) == "hunter2"
    assert "hunter2" not in f"{[secret]}"
    assert bool(secret)
    assert not Secret("")


def test_comma_separated_strings() -> None:
    items = CommaSeparatedStrings("localhost, 127.0.0.1 ,'a, b',\"c\"")
    assert list(items) == ["localhost", "127.0.0.1", "a, b", "c"]
    assert len(items) == 4
    assert items[0] == "localhost"
    assert items[1:2] == ["127.0.0.1"]
    assert repr(CommaSeparatedStrings("a, b")) == "CommaSeparatedStrings(['a', 'b'])"
    assert str(CommaSeparatedStrings("a, b")) == "'a', 'b'"
    assert list(CommaSeparatedStrings(["x", "y"])) == ["x", "y"]
    assert list(CommaSeparatedStrings("")) == []


def test_state_attribute_and_item_access() -> None:
    backing: dict[str, Any] = {"existing": 1}
    state = State(backing)
    assert state.existing == 1
    state.value = "v"
    assert backing["value"] == "v"
    assert state["value"] == "v"
    state["other"] = 2
    assert state.other == 2
    assert "other" in state
    assert sorted(state) == ["existing", "other", "value"]
    del state.value
    del state["other"]
    assert backing == {"existing": 1}


def test_state_missing_attribute_message() -> None:
    state = State()
    with pytest.raises(AttributeError, match=r"^'State' object has no attribute 'x'$"):
        state.x  # noqa: B018
    with pytest.raises(KeyError):
        state["x"]


def test_state_subclass_message_uses_subclass_name() -> None:
    class AppState(State):
        pass

    with pytest.raises(AttributeError, match="'AppState' object has no attribute 'y'"):
        AppState().y  # noqa: B018


def _scope_url(path: str = "/p", host: bytes | None = None, server: Any = ("example.com", 80), **extra: Any) -> URL:
    headers = [] if host is None else [(b"host", host)]
    scope = {"scheme": "http", "path": path, "query_string": b"", "headers": headers, "server": server, **extra}
    return URL(scope=scope)


@pytest.mark.parametrize("host", [b"evil.com/path", b"a@evil.com", b"example.org:99999", b"[:::]", b"x y"])
def test_url_ignores_malformed_host_header(host: bytes) -> None:
    url = _scope_url(host=host)
    assert url.netloc == "example.com"
    assert url.path == "/p"


def test_url_keeps_path_inside_the_path() -> None:
    assert str(_scope_url(path="/a?b#c")) == "http://example.com/a%3Fb%23c"
    assert _scope_url(path="@other.host/x").hostname == "example.com"
    assert str(_scope_url(path="//other.host/x", server=None)) == "/%2Fother.host/x"


def test_url_brackets_ipv6_server_address() -> None:
    assert _scope_url(server=("::1", 8000)).netloc == "[::1]:8000"
    assert str(URL("http://example.com:81/").replace(hostname="::1")) == "http://[::1]:81/"


def test_url_path_cannot_become_protocol_relative() -> None:
    assert URLPath("//evil.example/x") == "/%2Fevil.example/x"
    assert URLPath("/a\\b") == "/a%5Cb"


def test_state_has_a_length() -> None:
    state = State({"a": 1})
    state.b = 2
    assert len(state) == 2


def test_add_vary_header_folds_existing_lines() -> None:
    headers = MutableHeaders(raw=[(b"vary", b"Cookie"), (b"vary", b"Origin")])
    headers.add_vary_header("Accept-Encoding")
    assert headers.getlist("vary") == ["Cookie, Origin, Accept-Encoding"]


def test_form_data_equality_respects_order_within_a_key() -> None:
    assert FormData([("a", "1"), ("b", "2")]) == FormData([("b", "2"), ("a", "1")])
    assert FormData([("a", "1"), ("a", "2")]) != FormData([("a", "2"), ("a", "1")])


@pytest.mark.anyio
async def test_upload_file_write_that_rolls_to_disk_still_works() -> None:
    with tempfile.SpooledTemporaryFile(max_size=4) as spooled:
        upload = UploadFile(spooled, size=0)
        await upload.write(b"abc")
        await upload.write(b"defgh")  # crosses max_size: the copy to disk happens in a thread
        assert spooled._rolled  # type: ignore[attr-defined]
        await upload.seek(0)
        assert await upload.read() == b"abcdefgh"
        assert upload.size == 8


# --- URL from a scope: components answered without building the string --------------------------


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, "http://testserver/path/to/somewhere?abc=123"),
        ({"path": "/a?b#c\\d", "query_string": b""}, "http://testserver/a%3Fb%23c%5Cd"),
        ({"path": "x", "headers": [(b"host", b"Example.COM:8080")]}, "http://Example.COM:8080/x?abc=123"),
        ({"path": "", "query_string": b""}, "http://testserver"),
        ({"path": "/a\tb\r\n", "query_string": b"q=1\t2"}, "http://testserver/a\tb\r\n?q=1\t2"),
        ({"query_string": b"a=1#frag"}, "http://testserver/path/to/somewhere?a=1#frag"),
        ({"scheme": "HTTPS", "server": ("h", 443)}, "HTTPS://h:443/path/to/somewhere?abc=123"),
        ({"server": ("::1", 8000)}, "http://[::1]:8000/path/to/somewhere?abc=123"),
        ({"server": ("/tmp/app.sock", None)}, "http:///tmp/app.sock/path/to/somewhere?abc=123"),
        ({"server": None, "path": "//evil.example/x"}, "/%2Fevil.example/x?abc=123"),
        ({"server": None, "headers": [(b"host", b"[::1]:90")]}, "http://[::1]:90/path/to/somewhere?abc=123"),
    ],
)
def test_url_from_scope_components_match_parsing_the_string(overrides: dict[str, Any], expected: str) -> None:
    # Read the components first (the shortcut), then compare with a URL parsed from the full string.
    url = URL(scope=_scope(**overrides))
    parsed = URL(expected)
    assert (url.path, url.query, url.scheme) == (parsed.path, parsed.query, parsed.scheme)
    assert (url.netloc, url.hostname, url.port) == (parsed.netloc, parsed.hostname, parsed.port)
    assert url.fragment == parsed.fragment
    assert url.components == parsed.components
    assert str(url) == expected
    assert url == parsed
    assert hash(url) == hash(parsed)
    assert repr(url) == repr(parsed)
    assert url.replace(path="/z") == parsed.replace(path="/z")


def test_url_from_scope_drops_tab_and_newline_like_urlsplit() -> None:
    url = URL(scope=_scope(path="/a\tb\n", query_string=b"x=1\r"))
    assert url.path == "/ab"
    assert url.query == "x=1"


def test_url_from_scope_query_fragment_is_split_off() -> None:
    url = URL(scope=_scope(query_string=b"a=1#frag"))
    assert url.query == "a=1"
    assert url.fragment == "frag"


def test_url_from_scope_is_a_snapshot_of_the_scope() -> None:
    scope = _scope(headers=[(b"host", b"before.example")])
    url = URL(scope=scope)
    scope["path"] = "/changed"
    scope["query_string"] = b"changed=1"
    scope["headers"][0] = (b"host", b"after.example")
    scope["server"] = ("other", 81)
    assert url.path == "/path/to/somewhere"
    assert url.query == "abc=123"
    assert str(url) == "http://before.example/path/to/somewhere?abc=123"


def test_url_from_scope_reads_the_host_header_freshly_for_each_scope() -> None:
    # Verdicts on Host values are remembered: a bad value stays bad, a good one stays per scope.
    for _ in range(2):
        assert _scope_url(host=b"evil.com/x").netloc == "example.com"
        assert _scope_url(host=b"good.example:81").netloc == "good.example:81"


def test_url_from_scope_many_distinct_hosts_stay_correct() -> None:
    # More distinct Host values than any cache would keep: every answer must still be exact.
    for number in range(600):
        assert _scope_url(host=f"h{number}.example".encode()).hostname == f"h{number}.example"
        assert _scope_url(host=f"h{number}.example/x".encode()).hostname == "example.com"
    huge = b"a" * 5000
    assert _scope_url(host=huge).hostname == "a" * 5000


def test_url_from_scope_without_authority_keeps_relative_components() -> None:
    url = URL(scope=_scope(server=None, path="/p"))
    assert url.scheme == ""
    assert url.netloc == ""
    assert url.path == "/p"
    assert url.query == "abc=123"


# --- Lookups without Mapping.get's KeyError; caches that cannot go stale --------------------------


def test_headers_get_present_missing_and_default() -> None:
    headers = Headers(raw=[(b"content-type", b"text/plain"), (b"x-a", b"1"), (b"x-a", b"2")])
    assert headers.get("Content-Type") == "text/plain"
    assert headers.get("CONTENT-TYPE") == "text/plain"
    assert headers.get("x-a") == "1"
    assert headers.get("missing") is None
    assert headers.get("missing", "d") == "d"
    assert headers.get("missing", default=None) is None
    assert headers.getlist("X-A") == ["1", "2"]
    with pytest.raises(UnicodeEncodeError):
        headers.get("ä€")
    assert "ä€" not in headers


def test_headers_many_distinct_lookup_names_stay_correct() -> None:
    headers = Headers(raw=[(b"x-7", b"seven")])
    for number in range(700):
        assert headers.get(f"X-{number}") == ("seven" if number == 7 else None)
        assert (f"x-{number}" in headers) is (number == 7)


def test_headers_subclass_redefining_getitem_keeps_get_consistent() -> None:
    class Defaulting(Headers):
        def __getitem__(self, key: str) -> str:
            try:
                return super().__getitem__(key)
            except KeyError:
                return "fallback"

    headers = Defaulting(raw=[(b"a", b"1")])
    assert headers.get("a") == "1"
    assert headers.get("b") == "fallback"


def test_multidict_get_and_subclass_redefining_getitem() -> None:
    data = ImmutableMultiDict([("a", "1"), ("a", "2")])
    assert data.get("a") == "2"
    assert data.get("b") is None
    assert data.get("b", "d") == "d"

    class Upper(ImmutableMultiDict[str, str]):
        def __getitem__(self, key: str) -> str:
            return super().__getitem__(key.lower())

    assert Upper([("a", "1")]).get("A") == "1"


@pytest.mark.parametrize(
    "raw",
    ["", "a=1", "a=1&b=2&a=3", "a&b=&=c&&d=e=f", "&&", "=", "x=a+b", "x=%20y&z", "k=%zz", "a=1;b=2", "é=ü"],
)
def test_query_params_match_parse_qsl(raw: str) -> None:
    expected = parse_qsl(raw, keep_blank_values=True)
    params = QueryParams(raw)
    assert params.multi_items() == expected
    assert params == QueryParams(expected)
    assert QueryParams(raw.encode("utf-8").decode("latin-1")) == QueryParams(raw.encode("utf-8"))
    assert pickle.loads(pickle.dumps(QueryParams(raw))) == params


def test_url_path_with_an_address_that_is_not_plain() -> None:
    # The shortcut remembers the last plain server address; a different one is judged on its own.
    plain = ("example.com", 80)
    assert _scope_url(path="/a", server=plain).path == "/a"
    assert _scope_url(path="/a", server=("exa mple", 80)).path == "/a"
    assert str(_scope_url(path="/a", server=("exa mple", 80))) == "http://exa mple/a"
    assert _scope_url(path="/a", server=["example.com", 81]).netloc == "example.com:81"
    assert _scope_url(path="/b", server=plain).path == "/b"
