"""`RequestBodyLimitMiddleware`: caps how many request-body bytes an application will accept.

`Application` installs it (16 MiB by default, our safe default) outside the user middleware, and
`Router`, `Mount` and `Route` accept `max_body_size=` for their subtree. The innermost limit on the
way to the endpoint wins: a route may lower or raise the application-wide limit.

One limiter object per request carries the limit: the first (outermost) middleware creates it and
wraps `receive`/`send`; nested ones only replace its limit. The limiter sits in the scope, so it is
shared even by middleware that hands a shallow copy of the scope down. The effective limit is also
published as `scope["starlette.max_body_size"]` while the wrapped application runs.

An HTTP/1.x request with neither Content-Length nor Transfer-Encoding has no body: no limiter is made for
it (the common GET costs a header scan). A request whose Content-Length is within the limit gets a limiter
that only counts what `receive()` delivers (a server or a test client may deliver more than declared); its
response is not watched, since a declared length within the limit has nothing to refuse, unless a narrower
limit further in makes it too large.

A declared Content-Length is judged lazily (on the first `receive()` or when the response starts) so
that a route further in can still raise the limit before the decision is made.
"""

from __future__ import annotations

from framework._exception_handler import SendTracker, track_send
from framework.exceptions import HTTPException
from framework.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["DEFAULT_MAX_BODY_SIZE", "MAX_BODY_SIZE_SCOPE_KEY", "RequestBodyLimitMiddleware"]

DEFAULT_MAX_BODY_SIZE = 16 * 1024 * 1024
MAX_BODY_SIZE_SCOPE_KEY = "starlette.max_body_size"

_LIMITER_KEY = "framework.body_limiter"
_HTTP1 = frozenset(("1.0", "1.1"))
_FRAMING_HEADERS = frozenset((b"content-length", b"transfer-encoding"))
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


def _has_no_body(scope: Scope) -> bool:
    """Whether HTTP/1.x framing rules out a body: neither Content-Length nor Transfer-Encoding was sent."""
    if scope.get("http_version") not in _HTTP1:
        return False
    # A plain loop rather than all(<generator>): this runs for every request.
    for name, _ in scope.get("headers", ()):  # noqa: SIM110
        if name in _FRAMING_HEADERS:
            return False
    return True


class _BodyLimiter:
    __slots__ = (
        "content_length",
        "limit",
        "received",
        "refused",
        "replaced",
        "source",
        "started",
        "target",
        "tracker",
    )

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
        # For a counting-only limiter (see `_counted`): the tracker the application sends through.
        self.tracker: SendTracker | None = None

    def response_started(self) -> bool:
        tracker = self.tracker
        return self.started or (tracker is not None and tracker.started)

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
            # A limit set further out stands; it may have needed no limiter (see `_has_no_body`).
            await self.app(scope, receive, send)
            return
        scope[MAX_BODY_SIZE_SCOPE_KEY] = limit
        try:
            if limiter is not None:
                await self._replace(limiter, limit, scope, receive, send)
            elif _has_no_body(scope):
                # Nothing to count, nothing to refuse; a limit further in sees no limiter and agrees.
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
        if limiter.tracker is not None and limiter.declared_too_large():
            # A counting-only limiter: under this narrower limit the declared length is refused, even when
            # the endpoint answers without reading the body, so the response is watched from here on.
            limiter.tracker = None
            limiter.target = send
            send = limiter.send
        await self.app(scope, receive, send)

    async def _limited(self, limit: int, scope: Scope, receive: Receive, send: Send) -> None:
        declared = _declared_length(scope)
        if declared is not None and declared <= limit:
            await self._counted(limit, declared, scope, receive, send)
            return
        limiter = _BodyLimiter(limit, declared, receive, send)
        scope[_LIMITER_KEY] = limiter
        try:
            await self.app(scope, limiter.receive, limiter.send)
        except _BodyTooLarge:
            if limiter.started:
                raise
            await limiter.send_413()
        finally:
            # The server's scope -> limiter -> server's receive -> server's request object -> scope is a
            # reference cycle: break it now, or every request with a body feeds the cyclic collector.
            scope.pop(_LIMITER_KEY, None)

    async def _counted(self, limit: int, declared: int, scope: Scope, receive: Receive, send: Send) -> None:
        # Declared within the limit: count what arrives, leave the response alone (one send wrapper less).
        tracker = track_send(send)
        limiter = _BodyLimiter(limit, declared, receive, tracker)
        limiter.tracker = tracker
        scope[_LIMITER_KEY] = limiter
        try:
            await self.app(scope, limiter.receive, tracker)
        except _BodyTooLarge:
            if limiter.response_started():
                raise
            await limiter.send_413()
        finally:
            scope.pop(_LIMITER_KEY, None)  # the same cycle as in `_limited`


class _DefaultBodyLimitMiddleware(RequestBodyLimitMiddleware):
    """The limit an `Application` applies when it was not given one: it yields to any limit set further out."""

    _fallback_only = True
