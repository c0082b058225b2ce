"""Signed-cookie sessions: `request.session` is a dict that travels in the client's cookie.

The cookie is base64 JSON signed with itsdangerous, so clients can read it but not change
it: keep secrets out of the session. Nothing is stored server-side, which is what lets
several workers or machines share sessions with no shared store.
"""

from __future__ import annotations

import json
from base64 import b64decode, b64encode
from typing import Any, Literal

import itsdangerous
from itsdangerous.exc import BadData

from framework.datastructures import MutableHeaders, Secret
from framework.requests import HTTPConnection
from framework.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["SessionMiddleware"]

_EXPIRED = "expires=Thu, 01 Jan 1970 00:00:00 GMT; "


def _flags(same_site: str, secure: bool, domain: str | None, partitioned: bool) -> str:
    flags = "httponly; samesite=" + same_site
    if secure:
        flags += "; secure"
    if domain is not None:
        flags += f"; domain={domain}"
    if partitioned:
        flags += "; partitioned"
    return flags


class SessionMiddleware:
    """Loads `scope["session"]` from the signed cookie and writes it back when it changed.

    A cookie that is tampered with, truncated, expired, signed with another key or not a
    JSON object simply yields an empty session. The cookie is re-sent with every response
    while the session holds data (so `max_age` slides forward) and cleared once the session
    is emptied. `Secure` is added with
    `https_only` and also whenever the request itself arrived over https.
    """

    def __init__(
        self,
        app: ASGIApp,
        secret_key: str | Secret,
        session_cookie: str = "session",
        max_age: int | None = 14 * 24 * 60 * 60,  # 14 days, in seconds
        path: str = "/",
        same_site: Literal["lax", "strict", "none"] = "lax",
        https_only: bool = False,
        domain: str | None = None,
        partitioned: bool = False,
    ) -> None:
        self.app = app
        self.signer = itsdangerous.TimestampSigner(str(secret_key))
        self.session_cookie = session_cookie
        self.max_age = max_age
        self.path = path
        # Browsers drop Partitioned cookies that are not Secure.
        always_secure = https_only or partitioned
        self.security_flags = _flags(same_site, always_secure, domain, partitioned)
        https_flags = _flags(same_site, True, domain, partitioned)
        # Attribute tails precomputed for requests over http (False) and https (True).
        max_age_part = f"Max-Age={max_age}; " if max_age else ""
        self._set_tail = {
            False: f"; path={path}; {max_age_part}{self.security_flags}",
            True: f"; path={path}; {max_age_part}{https_flags}",
        }
        self._clear_tail = {
            False: f"; path={path}; {_EXPIRED}{self.security_flags}",
            True: f"; path={path}; {_EXPIRED}{https_flags}",
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return

        cookie = HTTPConnection(scope).cookies.get(self.session_cookie)
        scope["session"], loaded_payload, signed_at = self._load(cookie)
        secure = scope.get("scheme") in ("https", "wss")

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                header = self._set_cookie_header(scope["session"], loaded_payload, signed_at, secure)
                if header is not None:
                    message.setdefault("headers", [])
                    MutableHeaders(scope=message).append("Set-Cookie", header)
            await send(message)

        await self.app(scope, receive, send_wrapper)

    def _load(self, cookie: str | None) -> tuple[dict[str, Any], bytes | None, float]:
        """Decode a session cookie; anything that does not verify is an empty session."""
        if not cookie:
            return {}, None, 0.0
        try:
            payload, signed_at = self.signer.unsign(cookie.encode("utf-8"), max_age=self.max_age, return_timestamp=True)
            session = json.loads(b64decode(payload, validate=True))
        except (BadData, ValueError, RecursionError):
            return {}, None, 0.0
        if not isinstance(session, dict):
            return {}, None, 0.0
        return session, payload, signed_at.timestamp()

    def _set_cookie_header(self, session: Any, loaded: bytes | None, signed_at: float, secure: bool) -> str | None:
        if not session:
            # Clear the cookie only if the client actually holds a valid one.
            return None if loaded is None else f"{self.session_cookie}=null{self._clear_tail[secure]}"
        # Re-sent on every response that carries a session, as Starlette does, so that
        # max_age slides forward for active users.
        payload = b64encode(json.dumps(session).encode("utf-8"))
        data = self.signer.sign(payload).decode("utf-8")
        return f"{self.session_cookie}={data}{self._set_tail[secure]}"
