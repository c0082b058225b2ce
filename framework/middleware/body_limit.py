"""`RequestBodyLimitMiddleware`: caps how many request-body bytes an application will accept.

`Application` installs it (16 MiB by default, our safe default) outside the user middleware, and
`Router`, `Mount` and `Route` accept `max_body_size=` for their subtree. The innermost limit on the
way to the endpoint wins: a route may lower or raise the application-wide limit.

One limiter object per request carries the limit: the first (outermost) middleware creates it and
wraps `receive`/`send`; nested ones only replace its limit. The limiter sits in the scope, so it is
shared even by middleware that hands a shallow copy of the scope down. The effective limit is also
published as `scope["starlette.max_body_size"]` while the wrapped application runs.

When the framing headers fix the body size and it is within the limit (the common case: a single
Content-Length, or an HTTP/1.x request with no body), no limiter is made at all: the ASGI server delivers
exactly that many bytes, so counting them would only cost time. Servers that let a body overrun its own
Content-Length break HTTP framing; put a counting limit in front of such a server.

A declared Content-Length is judged lazily (on the first `receive()` or when the response starts) so
that a route further in can still raise the limit before the decision is made.
"""

from __future__ import annotations

from framework.exceptions import HTTPException
from framework.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["DEFAULT_MAX_BODY_SIZE", "MAX_BODY_SIZE_SCOPE_KEY", "RequestBodyLimitMiddleware"]

DEFAULT_MAX_BODY_SIZE = 16 * 1024 * 1024
MAX_BODY_SIZE_SCOPE_KEY = "starlette.max_body_size"

_LIMITER_KEY = "framework.body_limiter"
_HTTP1 = frozenset(("1.0", "1.1"))
_TOO_LARGE = "Content Too Large"
_MISSING = object()


class _BodyTooLarge(HTTPException):
    """413 for the client; an HTTPException so the application's exception handlers can shape it."""

    def __init__(self) -> None:
        super().__init__(413, _TOO_LARGE)


def _declared_length(scope: Scope) -> int | None:
    """The Content-Length when it is a usable number; otherwise the bytes are counted as they arrive."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                length = int(value)
            except ValueError:
                return None
            return length if length >= 0 else None
    return None


def _exact_length(scope: Scope) -> int | None:
    """How many body bytes the server will deliver, when the framing headers settle it; else None.

    Servers frame a request body by its headers: HTTP/1.x reads exactly Content-Length bytes (or none when
    neither Content-Length nor Transfer-Encoding is sent), and HTTP/2 servers reject DATA that disagrees
    with a declared Content-Length. So a single, plain-digits Content-Length without Transfer-Encoding is
    the body size and needs no counting. Anything ambiguous (duplicates, chunked, odd digits) is counted.
    """
    length = -1
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            if length >= 0 or not value.isdigit():
                return None
            length = int(value)
        elif name == b"transfer-encoding":
            return None
    if length >= 0:
        return length
    return 0 if scope.get("http_version") in _HTTP1 else None


class _BodyLimiter:
    __slots__ = ("content_length", "limit", "received", "refused", "replaced", "source", "started", "target")

    def __init__(self, limit: int, content_length: int | None, receive: Receive, send: Send) -> None:
        self.limit = limit
        self.content_length = content_length
        self.received = 0
        self.source = receive
        self.target = send
        self.started = False
        # Set once `receive` raised the 413: the response that follows is the application's answer to it.
        self.refused = False
        # Set once the limiter answered 413 itself: the application's own response is then dropped.
        self.replaced = False

    def declared_too_large(self) -> bool:
        declared = self.content_length
        return declared is not None and declared > self.limit

    async def receive(self) -> Message:
        if self.received == 0 and self.declared_too_large():
            self.refused = True
            raise _BodyTooLarge()
        message = await self.source()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                self.refused = True
                raise _BodyTooLarge()
        return message

    async def send(self, message: Message) -> None:
        if self.replaced:
            return
        if message["type"] == "http.response.start" and not self.started:
            if not self.refused and self.declared_too_large():
                # The endpoint answered without reading the oversized body: refuse it all the same.
                self.replaced = True
                await self.send_413()
                return
            self.started = True
        await self.target(message)

    async def send_413(self) -> None:
        self.started = True
        await self.target(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-length", b"17"), (b"content-type", b"text/plain; charset=utf-8")],
            }
        )
        await self.target({"type": "http.response.body", "body": _TOO_LARGE.encode()})


class RequestBodyLimitMiddleware:
    """Answer 413 "Content Too Large" when a request body is (declared or turns out to be) over `max_body_size`.

    Reading past the limit raises a 413 HTTPException from `receive`; if nothing inside turns it into a
    response, this middleware answers 413 itself, or re-raises it when the response has already started.
    `max_body_size=None` leaves the limit set further out (if any) untouched.
    """

    def __init__(self, app: ASGIApp, max_body_size: int | None = DEFAULT_MAX_BODY_SIZE) -> None:
        if max_body_size is not None and max_body_size < 0:
            raise ValueError(f"max_body_size must be a number of bytes >= 0 or None, not {max_body_size!r}.")
        self.app = app
        self.max_body_size = max_body_size

    # The Application's default limit is only a safety net: it never replaces a limit set further out.
    _fallback_only = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.max_body_size
        if limit is None or scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        previous = scope.get(MAX_BODY_SIZE_SCOPE_KEY, _MISSING)
        limiter: _BodyLimiter | None = scope.get(_LIMITER_KEY)
        if self._fallback_only and (limiter is not None or previous is not _MISSING):
            # A limit set further out stands; it may have needed no limiter (see `_exact_length`).
            await self.app(scope, receive, send)
            return
        scope[MAX_BODY_SIZE_SCOPE_KEY] = limit
        try:
            if limiter is not None:
                await self._replace(limiter, limit, scope, receive, send)
            else:
                length = _exact_length(scope)
                if length is not None and length <= limit:
                    # The server delivers exactly `length` bytes: nothing to count, nothing to refuse here.
                    # A narrower limit further in sees no limiter and judges the length for itself.
                    await self.app(scope, receive, send)
                else:
                    await self._limited(limit, scope, receive, send)
        finally:
            if previous is _MISSING:
                scope.pop(MAX_BODY_SIZE_SCOPE_KEY, None)
            else:
                scope[MAX_BODY_SIZE_SCOPE_KEY] = previous

    async def _replace(self, limiter: _BodyLimiter, limit: int, scope: Scope, receive: Receive, send: Send) -> None:
        # Deliberately not restored afterwards: the response may start only after this subtree returned
        # (e.g. through BaseHTTPMiddleware), and it must still be judged by this limit.
        limiter.limit = limit
        if limiter.received > limit:
            # Middleware further out already read more than this subtree allows.
            raise _BodyTooLarge()
        await self.app(scope, receive, send)

    async def _limited(self, limit: int, scope: Scope, receive: Receive, send: Send) -> None:
        limiter = _BodyLimiter(limit, _declared_length(scope), receive, send)
        scope[_LIMITER_KEY] = limiter
        try:
            await self.app(scope, limiter.receive, limiter.send)
        except _BodyTooLarge:
            if limiter.started:
                raise
            await limiter.send_413()


class _DefaultBodyLimitMiddleware(RequestBodyLimitMiddleware):
    """The limit an `Application` applies when it was not given one: it yields to any limit set further out."""

    _fallback_only = True
