"""OpenTelemetry tracing: one SERVER span per HTTP request and per WebSocket connection.

The OpenTelemetry API is an optional dependency (`pip install 'framework[opentelemetry]'`);
it is imported when the middleware is constructed, so importing this module never fails.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from framework.routing import Match
from framework.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from opentelemetry.context import Context
    from opentelemetry.trace import Span, Tracer, TracerProvider

__all__ = ["OpenTelemetryMiddleware"]

_INSTALL_HINT = (
    "OpenTelemetryMiddleware needs the OpenTelemetry API, which is not installed; "
    "install it with: pip install 'framework[opentelemetry]'"
)
_RawHeaders = Iterable[tuple[bytes, bytes]]


@functools.cache
def _header_getter() -> Any:
    """A propagation Getter reading the raw ASGI header list (built once, on first use)."""
    from opentelemetry.propagators.textmap import Getter

    class _RawHeaderGetter(Getter[_RawHeaders]):
        def get(self, carrier: _RawHeaders, key: str) -> list[str] | None:
            name = key.lower().encode("latin-1")
            values = [value.decode("latin-1") for header, value in carrier if header == name]
            return values or None

        def keys(self, carrier: _RawHeaders) -> list[str]:
            return [header.decode("latin-1") for header, _ in carrier]

    return _RawHeaderGetter()


class OpenTelemetryMiddleware:
    """Traces each request as a SERVER span named "METHOD /route/{template}" ("WEBSOCKET ..." for sockets).

    The parent context comes from the incoming `traceparent`/`tracestate` (whatever the
    global propagator reads), and the span is current while the app runs, so spans the app
    starts become its children. Exceptions and 5xx responses mark the span as an error.
    """

    def __init__(self, app: ASGIApp, *, tracer_provider: TracerProvider | None = None) -> None:
        try:
            from opentelemetry import propagate, trace
        except ImportError as exc:
            raise RuntimeError(_INSTALL_HINT) from exc
        from framework import __version__

        self.app = app
        self.tracer: Tracer = trace.get_tracer("framework", __version__, tracer_provider=tracer_provider)
        self._extract = propagate.extract
        self._server_kind = trace.SpanKind.SERVER
        self._status = trace.Status
        self._error = trace.StatusCode.ERROR
        self._getter = _header_getter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return

        # Routing rewrites root_path and friends in place: keep what the route matcher needs.
        original = dict(scope)
        prefix = scope.get("method", "GET") if scope["type"] == "http" else "WEBSOCKET"
        parent: Context = self._extract(scope["headers"], getter=self._getter)
        with self.tracer.start_as_current_span(
            prefix,
            context=parent,
            kind=self._server_kind,
            attributes=_request_attributes(scope),
            record_exception=False,
            set_status_on_exception=False,
        ) as span:

            async def send_traced(message: Message) -> None:
                self._observe(span, message)
                await send(message)

            try:
                await self.app(scope, receive, send_traced)
            except Exception as exc:
                span.record_exception(exc)
                span.set_attribute("error.type", type(exc).__qualname__)
                span.set_status(self._status(self._error, f"{type(exc).__name__}: {exc}"))
                raise
            finally:
                template = _route_template(scope.get("router"), original)
                if template:
                    span.update_name(f"{prefix} {template}")
                    span.set_attribute("http.route", template)

    def _observe(self, span: Span, message: Message) -> None:
        kind = message["type"]
        if kind in ("http.response.start", "websocket.http.response.start"):
            status = int(message["status"])
            span.set_attribute("http.response.status_code", status)
            if status >= 500:
                span.set_attribute("error.type", str(status))
                span.set_status(self._status(self._error))
        elif kind == "websocket.accept":
            span.set_attribute("http.response.status_code", 101)


def _request_attributes(scope: Scope) -> dict[str, str | int]:
    is_http = scope["type"] == "http"
    attributes: dict[str, str | int] = {
        "http.request.method": scope.get("method", "GET"),
        "url.path": scope.get("path", ""),
        "url.scheme": scope.get("scheme", "http" if is_http else "ws"),
    }
    host = None
    for name, value in scope["headers"]:
        if name == b"host":
            host = value.decode("latin-1")
        elif name == b"user-agent":
            attributes["user_agent.original"] = value.decode("latin-1")
    server = scope.get("server")
    if host:
        address, port = _split_host(host)
        attributes["server.address"] = address
        if port is not None:
            attributes["server.port"] = port
    elif server:
        attributes["server.address"] = str(server[0])
        if server[1] is not None:
            attributes["server.port"] = int(server[1])
    client = scope.get("client")
    if client:
        attributes["client.address"] = str(client[0])
    if "http_version" in scope:
        attributes["network.protocol.version"] = str(scope["http_version"])
    return attributes


def _split_host(host: str) -> tuple[str, int | None]:
    """Split "name:port" / "[v6]:port"; the port is None when absent or not a number."""
    name, colon, port = host.rpartition(":")
    if not colon or name.endswith(":") or "]" in port or not port.isdigit():
        return host, None
    return name, int(port)


def _route_template(router: Any, scope: Scope) -> str | None:
    """The path template of the route that handles `scope`, joined across Mounts; None if none matched."""
    routes: Sequence[Any] | None = getattr(router, "routes", None)
    if not routes:
        return None
    partial: tuple[Any, Scope] | None = None
    for route in routes:
        match, child_scope = route.matches(scope)
        if match == Match.FULL:
            return _template_of(route, {**scope, **child_scope})
        if match == Match.PARTIAL and partial is None:
            partial = (route, {**scope, **child_scope})
    return _template_of(*partial) if partial is not None else None


def _template_of(route: Any, scope: Scope) -> str | None:
    path: str = getattr(route, "path", "")
    if getattr(route, "routes", None) is None:
        return path or None
    # A Mount or Host: the template continues in its child routes, if it has any.
    if not route.routes:
        return path or None
    inner = _route_template(route, scope)
    return path + inner if inner is not None else None
