"""Compress responses with gzip for clients that accept it."""

from __future__ import annotations

import zlib
from typing import NoReturn

import anyio
import anyio.lowlevel
import anyio.to_thread

from framework.datastructures import Headers, MutableHeaders
from framework.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["DEFAULT_EXCLUDED_CONTENT_TYPES", "GZipMiddleware", "GZipResponder", "IdentityResponder"]

# Media types left alone: already compressed formats gain nothing, server-sent events and gRPC
# must reach the client message by message. "major/*" entries cover a whole family.
DEFAULT_EXCLUDED_CONTENT_TYPES = (
    "application/grpc",
    "application/gzip",
    "application/x-gzip",
    "application/zip",
    "audio/*",
    "font/woff",
    "font/woff2",
    "image/avif",
    "image/gif",
    "image/jpeg",
    "image/png",
    "image/webp",
    "text/event-stream",
    "video/*",
)

# Chunks at least this big are compressed in a worker thread so the event loop keeps serving.
_THREAD_MINIMUM_SIZE = 128 * 1024
# Per event loop; separate from anyio's default pool so compression cannot starve run_in_threadpool.
_thread_limiter: anyio.lowlevel.RunVar[anyio.CapacityLimiter] = anyio.lowlevel.RunVar("gzip_thread_limiter")


def _compression_limiter() -> anyio.CapacityLimiter:
    try:
        return _thread_limiter.get()
    except LookupError:
        limiter = anyio.CapacityLimiter(40)
        _thread_limiter.set(limiter)
        return limiter


def _media_type(value: str) -> str:
    return value.partition(";")[0].strip().lower()


def _normalize(content_types: tuple[str, ...]) -> frozenset[str]:
    return frozenset(_media_type(content_type) for content_type in content_types)


def _is_excluded(content_type: str, excluded: frozenset[str]) -> bool:
    media_type = _media_type(content_type)
    major = media_type.partition("/")[0]
    candidates = {media_type, f"{major}/*"}
    if media_type.startswith("application/grpc+"):
        # gRPC flavours ("application/grpc+proto") stream like plain gRPC.
        candidates.add("application/grpc")
    return not candidates.isdisjoint(excluded)


def _accepts_gzip(scope: Scope) -> bool:
    """Whether Accept-Encoding lists gzip with a non-zero quality ("gzip;q=0" means "never")."""
    for name, value in scope["headers"]:
        if name != b"accept-encoding":
            continue
        for item in value.split(b","):
            coding, _, params = item.partition(b";")
            if coding.strip().lower() == b"gzip":
                return _quality(params) > 0
    return False


def _quality(params: bytes) -> float:
    for param in params.split(b";"):
        key, _, value = param.partition(b"=")
        if key.strip().lower() == b"q":
            try:
                return float(value.strip())
            except ValueError:
                return 1.0
    return 1.0


class GZipMiddleware:
    """Gzips response bodies of at least `minimum_size` bytes when the client sends `Accept-Encoding: gzip`.

    Left untouched: responses that already carry a Content-Encoding, partial (206) responses, files
    the server sends itself (pathsend), and `exclude_content_types` (matched on the media type, case
    and parameters ignored, "major/*" wildcards allowed). Streaming responses are compressed chunk
    by chunk, each flushed so the client sees it without waiting for the next; chunks of at least
    `thread_minimum_size` bytes are compressed in a worker thread.
    """

    def __init__(
        self,
        app: ASGIApp,
        minimum_size: int = 500,
        compresslevel: int = 9,
        thread_minimum_size: int = _THREAD_MINIMUM_SIZE,
        *,
        exclude_content_types: tuple[str, ...] = DEFAULT_EXCLUDED_CONTENT_TYPES,
    ) -> None:
        self.app = app
        self.minimum_size = minimum_size
        self.compresslevel = compresslevel
        self.thread_minimum_size = thread_minimum_size
        self.exclude_content_types = exclude_content_types

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        responder: IdentityResponder
        if _accepts_gzip(scope):
            responder = GZipResponder(
                self.app,
                self.minimum_size,
                compresslevel=self.compresslevel,
                thread_minimum_size=self.thread_minimum_size,
                exclude_content_types=self.exclude_content_types,
            )
        else:
            responder = IdentityResponder(self.app, self.minimum_size, exclude_content_types=self.exclude_content_types)
        await responder(scope, receive, send)


async def _unattached_send(message: Message) -> NoReturn:
    raise RuntimeError("send awaitable not set")  # pragma: no cover


class IdentityResponder:
    """Holds back `http.response.start` until the first body chunk shows whether to compress.

    This base class does not compress; it still adds `Vary: Accept-Encoding` to responses
    that would have been compressed for another client, so caches keep the variants apart.
    """

    content_encoding: str = "identity"

    def __init__(
        self,
        app: ASGIApp,
        minimum_size: int,
        *,
        exclude_content_types: tuple[str, ...] = DEFAULT_EXCLUDED_CONTENT_TYPES,
    ) -> None:
        self.app = app
        self.minimum_size = minimum_size
        self.exclude_content_types = _normalize(exclude_content_types)
        self.send: Send = _unattached_send
        self.initial_message: Message = {}
        self.started = False
        # True once the response turned out to be one we forward untouched.
        self.passthrough = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.send = send
        await self.app(scope, receive, self.send_with_compression)

    async def send_with_compression(self, message: Message) -> None:
        message_type = message["type"]
        if message_type == "http.response.start":
            await self._on_start(message)
        elif message_type not in ("http.response.body", "http.response.pathsend") or self.passthrough:
            # Early hints and trailers are forwarded as they come.
            await self.send(message)
        elif message_type == "http.response.pathsend":
            # The server streams the file itself; we cannot see (or compress) its bytes.
            await self.send(self.initial_message)
            await self.send(message)
        elif not self.started:
            await self._first_body(message)
        else:
            more_body = message.get("more_body", False)
            message["body"] = await self.apply_compression(message.get("body", b""), more_body=more_body)
            await self.send(message)

    async def _on_start(self, message: Message) -> None:
        self.initial_message = message
        message.setdefault("headers", [])
        headers = Headers(raw=message["headers"])
        self.passthrough = (
            "content-encoding" in headers
            or message["status"] == 206
            or _is_excluded(headers.get("content-type", ""), self.exclude_content_types)
        )
        if self.passthrough:
            # Nothing to decide: do not hold the headers back (server-sent events need them now).
            await self.send(message)

    async def _first_body(self, message: Message) -> None:
        self.started = True
        body = message.get("body", b"")
        more_body = message.get("more_body", False)
        if len(body) < self.minimum_size and not more_body:
            await self.send(self.initial_message)
            await self.send(message)
            return

        compressed = await self.apply_compression(body, more_body=more_body)
        headers = MutableHeaders(raw=self.initial_message["headers"])
        headers.add_vary_header("Accept-Encoding")
        if compressed != body:
            headers["Content-Encoding"] = self.content_encoding
            if more_body or self.initial_message.get("trailers", False):
                # The final size is unknown until the stream (or its trailers) ends.
                if "content-length" in headers:
                    del headers["content-length"]
            else:
                headers["Content-Length"] = str(len(compressed))
            message["body"] = compressed
        await self.send(self.initial_message)
        await self.send(message)

    async def apply_compression(self, body: bytes, *, more_body: bool) -> bytes:
        """Encode one body chunk; `more_body=False` finishes the stream. The identity encoding is a no-op."""
        return body


class GZipResponder(IdentityResponder):
    """Compresses the body through one gzip stream per response."""

    content_encoding = "gzip"

    def __init__(
        self,
        app: ASGIApp,
        minimum_size: int,
        compresslevel: int = 9,
        *,
        thread_minimum_size: int = _THREAD_MINIMUM_SIZE,
        exclude_content_types: tuple[str, ...] = DEFAULT_EXCLUDED_CONTENT_TYPES,
    ) -> None:
        super().__init__(app, minimum_size, exclude_content_types=exclude_content_types)
        self.compresslevel = compresslevel
        self.thread_minimum_size = thread_minimum_size
        # Created on first use: responses that end up uncompressed never pay for a zlib stream.
        self._compressor: zlib._Compress | None = None

    async def apply_compression(self, body: bytes, *, more_body: bool) -> bytes:
        if len(body) >= self.thread_minimum_size:
            return await anyio.to_thread.run_sync(self._compress, body, more_body, limiter=_compression_limiter())
        return self._compress(body, more_body)

    def _compress(self, body: bytes, more_body: bool) -> bytes:
        if self._compressor is None:
            # wbits 16 + MAX_WBITS: a gzip header and trailer around the deflate stream.
            self._compressor = zlib.compressobj(self.compresslevel, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        data = self._compressor.compress(body)
        # A sync flush emits everything so far, so a streamed chunk is not held back.
        return data + self._compressor.flush(zlib.Z_SYNC_FLUSH if more_body else zlib.Z_FINISH)
