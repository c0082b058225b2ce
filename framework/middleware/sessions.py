"""Signed-cookie sessions: `request.session` is a dict that travels in the client's cookie.

The cookie is base64 JSON signed with itsdangerous, so clients can read it but not change
it: keep secrets out of the session. Nothing is stored server-side, which is what lets
several workers or machines share sessions with no shared store.
"""

from __future__ import annotations

import json
from base64 import b64decode, b64encode
from typing import Any, Literal, Self

import itsdangerous
from itsdangerous.exc import BadData

from framework.datastructures import MutableHeaders, Secret
from framework.requests import HTTPConnection
from framework.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["Session", "SessionMiddleware"]

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
    JSON object simply yields an empty session. The cookie is sent again only when the
    session changed, and cleared once a session the client held is emptied. `Secure` is added
    with `https_only` and also whenever the request itself arrived over https.
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
        max_age_part = f"Max-Age={max_age}; " if max_age is not None else ""
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
        session, had_valid_cookie = self._load(cookie)
        scope["session"] = session
        secure = scope.get("scheme") in ("https", "wss")

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._decorate(message, scope["session"], had_valid_cookie, secure)
            await send(message)

        await self.app(scope, receive, send_wrapper)

    def _load(self, cookie: str | None) -> tuple[Session, bool]:
        """Decode a session cookie; anything that does not verify is an empty session."""
        if not cookie:
            return Session(), False
        try:
            payload = self.signer.unsign(cookie.encode("utf-8"), max_age=self.max_age)
            data = json.loads(b64decode(payload, validate=True))
        except (BadData, ValueError, RecursionError):
            return Session(), False
        if not isinstance(data, dict):
            return Session(), False
        return Session(data), True

    def _decorate(self, message: Message, session: Any, had_valid_cookie: bool, secure: bool) -> None:
        # A replaced plain dict carries no tracking: treat it as read and written.
        accessed = getattr(session, "accessed", True)
        modified = getattr(session, "modified", True)
        if not accessed:
            return
        message.setdefault("headers", [])
        headers = MutableHeaders(scope=message)
        # The response depends on the cookie, so shared caches must not serve it to other clients.
        headers.add_vary_header("Cookie")
        if not modified:
            return
        if session:
            payload = b64encode(json.dumps(session).encode("utf-8"))
            data = self.signer.sign(payload).decode("utf-8")
            headers.append("Set-Cookie", f"{self.session_cookie}={data}{self._set_tail[secure]}")
        elif had_valid_cookie:
            # Emptied: tell the client to drop the cookie it holds (nothing to clear otherwise).
            headers.append("Set-Cookie", f"{self.session_cookie}=null{self._clear_tail[secure]}")


class Session(dict[str, Any]):
    """The session dict, remembering whether the request read or changed it.

    The middleware writes the cookie back only when the session was changed, and marks the
    response `Vary: Cookie` whenever it was looked at. Reads through `request.session` count as
    access; every mutating dict method counts as a change (and as access).
    """

    accessed: bool = False
    modified: bool = False

    def mark_accessed(self) -> None:
        self.accessed = True

    def mark_modified(self) -> None:
        self.accessed = self.modified = True

    def __setitem__(self, key: str, value: Any) -> None:
        self.mark_modified()
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.mark_modified()
        super().__delitem__(key)

    def __ior__(self, other: Any, /) -> Self:  # type: ignore[override,misc]
        self.mark_modified()
        return super().__ior__(other)

    def clear(self) -> None:
        self.mark_modified()
        super().clear()

    def update(self, *args: Any, **kwargs: Any) -> None:
        self.mark_modified()
        super().update(*args, **kwargs)

    def pop(self, key: str, *default: Any) -> Any:
        # Popping a missing key with a default changes nothing.
        if key in self:
            self.mark_modified()
        return super().pop(key, *default)

    def popitem(self) -> tuple[str, Any]:
        item = super().popitem()
        self.mark_modified()
        return item

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self.mark_modified()
        return super().setdefault(key, default)
