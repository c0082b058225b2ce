"""Cross-Origin Resource Sharing: answer preflights and label responses for browsers.

Also offers, opt-in, an Origin check on WebSocket handshakes: browsers do not apply CORS
to WebSockets, so without it any page the user visits can open a socket carrying the
user's cookies (cross-site WebSocket hijacking).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from framework.datastructures import Headers, MutableHeaders
from framework.responses import PlainTextResponse, Response
from framework.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["ALL_METHODS", "SAFELISTED_HEADERS", "CORSMiddleware"]

ALL_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "QUERY")
SAFELISTED_HEADERS = {"Accept", "Accept-Language", "Content-Language", "Content-Type"}

_WEBSOCKET_DENIAL_BODY = b"Disallowed CORS origin"
# A preflight answer depends on every request header the browser sends with it, not only the Origin.
_PREFLIGHT_VARY = (
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, Access-Control-Request-Private-Network"
)


class CORSMiddleware:
    """Adds CORS headers for allowed origins and answers preflight (OPTIONS) requests itself.

    `check_websocket_origin=True` (ours) also refuses WebSocket handshakes whose Origin
    header is present and not allowed by `allow_origins` / `allow_origin_regex`.
    """

    def __init__(
        self,
        app: ASGIApp,
        allow_origins: Sequence[str] = (),
        allow_methods: Sequence[str] = ("GET",),
        allow_headers: Sequence[str] = (),
        allow_credentials: bool = False,
        allow_origin_regex: str | None = None,
        allow_private_network: bool = False,
        expose_headers: Sequence[str] = (),
        max_age: int = 600,
        *,
        check_websocket_origin: bool = False,
    ) -> None:
        if "*" in allow_methods:
            allow_methods = ALL_METHODS

        allow_all_origins = "*" in allow_origins
        allow_all_headers = "*" in allow_headers
        # With credentials a browser refuses "*", so the origin must be echoed instead.
        preflight_explicit_allow_origin = not allow_all_origins or allow_credentials

        allowed_header_names = sorted(SAFELISTED_HEADERS | set(allow_headers))
        simple_headers = _simple_headers(allow_all_origins, allow_credentials, expose_headers)
        preflight_headers = _preflight_headers(
            preflight_explicit_allow_origin, allow_methods, max_age, allowed_header_names, allow_all_headers
        )
        if allow_credentials:
            preflight_headers["Access-Control-Allow-Credentials"] = "true"

        self.app = app
        self.allow_origins = allow_origins
        self.allow_methods = allow_methods
        self.allow_headers = [h.lower() for h in allowed_header_names]
        self.allow_all_origins = allow_all_origins
        self.allow_all_headers = allow_all_headers
        self.allow_credentials = allow_credentials
        self.preflight_explicit_allow_origin = preflight_explicit_allow_origin
        self.allow_origin_regex = re.compile(allow_origin_regex) if allow_origin_regex is not None else None
        self.allow_private_network = allow_private_network
        self.simple_headers = simple_headers
        self.preflight_headers = preflight_headers
        self.check_websocket_origin = check_websocket_origin
        self._origin_set = frozenset(allow_origins)
        self._header_set = frozenset(self.allow_headers)
        self._simple_raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in simple_headers.items()]
        self._simple_names = frozenset(name for name, _ in self._simple_raw)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and self.check_websocket_origin:
            await self._guard_websocket(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is not None and scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            response = self.preflight_response(request_headers=headers)
            await response(scope, receive, send)
            return

        await self.simple_response(scope, receive, send, request_headers=headers)

    def is_allowed_origin(self, origin: str) -> bool:
        if self.allow_all_origins:
            return True
        if self.allow_origin_regex is not None and self.allow_origin_regex.fullmatch(origin):
            return True
        return origin in self._origin_set

    def preflight_response(self, request_headers: Headers) -> Response:
        requested_origin = request_headers["origin"]
        requested_method = request_headers["access-control-request-method"]
        requested_headers = request_headers.get("access-control-request-headers")
        requested_private_network = request_headers.get("access-control-request-private-network")

        headers = dict(self.preflight_headers)
        failures: list[str] = []

        if self.is_allowed_origin(origin=requested_origin):
            if self.preflight_explicit_allow_origin:
                headers["Access-Control-Allow-Origin"] = requested_origin
        else:
            failures.append("origin")

        if requested_method not in self.allow_methods:
            failures.append("method")

        if self.allow_all_headers and requested_headers is not None:
            # "Allow any header" is spelled by mirroring what was asked for.
            headers["Access-Control-Allow-Headers"] = requested_headers
        elif requested_headers is not None:
            requested = (h.strip().lower() for h in requested_headers.split(","))
            if any(h not in self._header_set for h in requested):
                failures.append("headers")

        if requested_private_network is not None:
            if self.allow_private_network:
                headers["Access-Control-Allow-Private-Network"] = "true"
            else:
                failures.append("private-network")

        # Browsers enforce the policy either way; a 400 listing what failed helps whoever debugs it.
        if failures:
            return PlainTextResponse("Disallowed CORS " + ", ".join(failures), status_code=400, headers=headers)
        return PlainTextResponse("OK", status_code=200, headers=headers)

    async def simple_response(self, scope: Scope, receive: Receive, send: Send, request_headers: Headers) -> None:
        send = functools.partial(self.send, send=send, request_headers=request_headers)
        await self.app(scope, receive, send)

    async def send(self, message: Message, send: Send, request_headers: Headers) -> None:
        if message["type"] != "http.response.start":
            await send(message)
            return

        origin = request_headers.get("Origin")
        if origin is not None:
            # Replace any same-named headers from the app with our precomputed raw pairs.
            raw = [(name, value) for name, value in message.get("headers", ()) if name not in self._simple_names]
            raw.extend(self._simple_raw)
            message["headers"] = raw
        message.setdefault("headers", [])
        headers = MutableHeaders(scope=message)

        if origin is not None and self.allow_all_origins and self.allow_credentials:
            # A credentialed request may not be answered with "*": name the origin.
            self.allow_explicit_origin(headers, origin)
        elif origin is not None and not self.allow_all_origins and self.is_allowed_origin(origin=origin):
            self.allow_explicit_origin(headers, origin)
        else:
            # The answer still depends on Origin (another origin could get other headers): tell caches.
            headers.add_vary_header("Origin")

        await send(message)

    @staticmethod
    def allow_explicit_origin(headers: MutableHeaders, origin: str) -> None:
        headers["Access-Control-Allow-Origin"] = origin
        headers.add_vary_header("Origin")

    async def _guard_websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = _raw_header(scope, b"origin")
        # Non-browser clients send no Origin; CORS is about what browsers may do for pages.
        if origin is not None and not self.is_allowed_origin(origin):
            await _deny_websocket(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _simple_headers(allow_all_origins: bool, allow_credentials: bool, expose_headers: Sequence[str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    if allow_all_origins:
        headers["Access-Control-Allow-Origin"] = "*"
    if allow_credentials:
        headers["Access-Control-Allow-Credentials"] = "true"
    if expose_headers:
        headers["Access-Control-Expose-Headers"] = ", ".join(expose_headers)
    return headers


def _preflight_headers(
    explicit_origin: bool,
    allow_methods: Sequence[str],
    max_age: int,
    allowed_header_names: Sequence[str],
    allow_all_headers: bool,
) -> dict[str, str]:
    headers: dict[str, str] = {"Vary": _PREFLIGHT_VARY}
    if not explicit_origin:
        # Otherwise the allowed origin itself is filled in per request.
        headers["Access-Control-Allow-Origin"] = "*"
    headers["Access-Control-Allow-Methods"] = ", ".join(allow_methods)
    headers["Access-Control-Max-Age"] = str(max_age)
    if allowed_header_names and not allow_all_headers:
        headers["Access-Control-Allow-Headers"] = ", ".join(allowed_header_names)
    return headers


def _raw_header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def _deny_websocket(scope: Scope, receive: Receive, send: Send) -> None:
    """Refuse the handshake: an HTTP 403 when the server can send one, else close before accepting."""
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    if "websocket.http.response" in scope.get("extensions", {}):
        await send(
            {
                "type": "websocket.http.response.start",
                "status": 403,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(_WEBSOCKET_DENIAL_BODY)).encode("latin-1")),
                ],
            }
        )
        await send({"type": "websocket.http.response.body", "body": _WEBSOCKET_DENIAL_BODY})
    else:
        # Closing before accept makes the server answer the handshake with 403.
        await send({"type": "websocket.close", "code": 1008})
