"""`RequestBodyLimitMiddleware`: caps how many request-body bytes an application will accept.

Not a Starlette feature: it is one of our safe defaults. `Application` installs it with a 16 MiB
limit; `Router`, `Mount` and `Route` accept `max_body_size=` for a narrower limit on their subtree.

One limiter object per request carries the limit: the first (outermost) middleware creates it and
wraps `receive`; nested ones only narrow its limit, so a request never pays for more than one
wrapper. Requests that cannot carry a body (HTTP/1.x without Content-Length or Transfer-Encoding,
which is every plain GET) skip the wrapper entirely.
"""

from __future__ import annotations

from framework._exception_handler import EXCEPTION_HANDLERS_KEY, SendTracker
from framework.exceptions import HTTPException
from framework.responses import PlainTextResponse
from framework.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["DEFAULT_MAX_BODY_SIZE", "RequestBodyLimitMiddleware"]

DEFAULT_MAX_BODY_SIZE = 16 * 1024 * 1024

_LIMITER_KEY = "framework.body_limiter"
_HTTP1 = frozenset(("1.0", "1.1"))
_BODY_HEADERS = frozenset((b"content-length", b"transfer-encoding"))


class _BodyTooLarge(HTTPException):
    """413 for the client; an HTTPException so the application's exception handlers shape the response."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"Request body exceeds the limit of {limit} bytes.")


class _BodyStreamStopped(Exception):
    """The body grew past the limit after the response had started: no 413 is possible, stop instead."""


class _BodyLimiter:
    __slots__ = ("content_length", "limit", "received", "source", "tracker")

    def __init__(self, limit: int, content_length: int | None, receive: Receive, tracker: SendTracker) -> None:
        self.limit = limit
        self.content_length = content_length
        self.received = 0
        self.source = receive
        self.tracker = tracker

    def narrow(self, limit: int) -> bool:
        """Apply a subtree's limit; True when what is declared or already read exceeds it."""
        if limit < self.limit:
            self.limit = limit
        declared = self.content_length
        return self.received > self.limit or (declared is not None and declared > self.limit)

    async def receive(self) -> Message:
        message = await self.source()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                if self.tracker.started:
                    raise _BodyStreamStopped()
                raise _BodyTooLarge(self.limit)
        return message


def _inspect_headers(scope: Scope) -> tuple[bool, int | None]:
    """(can the request carry a body, declared Content-Length when valid)."""
    content_length: int | None = None
    declares_body = False
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                content_length = int(value)
            except ValueError:
                content_length = None
            if content_length is None or content_length < 0:
                # Unusable: count what actually arrives instead.
                content_length = None
                declares_body = True
            elif content_length:
                declares_body = True
        elif name == b"transfer-encoding":
            declares_body = True
    # HTTP/2 and later frame bodies without either header, so only HTTP/1.x can be trusted to have none.
    return declares_body or scope.get("http_version", "1.1") not in _HTTP1, content_length


async def _reject(limit: int, scope: Scope, receive: Receive, send: Send) -> None:
    if EXCEPTION_HANDLERS_KEY in scope:
        # An ExceptionMiddleware is around us: let the application's handlers shape the 413.
        raise _BodyTooLarge(limit)
    exc = _BodyTooLarge(limit)
    await PlainTextResponse(exc.detail, status_code=413)(scope, receive, send)


class RequestBodyLimitMiddleware:
    """Answer 413 when a request body is (declared or turns out to be) larger than `max_body_size` bytes.

    A Content-Length over the limit is refused before the application runs. Otherwise the bytes are
    counted as the application reads them; going over raises a 413 HTTPException from `receive`.
    If the response has already started by then, the body stream is stopped and the response cut short.
    `max_body_size=None` disables the limit at this level.
    """

    def __init__(self, app: ASGIApp, max_body_size: int | None = DEFAULT_MAX_BODY_SIZE) -> None:
        if max_body_size is not None and max_body_size < 0:
            raise ValueError(f"max_body_size must be a number of bytes >= 0 or None, not {max_body_size!r}.")
        self.app = app
        self.max_body_size = max_body_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.max_body_size
        if limit is None or scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, _ in scope["headers"]:
            if name in _BODY_HEADERS:
                await self._check(limit, scope, receive, send)
                return
        # HTTP/2 and later frame bodies without either header; only HTTP/1.x can be trusted to have none.
        if scope.get("http_version", "1.1") in _HTTP1:
            await self.app(scope, receive, send)
            return
        await self._check(limit, scope, receive, send)

    async def _check(self, limit: int, scope: Scope, receive: Receive, send: Send) -> None:
        limiter: _BodyLimiter | None = scope.get(_LIMITER_KEY)
        if limiter is not None:
            # An outer limit already watches this body: only narrow it.
            if limiter.narrow(limit):
                await _reject(limiter.limit, scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        can_have_body, content_length = _inspect_headers(scope)
        if not can_have_body:
            await self.app(scope, receive, send)
            return
        if content_length is not None and content_length > limit:
            await _reject(limit, scope, receive, send)
            return
        await self._limited(limit, content_length, scope, receive, send)

    async def _limited(
        self, limit: int, content_length: int | None, scope: Scope, receive: Receive, send: Send
    ) -> None:
        tracker = send if type(send) is SendTracker else SendTracker(send)
        limiter = _BodyLimiter(limit, content_length, receive, tracker)
        scope[_LIMITER_KEY] = limiter
        try:
            await self.app(scope, limiter.receive, tracker)
        except* (_BodyTooLarge, _BodyStreamStopped):
            # Nothing inside turned it into a response (a task group may have wrapped it): do it here,
            # unless a response is already under way; then stopping the stream is all that is left.
            if not tracker.started:
                await PlainTextResponse(_BodyTooLarge(limiter.limit).detail, status_code=413)(scope, receive, send)
