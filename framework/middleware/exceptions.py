"""`ExceptionMiddleware`: turns handled exceptions (HTTPException, WebSocketException, registered ones) into responses.

It sits innermost in an application, right around the router, and publishes its handler tables in
the scope so that `request_response` can apply them with the endpoint's own `Request`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from framework._exception_handler import (
    EXCEPTION_HANDLERS_KEY,
    ExceptionHandlers,
    SendTracker,
    StatusHandlers,
    handle_exception,
)
from framework.exceptions import HTTPException, WebSocketException
from framework.requests import HTTPConnection, Request
from framework.responses import PlainTextResponse, Response
from framework.types import ASGIApp, ExceptionHandler, Receive, Scope, Send
from framework.websockets import WebSocket

__all__ = ["ExceptionMiddleware"]


class ExceptionMiddleware:
    """Answer handled exceptions with their handler's response; let any other exception through.

    Handlers are looked up by status code first (HTTPException only), then along the exception's MRO.
    """

    def __init__(
        self,
        app: ASGIApp,
        handlers: Mapping[Any, ExceptionHandler] | None = None,
        debug: bool = False,
    ) -> None:
        self.app = app
        self.debug = debug
        self._status_handlers: StatusHandlers = {}
        self._exception_handlers: ExceptionHandlers = {
            HTTPException: self.http_exception,
            WebSocketException: self.websocket_exception,
        }
        # Built once: the same tuple goes into every scope.
        self._handlers = (self._exception_handlers, self._status_handlers)
        if handlers is not None:
            for key, value in handlers.items():
                self.add_exception_handler(key, value)

    def add_exception_handler(self, exc_class_or_status_code: int | type[Exception], handler: ExceptionHandler) -> None:
        if isinstance(exc_class_or_status_code, int):
            self._status_handlers[exc_class_or_status_code] = handler
        elif isinstance(exc_class_or_status_code, type) and issubclass(exc_class_or_status_code, Exception):
            self._exception_handlers[exc_class_or_status_code] = handler
        else:
            raise TypeError(
                f"Exception handlers are keyed by a status code or an Exception subclass, "
                f"not {exc_class_or_status_code!r}."
            )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope_type = scope["type"]
        if scope_type != "http" and scope_type != "websocket":
            await self.app(scope, receive, send)
            return
        scope[EXCEPTION_HANDLERS_KEY] = self._handlers
        tracker = send if type(send) is SendTracker else SendTracker(send)
        try:
            await self.app(scope, receive, tracker)
        except Exception as exc:
            # The connection object is only needed when something went wrong: build it then.
            conn: HTTPConnection = (
                Request(scope, receive, send) if scope_type == "http" else WebSocket(scope, receive, send)
            )
            await handle_exception(exc, conn, scope, receive, tracker)

    async def http_exception(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code in {204, 304}:
            # These statuses forbid a body.
            return Response(status_code=exc.status_code, headers=exc.headers)
        return PlainTextResponse(exc.detail, status_code=exc.status_code, headers=exc.headers)

    async def websocket_exception(self, websocket: WebSocket, exc: Exception) -> None:
        assert isinstance(exc, WebSocketException)
        await websocket.close(code=exc.code, reason=exc.reason)
