"""Send plain http/ws traffic to the https/wss equivalent of the same URL."""

from __future__ import annotations

from framework.datastructures import URL
from framework.responses import PlainTextResponse, RedirectResponse
from framework.types import ASGIApp, Receive, Scope, Send

__all__ = ["HTTPSRedirectMiddleware"]

_SECURE_SCHEME = {"http": "https", "ws": "wss"}


class HTTPSRedirectMiddleware:
    """Redirects (307, so the method and body are kept) every insecure request to its secure URL.

    An explicit default port (80 or 443) is dropped so "http://example.com:80/" becomes
    "https://example.com/" rather than the wrong "https://example.com:80/".
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        # ASGI makes "scheme" optional, defaulting to the insecure one.
        scheme = scope.get("scheme", "http" if scope["type"] == "http" else "ws")
        if scheme not in _SECURE_SCHEME:
            await self.app(scope, receive, send)
            return

        url = URL(scope=scope)
        if not url.netloc:
            # No usable Host header and no server address: there is nowhere to redirect to.
            await PlainTextResponse("Invalid host header", status_code=400)(scope, receive, send)
            return
        netloc = url.netloc
        if url.port in (80, 443):
            hostname = url.hostname or ""
            netloc = f"[{hostname}]" if ":" in hostname else hostname
        secure = url.replace(scheme=_SECURE_SCHEME[scheme], netloc=netloc)
        response = RedirectResponse(url=str(secure), status_code=307)
        await response(scope, receive, send)
