"""Response classes: a body plus status and headers, sent as ASGI messages when called.

Construction is on the hot path of every request, so headers are built straight into the raw
`[(bytes, bytes)]` list the server wants and `MutableHeaders` is only created if someone asks.
`FileResponse` streams a file through anyio (never blocking the loop) and answers byte-range requests.
"""

from __future__ import annotations

import hashlib
import http.cookies
import json
import json.encoder
import os
import stat
import sys
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import datetime
from email.utils import format_datetime, formatdate
from functools import partial
from mimetypes import guess_type
from secrets import token_hex
from typing import Any, Literal
from urllib.parse import quote

import anyio
import anyio.to_thread

from framework._utils import collapse_excgroups
from framework.background import BackgroundTask
from framework.concurrency import iterate_in_threadpool
from framework.datastructures import URL, MutableHeaders
from framework.requests import ClientDisconnect
from framework.types import Message, Receive, Scope, Send

__all__ = [
    "FileResponse",
    "HTMLResponse",
    "JSONResponse",
    "PlainTextResponse",
    "RedirectResponse",
    "Response",
    "StreamingResponse",
]


_Header = tuple[bytes, bytes]

# Header tuples are immutable, so the common ones are made once and shared by every response's list.
_content_types: dict[tuple[str, str], _Header] = {}
_content_lengths: dict[int, _Header] = {}
_CACHED_TYPES = 256
_CACHED_LENGTHS = 2048  # Small bodies, the common case; at most ~300 kB of cache.


def _content_type_header(media_type: str, charset: str) -> _Header:
    value = media_type
    if value.startswith("text/") and "charset=" not in value.lower():
        value += "; charset=" + charset
    header = (b"content-type", value.encode("latin-1"))
    if len(_content_types) < _CACHED_TYPES:
        _content_types[media_type, charset] = header
    return header


class Response:
    """A complete body sent in one message; the base of every other response class."""

    media_type: str | None = None
    charset = "utf-8"
    _headers: MutableHeaders

    def __init__(
        self,
        content: Any = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
    ) -> None:
        self.status_code = status_code
        if media_type is not None:
            self.media_type = media_type
        self.background = background
        self.body = self.render(content)
        self.init_headers(headers)

    def render(self, content: Any) -> bytes | memoryview:
        if content is None:
            return b""
        if content.__class__ is str:  # The common case first: one identity check, no isinstance.
            return content.encode(self.charset)
        if isinstance(content, bytes):
            return content
        if isinstance(content, memoryview):
            # A strided view cannot be sent as is; flatten it (a contiguous one becomes a byte view, no copy).
            return content.cast("B") if content.c_contiguous else content.tobytes()
        return content.encode(self.charset)  # type: ignore[no-any-return]

    def init_headers(self, headers: Mapping[str, str] | None = None) -> None:
        """Build `raw_headers`, adding content-length and content-type unless the caller set them."""
        populate_length = populate_type = True
        if headers is None:
            raw_headers: list[tuple[bytes, bytes]] = []
        else:
            raw_headers = []
            for name, value in headers.items():
                key = name.lower().encode("latin-1")
                raw_headers.append((key, value.encode("latin-1")))
                if key == b"content-length":
                    populate_length = False
                elif key == b"content-type":
                    populate_type = False

        status = self.status_code
        # 1xx, 204 and 304 responses never carry a body, so they must not announce one.
        if populate_length and status >= 200 and status != 204 and status != 304:
            try:
                body = self.body
            except AttributeError:  # e.g. StreamingResponse: no body, no length
                body = None
            if body is not None:
                # A memoryview's len() counts items, not bytes.
                size = len(body) if body.__class__ is bytes else memoryview(body).nbytes
                length = _content_lengths.get(size)
                if length is None:
                    length = (b"content-length", b"%d" % size)
                    if size < _CACHED_LENGTHS:
                        _content_lengths[size] = length
                raw_headers.append(length)

        if populate_type:
            media_type = self.media_type
            if media_type is not None:
                charset = self.charset
                content_type = _content_types.get((media_type, charset))
                if content_type is None:
                    content_type = _content_type_header(media_type, charset)
                raw_headers.append(content_type)

        self.raw_headers = raw_headers

    @property
    def headers(self) -> MutableHeaders:
        try:
            return self._headers
        except AttributeError:
            self._headers = MutableHeaders(raw=self.raw_headers)
            return self._headers

    def set_cookie(
        self,
        key: str,
        value: str = "",
        max_age: int | None = None,
        expires: datetime | str | int | None = None,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: Literal["lax", "strict", "none"] | None = "lax",
        partitioned: bool = False,
    ) -> None:
        """Append a `Set-Cookie` header; `expires` may be seconds from now, a datetime or a preformatted date."""
        cookie: http.cookies.BaseCookie[str] = http.cookies.SimpleCookie()
        cookie[key] = value
        morsel = cookie[key]
        if max_age is not None:
            morsel["max-age"] = max_age
        if expires is not None:
            morsel["expires"] = format_datetime(expires, usegmt=True) if isinstance(expires, datetime) else expires
        if path is not None:
            morsel["path"] = path
        if domain is not None:
            morsel["domain"] = domain
        if secure:
            morsel["secure"] = True
        if httponly:
            morsel["httponly"] = True
        if samesite is not None:
            assert samesite.lower() in ("strict", "lax", "none"), "samesite must be either 'strict', 'lax' or 'none'"
            morsel["samesite"] = samesite
        if partitioned:
            # The standard library writes the CHIPS attribute from Python 3.14 on; Starlette refuses it before.
            if sys.version_info < (3, 14):
                raise ValueError("Partitioned cookies are only supported in Python 3.14 and above.")
            morsel["partitioned"] = True  # pragma: no cover - Python 3.14+
        cookie_value = cookie.output(header="").strip()
        self.raw_headers.append((b"set-cookie", cookie_value.encode("latin-1")))

    def delete_cookie(
        self,
        key: str,
        path: str = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: Literal["lax", "strict", "none"] | None = "lax",
        partitioned: bool = False,
    ) -> None:
        # A partitioned cookie lives in its own jar: deleting it needs the same attribute.
        self.set_cookie(
            key,
            max_age=0,
            expires=0,
            path=path,
            domain=domain,
            secure=secure,
            httponly=httponly,
            samesite=samesite,
            partitioned=partitioned,
        )

    def _wrap_websocket_denial_send(self, send: Send) -> Send:
        # A response returned before a WebSocket is accepted goes out as the denial response.
        async def denial_send(message: Message) -> None:
            message_type = message["type"]
            if message_type in ("http.response.start", "http.response.body"):
                message = {**message, "type": "websocket." + message_type}
            await send(message)

        return denial_send

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            send = self._wrap_websocket_denial_send(send)
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        await send({"type": "http.response.body", "body": self.body})
        if self.background is not None:
            await self.background()


class HTMLResponse(Response):
    media_type = "text/html"


class PlainTextResponse(Response):
    media_type = "text/plain"


_JSON_ENCODER = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"), check_circular=False
)


def _make_c_iterencode() -> Callable[[Any, int], Iterable[str]] | None:
    """Build the C JSON encoder once, at import (None when this interpreter's `json` has none).

    `json.dumps()` with these options creates a `JSONEncoder` and a C encoder on every call. Here the C
    encoder is made once and reused; it keeps no state between calls when circular-reference tracking
    is off (a circular structure then fails with RecursionError rather than ValueError).
    """
    make_c_encoder = getattr(json.encoder, "c_make_encoder", None)
    if make_c_encoder is None:  # pragma: no cover - CPython always has it
        return None
    try:
        iterencode: Callable[[Any, int], Iterable[str]] = make_c_encoder(
            None, _JSON_ENCODER.default, json.encoder.encode_basestring, None, ":", ",", False, False, False
        )
        if "".join(iterencode({"a": [1.5, None, "é"]}, 0)) == '{"a":[1.5,null,"é"]}':
            return iterencode
    except TypeError:  # pragma: no cover - a different signature
        pass
    return None  # pragma: no cover


_c_iterencode = _make_c_iterencode()
_join = "".join


class JSONResponse(Response):
    """Compact UTF-8 JSON; NaN and Infinity are refused because they are not JSON."""

    media_type = "application/json"

    def __init__(
        self,
        content: Any,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
    ) -> None:
        # Response.__init__ inlined: one call frame less on the most common response.
        self.status_code = status_code
        if media_type is not None:
            self.media_type = media_type
        self.background = background
        self.body = self.render(content)
        self.init_headers(headers)

    def render(self, content: Any) -> bytes:
        if _c_iterencode is not None:
            return _join(_c_iterencode(content, 0)).encode("utf-8")
        return _JSON_ENCODER.encode(content).encode("utf-8")  # pragma: no cover


class RedirectResponse(Response):
    def __init__(
        self,
        url: str | URL,
        status_code: int = 307,
        headers: Mapping[str, str] | None = None,
        background: BackgroundTask | None = None,
    ) -> None:
        super().__init__(content=b"", status_code=status_code, headers=headers, background=background)
        # Percent-encode what is not allowed in a URL but keep its structure (and existing escapes).
        self.headers["location"] = quote(str(url), safe=":/%#?=@[]!$&'()*+,;")


Content = str | bytes | memoryview
SyncContentStream = Iterable[Content]
AsyncContentStream = AsyncIterable[Content]
ContentStream = AsyncContentStream | SyncContentStream


def _spec_version(scope: Scope) -> tuple[int, ...]:
    version: str = scope.get("asgi", {}).get("spec_version", "2.0")
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        return (2, 0)


def _disconnect_raising_send(send: Send) -> Send:
    # ASGI 2.4+ servers raise OSError from send() once the client has gone instead of queueing a message.
    async def guarded_send(message: Message) -> None:
        try:
            await send(message)
        except OSError:
            raise ClientDisconnect() from None

    return guarded_send


async def _listen_for_disconnect(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


async def _send_until_disconnect(
    scope: Scope, receive: Receive, send: Send, sender: Callable[[Send], Awaitable[None]]
) -> None:
    """Run `sender(send)` and stop it early if the client disconnects, whichever way the server reports it."""
    if _spec_version(scope) >= (2, 4):
        await sender(_disconnect_raising_send(send))
        return
    with collapse_excgroups():
        async with anyio.create_task_group() as task_group:

            async def run_then_cancel(func: Callable[[], Awaitable[None]]) -> None:
                await func()
                task_group.cancel_scope.cancel()

            task_group.start_soon(run_then_cancel, partial(sender, send))
            await run_then_cancel(partial(_listen_for_disconnect, receive))


class StreamingResponse(Response):
    """A body produced chunk by chunk from a sync or async iterable; stops when the client goes away."""

    body_iterator: AsyncContentStream

    def __init__(
        self,
        content: ContentStream,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
    ) -> None:
        if isinstance(content, AsyncIterable):
            self.body_iterator = content
        else:
            # A sync iterator may block (file reads, generators doing I/O): each step runs in a thread.
            self.body_iterator = iterate_in_threadpool(content)
        self.status_code = status_code
        self.media_type = self.media_type if media_type is None else media_type
        self.background = background
        self.init_headers(headers)

    async def listen_for_disconnect(self, receive: Receive) -> None:
        await _listen_for_disconnect(receive)

    async def stream_response(self, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        charset = self.charset
        iterator = self.body_iterator
        try:
            async for chunk in iterator:
                if not isinstance(chunk, bytes | memoryview):
                    chunk = chunk.encode(charset)
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        finally:
            # Stopped early (disconnect, error): run the generator's cleanup now rather than at GC time.
            aclose = getattr(iterator, "aclose", None)
            if aclose is not None:
                await aclose()
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self.stream_response(self._wrap_websocket_denial_send(send))
        else:
            await _send_until_disconnect(scope, receive, send, self.stream_response)
        if self.background is not None:
            await self.background()


class MalformedRangeHeader(Exception):
    """The Range header cannot be understood; answered with 400 and this message."""

    def __init__(self, content: str = "Malformed range header.") -> None:
        self.content = content


class RangeNotSatisfiable(Exception):
    """A requested range starts beyond the end of the file; answered with 416."""

    def __init__(self, max_size: int) -> None:
        self.max_size = max_size


class FileResponse(Response):
    """Send a file from disk, with ETag/Last-Modified, HEAD, byte ranges and the ASGI pathsend extension.

    Only the stat runs before the response starts; reads go through anyio's worker threads.
    A Range header listing more than `max_ranges` ranges is ignored and the whole file is sent,
    which HTTP allows and which bounds the work a single request can cause.
    """

    chunk_size = 64 * 1024
    max_ranges = 100

    def __init__(
        self,
        path: str | os.PathLike[str],
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
        filename: str | None = None,
        stat_result: os.stat_result | None = None,
        content_disposition_type: str = "attachment",
    ) -> None:
        self.path = path
        self.status_code = status_code
        self.filename = filename
        if media_type is None:
            media_type = guess_type(filename or path)[0] or "application/octet-stream"
        self.media_type = media_type
        self.background = background
        self.init_headers(headers)
        self.headers.setdefault("accept-ranges", "bytes")
        if filename is not None:
            quoted = quote(filename)
            if quoted != filename:
                # RFC 6266/5987: non-ASCII (or otherwise unsafe) names go in the encoded filename* form.
                disposition = f"{content_disposition_type}; filename*=utf-8''{quoted}"
            else:
                disposition = f'{content_disposition_type}; filename="{filename}"'
            self.headers.setdefault("content-disposition", disposition)
        self.stat_result = stat_result
        if stat_result is not None:
            self.set_stat_headers(stat_result)

    def set_stat_headers(self, stat_result: os.stat_result) -> None:
        size_and_mtime = f"{stat_result.st_mtime}-{stat_result.st_size}"
        etag = hashlib.md5(size_and_mtime.encode(), usedforsecurity=False).hexdigest()
        self.headers.setdefault("content-length", str(stat_result.st_size))
        self.headers.setdefault("last-modified", formatdate(stat_result.st_mtime, usegmt=True))
        self.headers.setdefault("etag", f'"{etag}"')

    async def _stat(self) -> os.stat_result:
        if self.stat_result is not None:
            return self.stat_result
        try:
            stat_result = await anyio.to_thread.run_sync(os.stat, self.path)
        except FileNotFoundError:
            raise RuntimeError(f"File at path {self.path} does not exist.") from None
        self.set_stat_headers(stat_result)
        if not stat.S_ISREG(stat_result.st_mode):
            raise RuntimeError(f"File at path {self.path} is not a file.")
        return stat_result

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        is_http = scope["type"] == "http"
        header_only = is_http and scope["method"].upper() == "HEAD"
        pathsend = is_http and "http.response.pathsend" in scope.get("extensions", {})
        if not is_http:
            send = self._wrap_websocket_denial_send(send)
        file_size = (await self._stat()).st_size

        simple = partial(self._handle_simple, send_header_only=header_only, send_pathsend=pathsend)
        sender: Callable[[Send], Awaitable[None]] = simple
        http_range, if_range = _range_headers(scope)
        # Ranges only make sense for a plain 200 to a GET/HEAD whose If-Range (if any) still matches.
        if (
            http_range is not None
            and self.status_code == 200
            and (not is_http or scope["method"].upper() in ("GET", "HEAD"))
            and (if_range is None or self._should_use_range(if_range))
        ):
            try:
                ranges = self._parse_range_header(http_range, file_size)
            except MalformedRangeHeader as exc:
                return await PlainTextResponse(exc.content, status_code=400)(scope, receive, send)
            except RangeNotSatisfiable as exc:
                response = PlainTextResponse(status_code=416, headers={"content-range": f"bytes */{exc.max_size}"})
                return await response(scope, receive, send)
            if len(ranges) == 1:
                start, end = ranges[0]
                sender = partial(
                    self._handle_single_range, start=start, end=end, file_size=file_size, send_header_only=header_only
                )
            elif ranges:
                sender = partial(
                    self._handle_multiple_ranges, ranges=ranges, file_size=file_size, send_header_only=header_only
                )

        # Nothing long-running to interrupt for HEAD or pathsend; ASGI 2.4+ servers report a gone client by
        # raising from send(), which is left to propagate as is.
        if not is_http or header_only or (sender is simple and pathsend) or _spec_version(scope) >= (2, 4):
            await sender(send)
        else:
            await _send_until_disconnect(scope, receive, send, sender)
        if self.background is not None:
            await self.background()

    async def _handle_simple(self, send: Send, send_header_only: bool, send_pathsend: bool) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        if send_header_only:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        elif send_pathsend:
            await send({"type": "http.response.pathsend", "path": str(self.path)})
        else:
            async with await anyio.open_file(self.path, mode="rb") as file:
                more_body = True
                while more_body:
                    chunk = await file.read(self.chunk_size)
                    more_body = len(chunk) == self.chunk_size
                    await send({"type": "http.response.body", "body": chunk, "more_body": more_body})

    async def _handle_single_range(
        self, send: Send, start: int, end: int, file_size: int, send_header_only: bool
    ) -> None:
        # A copy: the same FileResponse may be sent again, for a request without a Range.
        headers = MutableHeaders(raw=list(self.raw_headers))
        headers["content-range"] = f"bytes {start}-{end - 1}/{file_size}"
        headers["content-length"] = str(end - start)
        await send({"type": "http.response.start", "status": 206, "headers": headers.raw})
        if send_header_only:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        async with await anyio.open_file(self.path, mode="rb") as file:
            await file.seek(start)
            remaining = end - start
            while True:
                chunk = await file.read(min(self.chunk_size, remaining))
                remaining -= len(chunk)
                more_body = remaining > 0 and len(chunk) > 0
                await send({"type": "http.response.body", "body": chunk, "more_body": more_body})
                if not more_body:
                    return

    async def _handle_multiple_ranges(
        self, send: Send, ranges: list[tuple[int, int]], file_size: int, send_header_only: bool
    ) -> None:
        # 13 random bytes: about the entropy browsers put in their own multipart boundaries.
        boundary = token_hex(13)
        content_type = self.headers.get("content-type", self.media_type or "application/octet-stream")
        content_length, part_header = self.generate_multipart(ranges, boundary, file_size, content_type)
        headers = MutableHeaders(raw=list(self.raw_headers))
        headers["content-type"] = f"multipart/byteranges; boundary={boundary}"
        headers["content-length"] = str(content_length)
        await send({"type": "http.response.start", "status": 206, "headers": headers.raw})
        if send_header_only:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        async with await anyio.open_file(self.path, mode="rb") as file:
            for start, end in ranges:
                await send({"type": "http.response.body", "body": part_header(start, end), "more_body": True})
                await file.seek(start)
                while start < end:
                    chunk = await file.read(min(self.chunk_size, end - start))
                    if not chunk:
                        # The file shrank since it was stat'ed: the announced Content-Length cannot be met.
                        raise RuntimeError(f"File at path {self.path} is shorter than expected.")
                    start += len(chunk)
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                await send({"type": "http.response.body", "body": b"\r\n", "more_body": True})
            closing = f"--{boundary}--".encode("latin-1")
            await send({"type": "http.response.body", "body": closing, "more_body": False})

    def _should_use_range(self, http_if_range: str) -> bool:
        # If-Range holds either the ETag or the Last-Modified date the client saw; only an exact match counts,
        # and a weak ETag never does (RFC 9110 13.1.5 requires a strong comparison).
        if http_if_range.startswith("W/"):
            return False
        return http_if_range in (self.headers.get("last-modified"), self.headers.get("etag"))

    @classmethod
    def _parse_range_header(cls, http_range: str, file_size: int) -> list[tuple[int, int]]:
        """Return sorted, merged `(start, end_exclusive)` ranges; `[]` means "ignore the header".

        Linear in the header length plus a sort of at most `max_ranges` items, so a hostile header
        with thousands of ranges costs next to nothing.
        """
        units, sep, spec = http_range.partition("=")
        if not sep:
            raise MalformedRangeHeader()
        if units.strip().lower() != "bytes":
            raise MalformedRangeHeader("Only support bytes range")
        if spec.count(",") >= cls.max_ranges:
            return []
        ranges = cls._parse_ranges(spec, file_size)
        if not ranges:
            raise MalformedRangeHeader("Range header: range must be requested")
        if any(not 0 <= start < file_size for start, _ in ranges):
            raise RangeNotSatisfiable(file_size)
        if any(start >= end for start, end in ranges):
            raise MalformedRangeHeader("Range header: start must be less than end")
        if len(ranges) == 1:
            return ranges
        ranges.sort()
        merged = [ranges[0]]
        for start, end in ranges[1:]:
            last_start, last_end = merged[-1]
            if start <= last_end:  # Overlapping or adjacent: one part instead of two.
                merged[-1] = (last_start, max(last_end, end))
            else:
                merged.append((start, end))
        return merged

    @classmethod
    def _parse_ranges(cls, spec: str, file_size: int) -> list[tuple[int, int]]:
        ranges: list[tuple[int, int]] = []
        for raw_part in spec.split(","):
            first, dash, last = raw_part.partition("-")
            first, last = first.strip(), last.strip()
            # Empty entries, a lone "-" and entries without a dash are skipped, not fatal.
            if not dash or not (first or last):
                continue
            try:
                if first:
                    start = int(first)
                    last_index = int(last) if last else file_size
                    end = last_index + 1 if last and last_index < file_size else file_size
                else:
                    # A suffix range: the last N bytes, the whole file when N exceeds its size.
                    start, end = max(file_size - int(last), 0), file_size
            except ValueError:
                continue
            ranges.append((start, end))
        return ranges

    def generate_multipart(
        self, ranges: Sequence[tuple[int, int]], boundary: str, max_size: int, content_type: str
    ) -> tuple[int, Callable[[int, int], bytes]]:
        """Return the multipart/byteranges body length and a function building each part's header."""

        def part_header(start: int, end: int) -> bytes:
            return (
                f"--{boundary}\r\nContent-Type: {content_type}\r\n"
                f"Content-Range: bytes {start}-{end - 1}/{max_size}\r\n\r\n"
            ).encode("latin-1")

        # Each part: its header, its bytes and a CRLF; then the closing delimiter.
        content_length = sum(len(part_header(start, end)) + (end - start) + 2 for start, end in ranges)
        return content_length + len(boundary) + 4, part_header


def _range_headers(scope: Scope) -> tuple[str | None, str | None]:
    # Scanned straight from the raw scope headers: building a Headers object is not needed for two keys.
    http_range = if_range = None
    for key, value in scope["headers"]:
        if key == b"range":
            if http_range is None:
                http_range = value.decode("latin-1")
        elif key == b"if-range" and if_range is None:
            if_range = value.decode("latin-1")
    return http_range, if_range
