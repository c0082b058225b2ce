"""Authenticate every HTTP and WebSocket connection once, before routing."""

from __future__ import annotations

from collections.abc import Callable

from framework.authentication import AuthCredentials, AuthenticationBackend, AuthenticationError, UnauthenticatedUser
from framework.requests import HTTPConnection
from framework.responses import PlainTextResponse, Response
from framework.types import ASGIApp, Receive, Scope, Send

__all__ = ["AuthenticationMiddleware"]


class AuthenticationMiddleware:
    """Sets `scope["auth"]` and `scope["user"]` from `backend`, or answers with `on_error`.

    A backend returning None means "no credentials": the connection continues as an
    `UnauthenticatedUser` with no scopes. `AuthenticationError` means "bad credentials":
    HTTP gets `on_error(conn, exc)` (400 text by default), a WebSocket is closed.
    """

    def __init__(
        self,
        app: ASGIApp,
        backend: AuthenticationBackend,
        on_error: Callable[[HTTPConnection, AuthenticationError], Response] | None = None,
    ) -> None:
        self.app = app
        self.backend = backend
        self.on_error: Callable[[HTTPConnection, AuthenticationError], Response] = (
            on_error if on_error is not None else self.default_on_error
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return

        conn = HTTPConnection(scope)
        try:
            auth_result = await self.backend.authenticate(conn)
        except AuthenticationError as exc:
            response = self.on_error(conn, exc)
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1000})
            else:
                await response(scope, receive, send)
            return

        if auth_result is None:
            auth_result = AuthCredentials(), UnauthenticatedUser()
        scope["auth"], scope["user"] = auth_result
        await self.app(scope, receive, send)

    @staticmethod
    def default_on_error(conn: HTTPConnection, exc: Exception) -> Response:
        return PlainTextResponse(str(exc), status_code=400)
