"""Compress responses with gzip for clients that accept it."""

from __future__ import annotations

import gzip
import io

from framework.datastructures import Headers, MutableHeaders
from framework.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["DEFAULT_EXCLUDED_CONTENT_TYPES", "GZipMiddleware", "GZipResponder", "IdentityResponder"]

# Server-sent events must reach the client event by event; compression would buffer them.
DEFAULT_EXCLUDED_CONTENT_TYPES = ("text/event-stream",)


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

    Responses that already carry a Content-Encoding, and excluded media types
    (`text/event-stream`), pass through untouched. Streaming responses are compressed
    chunk by chunk, each chunk flushed so the client sees it without waiting for the next.
    """

    def __init__(self, app: ASGIApp, minimum_size: int = 500, compresslevel: int = 9) -> None:
        self.app = app
        self.minimum_size = minimum_size
        self.compresslevel = compresslevel

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        responder: IdentityResponder
        if _accepts_gzip(scope):
            responder = GZipResponder(self.app, self.minimum_size, compresslevel=self.compresslevel)
        else:
            responder = IdentityResponder(self.app, self.minimum_size)
        await responder(scope, receive, send)


async def _unattached_send(message: Message) -> None:
    raise RuntimeError("send awaitable not set")  # pragma: no cover


class IdentityResponder:
    """Holds back `http.response.start` until the first body chunk shows whether to compress.

    This base class does not compress; it still adds `Vary: Accept-Encoding` to responses
    that would have been compressed for another client, so caches keep the variants apart.
    """

    content_encoding: str = "identity"

    def __init__(self, app: ASGIApp, minimum_size: int) -> None:
        self.app = app
        self.minimum_size = minimum_size
        self.send: Send = _unattached_send
        self.initial_message: Message = {}
        self.started = False
        self.content_encoding_set = False
        self.content_type_is_excluded = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.send = send
        await self.app(scope, receive, self.send_with_compression)

    async def send_with_compression(self, message: Message) -> None:
        message_type = message["type"]
        if message_type == "http.response.start":
            self.initial_message = message
            headers = Headers(raw=message.get("headers", []))
            self.content_encoding_set = "content-encoding" in headers
            self.content_type_is_excluded = headers.get("content-type", "").startswith(DEFAULT_EXCLUDED_CONTENT_TYPES)
        elif message_type == "http.response.body" and (self.content_encoding_set or self.content_type_is_excluded):
            await self._start()
            await self.send(message)
        elif message_type == "http.response.body" and not self.started:
            await self._first_body(message)
        elif message_type == "http.response.body":
            more_body = message.get("more_body", False)
            message["body"] = self.apply_compression(message.get("body", b""), more_body=more_body)
            await self.send(message)
        elif message_type == "http.response.pathsend":
            # The server streams the file itself; we cannot see (or compress) its bytes.
            await self._start()
            await self.send(message)
        else:
            await self.send(message)

    async def _start(self) -> None:
        if not self.started:
            self.started = True
            await self.send(self.initial_message)

    async def _first_body(self, message: Message) -> None:
        self.started = True
        body = message.get("body", b"")
        more_body = message.get("more_body", False)
        if len(body) < self.minimum_size and not more_body:
            await self.send(self.initial_message)
            await self.send(message)
            return

        compressed = self.apply_compression(body, more_body=more_body)
        self.initial_message.setdefault("headers", [])
        headers = MutableHeaders(scope=self.initial_message)
        headers.add_vary_header("Accept-Encoding")
        if self.content_encoding != "identity":
            headers["Content-Encoding"] = self.content_encoding
            if more_body:
                # The final size is unknown until the stream ends.
                if "content-length" in headers:
                    del headers["content-length"]
            else:
                headers["Content-Length"] = str(len(compressed))
            message["body"] = compressed
        await self.send(self.initial_message)
        await self.send(message)

    def apply_compression(self, body: bytes, *, more_body: bool) -> bytes:
        return body


class GZipResponder(IdentityResponder):
    """Compresses the body through one gzip stream per response."""

    content_encoding = "gzip"

    def __init__(self, app: ASGIApp, minimum_size: int, compresslevel: int = 9) -> None:
        super().__init__(app, minimum_size)
        self.gzip_buffer = io.BytesIO()
        self.gzip_file = gzip.GzipFile(mode="wb", fileobj=self.gzip_buffer, compresslevel=compresslevel)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with self.gzip_buffer, self.gzip_file:
            await super().__call__(scope, receive, send)

    def apply_compression(self, body: bytes, *, more_body: bool) -> bytes:
        if body:
            self.gzip_file.write(body)
        if not more_body:
            self.gzip_file.close()
        elif body:
            # A sync flush emits everything written so far, so a streamed chunk is not held back.
            self.gzip_file.flush()
        compressed = self.gzip_buffer.getvalue()
        self.gzip_buffer.seek(0)
        self.gzip_buffer.truncate()
        return compressed
