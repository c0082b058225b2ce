"""Defence against cross-site request forgery, in two independent layers.

1. `CrossSiteWriteGuard` refuses unsafe requests (POST, PUT, PATCH, DELETE) that a browser marks as coming
   from another site (`Sec-Fetch-Site`) or whose `Origin` is neither this site nor a trusted front-end.
2. HTML forms also carry a per-session token (`csrf_token`) that a page on another site cannot read, for
   browsers that send neither header.
The session cookie is `SameSite=Lax` on top of that. JSON endpoints need `Content-Type: application/json`,
which a cross-site form cannot send without a CORS preflight.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Collection

from framework.datastructures import Headers
from framework.problems import PermissionDenied, domain_error_problem
from framework.requests import HTTPConnection
from framework.types import ASGIApp, Receive, Scope, Send

__all__ = ["CSRF_FIELD", "CSRFRejected", "CrossSiteWriteGuard", "csrf_token", "verify_csrf_token"]

CSRF_FIELD = "csrf_token"
_SESSION_KEY = "csrf"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_SAME_SITE = frozenset({"same-origin", "none"})  # "none": typed in the address bar or a bookmark


class CSRFRejected(PermissionDenied):
    """A write that may have been forged by another site."""

    code = "csrf_rejected"


def csrf_token(conn: HTTPConnection) -> str:
    """The session's form token, created on first use."""
    token = conn.session.get(_SESSION_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        conn.session[_SESSION_KEY] = token
    return token


def verify_csrf_token(conn: HTTPConnection, submitted: object) -> None:
    """Raise `CSRFRejected` unless `submitted` is this session's token (compared in constant time)."""
    expected = conn.session.get(_SESSION_KEY)
    if not isinstance(expected, str) or not isinstance(submitted, str) or not submitted:
        raise CSRFRejected("The form has expired or did not come from this site; reload the page and try again.")
    if not hmac.compare_digest(expected.encode(), submitted.encode()):
        raise CSRFRejected("The form has expired or did not come from this site; reload the page and try again.")


class CrossSiteWriteGuard:
    """Pure-ASGI middleware refusing unsafe requests that a browser says came from another site.

    Requests without `Origin` and `Sec-Fetch-Site` (curl, server-to-server clients) pass: they carry no
    ambient browser cookies to abuse. `trusted_origins` are front-ends allowed to write (the CORS origins).
    """

    def __init__(self, app: ASGIApp, trusted_origins: Collection[str] = ()) -> None:
        self.app = app
        self.trusted_origins = frozenset(origin.rstrip("/") for origin in trusted_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in _SAFE_METHODS:
            reason = self._refusal(scope)
            if reason is not None:
                await domain_error_problem(CSRFRejected(reason), scope.get("path"))(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _refusal(self, scope: Scope) -> str | None:
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is not None and origin in self.trusted_origins:
            return None
        fetch_site = headers.get("sec-fetch-site")
        if fetch_site is not None and fetch_site not in _SAME_SITE:
            return f"Cross-site {scope['method']} refused (Sec-Fetch-Site: {fetch_site[:40]})."
        if origin is not None and origin != _own_origin(scope, headers):
            return f"Cross-site {scope['method']} refused: origin {origin[:100]!r} is not allowed to write here."
        return None


def _own_origin(scope: Scope, headers: Headers) -> str:
    scheme = "https" if scope.get("scheme") in ("https", "wss") else "http"
    return f"{scheme}://{headers.get('host', '')}"
