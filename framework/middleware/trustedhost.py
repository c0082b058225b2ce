"""Reject requests whose Host header is not one of ours (host-header poisoning defence)."""

from __future__ import annotations

from collections.abc import Sequence

from framework._utils import parse_host_header
from framework.datastructures import URL
from framework.responses import PlainTextResponse, RedirectResponse, Response
from framework.types import ASGIApp, Receive, Scope, Send

__all__ = ["ENFORCE_DOMAIN_WILDCARD", "TrustedHostMiddleware"]

ENFORCE_DOMAIN_WILDCARD = "Domain wildcard patterns must be like '*.example.com'."


def _host_from_scope(scope: Scope) -> str | None:
    """The Host header's hostname, lower-cased, without port (IPv6 literals keep their brackets).

    None when the header is missing or is not a well-formed host[:port].
    """
    for name, value in scope["headers"]:
        if name == b"host":
            parsed = parse_host_header(value.decode("latin-1"))
            return None if parsed is None else parsed.host.lower()
    return None


class TrustedHostMiddleware:
    """Only lets through hosts listed in `allowed_hosts`; others get 400 "Invalid host header".

    Patterns are exact names, "*" (anything) or "*.example.com" (any subdomain). With
    `www_redirect`, a request for "example.com" when only "www.example.com" is allowed is
    redirected there instead of rejected.
    """

    def __init__(
        self,
        app: ASGIApp,
        allowed_hosts: Sequence[str] | None = None,
        www_redirect: bool = True,
    ) -> None:
        if allowed_hosts is None:
            allowed_hosts = ["*"]

        for pattern in allowed_hosts:
            assert "*" not in pattern[1:], ENFORCE_DOMAIN_WILDCARD
            if pattern.startswith("*") and pattern != "*":
                assert pattern.startswith("*."), ENFORCE_DOMAIN_WILDCARD

        self.app = app
        self.allowed_hosts = list(allowed_hosts)
        self.allow_any = "*" in allowed_hosts
        self.www_redirect = www_redirect
        # Precomputed so a request costs one set lookup and one endswith().
        self._exact = frozenset(p.lower() for p in allowed_hosts if not p.startswith("*"))
        self._suffixes = tuple(p[1:].lower() for p in allowed_hosts if p.startswith("*."))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.allow_any or scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return

        host = _host_from_scope(scope)
        if host is None:
            await PlainTextResponse("Invalid host header", status_code=400)(scope, receive, send)
            return
        if host in self._exact or (self._suffixes and host.endswith(self._suffixes)):
            await self.app(scope, receive, send)
            return

        response: Response
        if self.www_redirect and f"www.{host}" in self._exact:
            url = URL(scope=scope)
            response = RedirectResponse(url=str(url.replace(netloc="www." + url.netloc)))
        else:
            response = PlainTextResponse("Invalid host header", status_code=400)
        await response(scope, receive, send)
