"""The incoming side of an HTTP exchange: `HTTPConnection` (shared with WebSocket) and `Request`.

Everything is computed lazily from the ASGI scope and cached on first use, so a handler that only
reads `request.path_params` pays for nothing else: construction is a handful of attribute stores.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncGenerator, Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Generic, NoReturn, cast

import anyio
from typing_extensions import TypeVar

from framework._utils import AwaitableOrContextManager, AwaitableOrContextManagerWrapper
from framework.datastructures import URL, Address, FormData, Headers, QueryParams, State
from framework.exceptions import HTTPException
from framework.types import Message, Receive, Scope, Send

if TYPE_CHECKING:
    from framework.formparsers import FormParser, MultiPartParser

__all__ = [
    "ClientDisconnect",
    "HTTPConnection",
    "JSONBodyDecodeError",
    "Request",
    "cookie_parser",
    "empty_receive",
    "empty_send",
]

SERVER_PUSH_HEADERS_TO_COPY = {"accept", "accept-encoding", "accept-language", "cache-control", "user-agent"}

# A quoted cookie value may carry backslash escapes: three octal digits or one escaped character.
_COOKIE_ESCAPE = re.compile(r"\\(?:([0-3][0-7][0-7])|(.))")


def _unescape_cookie(match: re.Match[str]) -> str:
    octal = match.group(1)
    return chr(int(octal, 8)) if octal else match.group(2)


def _unquote_cookie(value: str) -> str:
    if len(value) < 2 or value[0] != '"' or value[-1] != '"':
        return value
    inner = value[1:-1]
    return _COOKIE_ESCAPE.sub(_unescape_cookie, inner) if "\\" in inner else inner


def cookie_parser(cookie_string: str) -> dict[str, str]:
    """Parse a `Cookie` header the lenient way browsers do, not the strict way RFC 2109 asks.

    `http.cookies.SimpleCookie` rejects the whole header on one odd character; real clients send such
    headers all the time, so each `;`-separated chunk stands on its own. A chunk without `=` is a value
    with an empty name (what browsers do), and later duplicates win.
    """
    cookies: dict[str, str] = {}
    for chunk in cookie_string.split(";"):
        key, sep, value = chunk.partition("=")
        if not sep:
            key, value = "", key
        key, value = key.strip(), value.strip()
        if key or value:
            cookies[key] = _unquote_cookie(value)
    return cookies


class ClientDisconnect(Exception):
    """The client went away while the request body was being read or the response streamed."""


class _MissingMiddleware(AssertionError, RuntimeError):
    """A scope key that some middleware provides is absent.

    Both an AssertionError (what Starlette historically raised) and a RuntimeError, so either `except`
    keeps working, and it is raised explicitly so `python -O` cannot strip the check.
    """


class _WrongScopeType(AssertionError, ValueError):
    """A connection class was given a scope of a type it cannot represent."""


class JSONBodyDecodeError(json.JSONDecodeError, HTTPException):
    """`request.json()` got a body that is not JSON.

    It is a `json.JSONDecodeError` (so a `ValueError`) for code that already catches those, and an
    `HTTPException(400)` so that, left uncaught, the client gets a 400 naming the problem instead of a 500.
    """

    def __init__(self, msg: str, doc: str, pos: int) -> None:
        json.JSONDecodeError.__init__(self, msg, doc, pos)
        HTTPException.__init__(self, 400, detail=f"Invalid JSON in request body: {self.args[0]}")

    def __str__(self) -> str:
        return str(self.args[0])


# What `__dict__.get` returns for a value not computed yet (None may be a cached value, e.g. a JSON null).
_MISSING: Any = object()

StateT = TypeVar("StateT", bound="Mapping[str, Any] | State", default=State)


class HTTPConnection(Mapping[str, Any], Generic[StateT]):
    """What an HTTP request and a WebSocket have in common; also a read-only mapping over the scope."""

    # The computed values are cached in the instance `__dict__` under Starlette's names (`_url`, `_headers`,
    # ..., `_body`, `_json`), which code in the wild reads, sets, deletes and tests with hasattr. The
    # properties look them up with `__dict__.get`: `hasattr` or a try/except would raise an AttributeError on
    # every first access (about half a microsecond each), and the first access is the common case.
    __slots__ = ("__dict__", "scope")

    scope: Scope
    _url: URL
    _base_url: URL
    _headers: Headers
    _query_params: QueryParams
    _cookies: dict[str, str]
    _state: State

    def __init__(self, scope: Scope, receive: Receive | None = None) -> None:
        if scope["type"] not in ("http", "websocket"):
            raise _WrongScopeType(f"Expected scope type 'http' or 'websocket', got {scope['type']!r}")
        self.scope = scope

    def __getitem__(self, key: str) -> Any:
        return self.scope[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.scope)

    def __len__(self) -> int:
        return len(self.scope)

    # Two connections are equal only when they are the same object, never because their scopes match.
    __eq__ = object.__eq__
    __hash__ = object.__hash__

    @property
    def app(self) -> Any:
        return self.scope["app"]

    @property
    def url(self) -> URL:
        url: URL = self.__dict__.get("_url", _MISSING)
        if url is _MISSING:
            url = self._url = URL(scope=self.scope)
        return url

    @property
    def base_url(self) -> URL:
        base_url: URL = self.__dict__.get("_base_url", _MISSING)
        if base_url is _MISSING:
            base_scope = dict(self.scope)
            # Inside a Mount the scope's root_path grows, but url_for() must build from the application root.
            app_root_path = base_scope.get("app_root_path", base_scope.get("root_path", ""))
            base_scope["path"] = app_root_path if app_root_path.endswith("/") else app_root_path + "/"
            base_scope["query_string"] = b""
            base_scope["root_path"] = app_root_path
            base_url = self._base_url = URL(scope=base_scope)
        return base_url

    @property
    def headers(self) -> Headers:
        headers: Headers = self.__dict__.get("_headers", _MISSING)
        if headers is _MISSING:
            headers = self._headers = Headers(scope=self.scope)
        return headers

    @property
    def query_params(self) -> QueryParams:
        query_params: QueryParams = self.__dict__.get("_query_params", _MISSING)
        if query_params is _MISSING:
            query_params = self._query_params = QueryParams(self.scope["query_string"])
        return query_params

    @property
    def path_params(self) -> dict[str, Any]:
        path_params: dict[str, Any] = self.scope.get("path_params", {})
        return path_params

    @property
    def cookies(self) -> dict[str, str]:
        cookies: dict[str, str] = self.__dict__.get("_cookies", _MISSING)
        if cookies is _MISSING:
            cookies = {}
            for header in self.headers.getlist("cookie"):
                cookies.update(cookie_parser(header))
            self._cookies = cookies
        return cookies

    @property
    def client(self) -> Address | None:
        host_port = self.scope.get("client")
        return None if host_port is None else Address(*host_port)

    @property
    def session(self) -> dict[str, Any]:
        if "session" not in self.scope:
            raise _MissingMiddleware("SessionMiddleware must be installed to access request.session")
        session: dict[str, Any] = self.scope["session"]
        # SessionMiddleware's Session tracks reads (to add `Vary: Cookie`); other session dicts may not.
        mark_accessed = getattr(session, "mark_accessed", None)
        if mark_accessed is not None:
            mark_accessed()
        return session

    @property
    def auth(self) -> Any:
        if "auth" not in self.scope:
            raise _MissingMiddleware("AuthenticationMiddleware must be installed to access request.auth")
        return self.scope["auth"]

    @property
    def user(self) -> Any:
        if "user" not in self.scope:
            raise _MissingMiddleware("AuthenticationMiddleware must be installed to access request.user")
        return self.scope["user"]

    @property
    def state(self) -> StateT:
        state: State = self.__dict__.get("_state", _MISSING)
        if state is _MISSING:
            # The State writes through to scope["state"], which the lifespan state was copied into.
            state = self._state = State(self.scope.setdefault("state", {}))
        return state  # type: ignore[return-value]

    def url_for(self, name: str, /, **path_params: Any) -> URL:
        provider = self.scope.get("router") or self.scope.get("app")
        if provider is None:
            # Worded as Starlette's message with the class renamed, which code matching on it expects.
            raise RuntimeError(
                "The `url_for` method can only be used inside a Application application or with a router."
            )
        url_path = provider.url_path_for(name, **path_params)
        return cast(URL, url_path.make_absolute_url(base_url=self.base_url))


async def empty_receive() -> NoReturn:
    raise RuntimeError("Receive channel has not been made available")


async def empty_send(message: Message) -> NoReturn:
    raise RuntimeError("Send channel has not been made available")


class Request(HTTPConnection[StateT]):
    """An HTTP request: the scope plus the receive channel the body arrives on."""

    __slots__ = ("_form", "_is_disconnected", "_receive", "_send", "_stream_consumed")

    _form: FormData | None
    _body: bytes
    _json: Any

    def __init__(self, scope: Scope, receive: Receive = empty_receive, send: Send = empty_send) -> None:
        if scope["type"] != "http":
            raise _WrongScopeType(f"Expected scope type 'http', got {scope['type']!r}")
        self.scope = scope
        self._receive = receive
        self._send = send
        self._stream_consumed = False
        self._is_disconnected = False
        self._form = None

    @property
    def method(self) -> str:
        method: str = self.scope["method"]
        return method

    @property
    def receive(self) -> Receive:
        return self._receive

    async def stream(self) -> AsyncGenerator[bytes, None]:
        """Yield the body as it arrives without keeping it; ends with one empty chunk."""
        body = self.__dict__.get("_body", _MISSING)
        if body is not _MISSING:
            yield body
            yield b""
            return
        if self._stream_consumed:
            raise RuntimeError("Stream consumed")
        while not self._stream_consumed:
            message = await self._receive()
            if message["type"] == "http.request":
                chunk: bytes = message.get("body", b"")
                if not message.get("more_body", False):
                    self._stream_consumed = True
                if chunk:
                    yield chunk
            elif message["type"] == "http.disconnect":
                self._is_disconnected = True
                raise ClientDisconnect()
        yield b""

    async def body(self) -> bytes:
        body: bytes = self.__dict__.get("_body", _MISSING)
        if body is not _MISSING:
            return body
        if self._stream_consumed:
            raise RuntimeError("Stream consumed")
        # The same reading rules as `stream()`, without an async generator: most bodies are one message.
        chunks: list[bytes] = []
        receive = self._receive
        while True:
            message = await receive()
            message_type = message["type"]
            if message_type == "http.request":
                chunk: bytes = message.get("body", b"")
                if not message.get("more_body", False):
                    self._stream_consumed = True
                    if not chunks:
                        self._body = chunk
                        return chunk
                    chunks.append(chunk)
                    break
                if chunk:
                    chunks.append(chunk)
            elif message_type == "http.disconnect":
                self._is_disconnected = True
                raise ClientDisconnect()
        self._body = b"".join(chunks)
        return self._body

    async def json(self) -> Any:
        decoded = self.__dict__.get("_json", _MISSING)
        if decoded is _MISSING:
            decoded = self._json = _decode_json(await self.body())
        return decoded

    async def _get_form(
        self,
        *,
        max_files: int | float = 1000,
        max_fields: int | float = 1000,
        max_part_size: int = 1024 * 1024,
    ) -> FormData:
        if self._form is None:
            self._form = await self._parse_form(max_files, max_fields, max_part_size)
        return self._form

    async def _parse_form(self, max_files: int | float, max_fields: int | float, max_part_size: int) -> FormData:
        # Imported here: python-multipart is only loaded by applications that read forms.
        from framework.formparsers import FormParser, MultiPartException, MultiPartParser

        content_type = self.headers.get("content-type", "").partition(";")[0].strip().lower()
        parser: FormParser | MultiPartParser
        if content_type == "multipart/form-data":
            stream = self.stream()
            parser = MultiPartParser(
                self.headers, stream, max_files=max_files, max_fields=max_fields, max_part_size=max_part_size
            )
        elif content_type == "application/x-www-form-urlencoded":
            stream = self.stream()
            parser = FormParser(self.headers, stream, max_fields=max_fields, max_part_size=max_part_size)
        else:
            return FormData()
        try:
            return await parser.parse()
        except MultiPartException as exc:
            # Inside an application the client gets a 400; used bare, the caller decides.
            if "app" in self.scope:
                raise HTTPException(status_code=400, detail=exc.message) from exc
            raise
        finally:
            # A parser that stops early leaves the body generator suspended; close it now, not at GC time.
            await stream.aclose()

    def form(
        self,
        *,
        max_files: int | float = 1000,
        max_fields: int | float = 1000,
        max_part_size: int = 1024 * 1024,
    ) -> AwaitableOrContextManager[FormData]:
        """Parse the body as a form; await it, or use `async with` to close uploaded files afterwards."""
        return AwaitableOrContextManagerWrapper(
            self._get_form(max_files=max_files, max_fields=max_fields, max_part_size=max_part_size)
        )

    async def close(self) -> None:
        if self._form is not None:
            await self._form.close()

    async def is_disconnected(self) -> bool:
        """Peek at the receive channel without waiting: True once the client has gone."""
        if not self._is_disconnected:
            message: Message = {}
            # A cancelled scope makes the receive return at once if nothing is queued.
            with anyio.CancelScope() as scope:
                scope.cancel()
                message = await self._receive()
            if message.get("type") == "http.disconnect":
                self._is_disconnected = True
        return self._is_disconnected

    async def send_push_promise(self, path: str) -> None:
        """HTTP/2 server push; does nothing unless the server offers the extension."""
        if "http.response.push" in self.scope.get("extensions", {}):
            raw_headers = [
                (name.encode("latin-1"), value.encode("latin-1"))
                for name in SERVER_PUSH_HEADERS_TO_COPY
                for value in self.headers.getlist(name)
            ]
            await self._send({"type": "http.response.push", "path": path, "headers": raw_headers})

    async def send_early_hints(self, *links: str | bytes | Iterable[str | bytes]) -> None:
        """Send a 103 Early Hints with these `Link` values; does nothing unless the server supports it.

        Accepts link values one by one or as lists: `send_early_hints("</app.css>; rel=preload; as=style")`.
        """
        if "http.response.early_hint" not in self.scope.get("extensions", {}):
            return
        encoded = [_encode_link(link) for link in _flatten_links(links)]
        if encoded:
            await self._send({"type": "http.response.early_hint", "links": encoded})


def _flatten_links(links: Iterable[str | bytes | Iterable[str | bytes]]) -> Iterator[str | bytes]:
    for item in links:
        if isinstance(item, str | bytes):
            yield item
        else:
            yield from item


def _encode_link(link: str | bytes) -> bytes:
    value = link if isinstance(link, bytes) else link.encode("latin-1")
    # A header value with CR/LF would let the caller inject headers into the 103 response.
    if b"\r" in value or b"\n" in value or b"\0" in value:
        raise ValueError(f"Invalid Link header value: {link!r}")
    return value


_JSON_DECODER = json.JSONDecoder()
# What JSONDecoder.decode itself uses (present since Python 2.6; typeshed does not declare them).
_scan_json: Callable[[str, int], tuple[Any, int]] = _JSON_DECODER.scan_once  # type: ignore[attr-defined]
_skip_json_whitespace: Callable[[str, int], re.Match[str]] = json.decoder.WHITESPACE.match  # type: ignore[attr-defined]


def _decode_json(body: bytes) -> Any:
    try:
        # `json.loads` sniffs UTF-16/32 from NUL bytes and BOMs; an ASCII, NUL-free start can only be UTF-8,
        # so decode it directly as `json.loads` would (same codec, same error handler, same decoder).
        if len(body) > 1 and 0 < body[0] < 0x80 and body[1]:
            return _decode_json_text(body.decode("utf-8", "surrogatepass"))
        return json.loads(body)
    except json.JSONDecodeError as exc:
        raise JSONBodyDecodeError(exc.msg, exc.doc, exc.pos) from None
    except UnicodeDecodeError as exc:
        raise JSONBodyDecodeError(f"body is not valid {exc.encoding} ({exc.reason})", "", 0) from None
    except RecursionError:
        raise JSONBodyDecodeError("nested too deeply", "", 0) from None


def _decode_json_text(text: str) -> Any:
    """`JSONDecoder.decode(text)` step by step (same results, same errors), minus two regex matches
    in the usual case of a document without surrounding whitespace: they were most of the cost."""
    start = _skip_json_whitespace(text, 0).end() if text[0] in " \t\n\r" else 0
    try:
        decoded, end = _scan_json(text, start)
    except StopIteration as exc:
        raise json.JSONDecodeError("Expecting value", text, exc.value) from None
    if end != len(text):
        end = _skip_json_whitespace(text, end).end()
        if end != len(text):
            raise json.JSONDecodeError("Extra data", text, end)
    return decoded
