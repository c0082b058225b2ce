"""OpenTelemetry tracing: one SERVER span per HTTP request.

The OpenTelemetry API is an optional dependency (`pip install 'framework[opentelemetry]'`);
it is imported when the middleware is constructed, so importing this module never fails.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from framework.datastructures import URL
from framework.routing import Match, Mount
from framework.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from opentelemetry.context import Context
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import Tracer, TracerProvider

__all__ = ["OpenTelemetryMiddleware"]

_INSTALL_HINT = (
    "OpenTelemetryMiddleware needs the OpenTelemetry API, which is not installed; "
    "install it with: pip install 'framework[opentelemetry]'"
)
_RawHeaders = Iterable[tuple[bytes, bytes]]
# Set while an outer instance traces the request, so inner ones (mounted apps) do not add a duplicate span.
_TRACED_KEY = "starlette.opentelemetry"


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
    """Traces each HTTP request as a SERVER span named "METHOD /route/{template}".

    The parent context comes from the incoming `traceparent`/`tracestate` (whatever the global
    propagator reads), and the span is current while the app runs, so spans the app starts become
    its children. Exceptions and 5xx responses mark the span as an error. URLs matching one of
    `excluded_urls` (regular expressions searched in the full URL; a sequence or one comma-separated
    string) are not traced. When several instances wrap one request (a mounted Application with its
    own middleware), only the outermost traces it. Without `tracer_provider` the global one is used;
    a no-op provider turns tracing off. WebSocket and lifespan scopes pass through untouched.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        excluded_urls: str | Sequence[str] = (),
        tracer_provider: TracerProvider | None = None,
        meter_provider: MeterProvider | None = None,
    ) -> None:
        try:
            from opentelemetry import propagate, trace
        except ImportError as exc:
            raise RuntimeError(_INSTALL_HINT) from exc

        self.app = app
        if isinstance(excluded_urls, str):
            excluded_urls = [pattern.strip() for pattern in excluded_urls.split(",")] if excluded_urls else []
        self._excluded_urls = tuple(re.compile(pattern) for pattern in excluded_urls)
        self._tracer_provider = tracer_provider or trace.get_tracer_provider()
        # Accepted for API compatibility; no metrics are recorded yet.
        self._meter_provider = meter_provider
        self._disabled = isinstance(self._tracer_provider, trace.NoOpTracerProvider)
        self._extract = propagate.extract
        self._server_kind = trace.SpanKind.SERVER
        self._status = trace.Status
        self._error = trace.StatusCode.ERROR
        self._getter = _header_getter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._disabled or scope.get(_TRACED_KEY):
            await self.app(scope, receive, send)
            return
        scope[_TRACED_KEY] = True
        try:
            if self._excluded_urls:
                url = str(URL(scope=scope))
                if any(pattern.search(url) for pattern in self._excluded_urls):
                    await self.app(scope, receive, send)
                    return
            await self._traced(scope, receive, send)
        finally:
            del scope[_TRACED_KEY]

    async def _traced(self, scope: Scope, receive: Receive, send: Send) -> None:
        from framework import __version__

        # Routing rewrites root_path and friends in place: keep what the fallback route matcher needs.
        original = dict(scope)
        method = str(scope.get("method", "")).upper()
        # Resolved per request: a proxy provider may be replaced by the real one after start-up.
        tracer: Tracer = self._tracer_provider.get_tracer("framework", __version__)
        parent: Context = self._extract(scope.get("headers", []), getter=self._getter)
        with tracer.start_as_current_span(
            method, context=parent, kind=self._server_kind, attributes=_request_attributes(scope)
        ) as span:

            async def send_traced(message: Message) -> None:
                if message["type"] == "http.response.start":
                    status = int(message["status"])
                    span.set_attribute("http.response.status_code", status)
                    if status >= 500:
                        span.set_attribute("error.type", str(status))
                        span.set_status(self._status(self._error))
                await send(message)

            try:
                await self.app(scope, receive, send_traced)
            except Exception as exc:
                # The span itself records the exception event and the error status on the way out.
                span.set_attribute("error.type", type(exc).__qualname__)
                raise
            finally:
                template = _matched_template(scope, original)
                if template is not None:
                    span.update_name(f"{method} {template}")
                    span.set_attribute("http.route", template)


def _request_attributes(scope: Scope) -> dict[str, str | int]:
    original_method = str(scope.get("method", ""))
    method = original_method.upper()
    url = URL(scope=scope)
    attributes: dict[str, str | int] = {
        "http.request.method": method,
        "url.path": scope.get("path", ""),
        "url.scheme": scope.get("scheme", "http"),
    }
    if original_method != method:
        attributes["http.request.method_original"] = original_method
    if url.query:
        attributes["url.query"] = url.query
    if url.hostname is not None:
        attributes["server.address"] = url.hostname
        server = scope.get("server")
        port = url.port if url.port is not None else (server[1] if server else None)
        if port is not None:
            attributes["server.port"] = port
    if scope.get("http_version"):
        attributes["network.protocol.version"] = str(scope["http_version"])
    client = scope.get("client")
    if client is not None:
        attributes["client.address"] = str(client[0])
    for name, value in scope.get("headers", []):
        if name.lower() == b"user-agent":
            attributes["user_agent.original"] = value.decode("latin-1")
            break
    return attributes


def _matched_template(scope: Scope, original: Scope) -> str | None:
    """The template of the route the router actually picked (`scope["route"]`), root_path included."""
    if "route" not in scope:
        # A router that does not record its match: find it again from the request as it came in.
        return _route_template(scope.get("router"), original)
    route = scope["route"]
    root_path = str(scope.get("root_path", ""))
    if isinstance(route, Mount):
        # The mounted app did not resolve further: the mount point is the best template there is.
        return root_path or "/"
    path_format = getattr(route, "path_format", None)
    if not isinstance(path_format, str):
        return None
    return root_path.rstrip("/") + path_format or "/"


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
