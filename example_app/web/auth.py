"""Sign-in state in the signed session cookie, and the guard for routes that need a signed-in user.

The cookie holds the user's id and name, signed with the app's secret key (`SessionMiddleware`), so a request
needs no database read to know who is asking. Signing in replaces the whole session, so a session created
before sign-in (and its CSRF token) cannot be fixed onto a victim's account.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from example_app.domain.errors import SignInRequired
from example_app.domain.identity import SignedInUser
from example_app.domain.models import User
from framework.authentication import AuthCredentials, AuthenticationBackend, BaseUser
from framework.di import RequestScope
from framework.problems import domain_error_problem
from framework.requests import HTTPConnection
from framework.responses import RedirectResponse
from framework.types import ASGIApp, Receive, Scope, Send
from framework.websockets import WebSocketClose

__all__ = ["LoginRequired", "SessionAuthBackend", "sign_in", "sign_out", "signed_in_user"]

_SESSION_KEY = "user"
# RFC 6455 "policy violation": the close code for a WebSocket that is not allowed.
_WS_POLICY_VIOLATION = 1008


class SessionAuthBackend(AuthenticationBackend):
    """Reads the signed-in user from the session; anything malformed there means "not signed in"."""

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        data: Any = conn.session.get(_SESSION_KEY)
        if not isinstance(data, dict):
            return None
        user_id, username = data.get("id"), data.get("username")
        if not isinstance(user_id, int) or not isinstance(username, str):
            return None
        return AuthCredentials(["authenticated"]), SignedInUser(id=user_id, username=username)


def sign_in(conn: HTTPConnection, user: User) -> None:
    """Start a fresh session for `user`."""
    conn.session.clear()
    conn.session[_SESSION_KEY] = {"id": user.id, "username": user.username}


def sign_out(conn: HTTPConnection) -> None:
    """Forget everything in the session; the middleware then expires the cookie."""
    conn.session.clear()


def signed_in_user(scope: RequestScope) -> SignedInUser:
    """The user of the current request or WebSocket; `SignInRequired` (401) when nobody is signed in."""
    asgi_scope = scope.asgi_scope or {}
    user = asgi_scope.get("user")
    if isinstance(user, SignedInUser):
        return user
    raise SignInRequired()


class LoginRequired:
    """Route middleware: lets signed-in users through; others get a 401 problem, or with `login_page` a redirect.

    A WebSocket without a signed-in user is refused during the handshake.
    """

    def __init__(self, app: ASGIApp, *, login_page: str | None = None) -> None:
        self.app = app
        self.login_page = login_page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if isinstance(scope.get("user"), SignedInUser) or scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await WebSocketClose(code=_WS_POLICY_VIOLATION, reason="Sign in first")(scope, receive, send)
            return
        if self.login_page is not None:
            target = scope["path"] + ("?" + scope["query_string"].decode("latin-1") if scope["query_string"] else "")
            location = f"{self.login_page}?{urlencode({'next': target})}"
            await RedirectResponse(location, status_code=303)(scope, receive, send)
            return
        await domain_error_problem(SignInRequired(), scope.get("path"))(scope, receive, send)
