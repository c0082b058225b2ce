"""Pure-ASGI middleware opening a request scope per HTTP request and per WebSocket connection.

`send` is wrapped so that the scope's before-response callbacks run when the app starts its response and
before the client sees anything: a unit of work commits there, so a failed commit becomes an error response
instead of a 2xx that lied.
"""

from __future__ import annotations

from framework.di.scope import RequestScope, _current
from framework.exceptions import HTTPException
from framework.problems import DomainError, domain_error_problem, http_exception_problem
from framework.types import ASGIApp, Receive, Scope, Send

__all__ = ["RequestScopeMiddleware"]


class RequestScopeMiddleware:
    """Opens a `RequestScope` around each HTTP request and WebSocket connection; other scopes pass through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "websocket":
                async with RequestScope(scope, receive, send):
                    await self.app(scope, receive, send)
            else:
                await self.app(scope, receive, send)
            return
        # Inlined rather than delegated to a helper coroutine: this runs on every request.
        request_scope = RequestScope(scope, receive, send)
        request_scope._wrapped_send = wrapped = request_scope.send_through
        token = _current.set(request_scope)
        try:
            try:
                await self.app(scope, receive, wrapped)
                if not request_scope._started and request_scope._before_response:
                    # The server will answer 500 for an app that sent nothing: units of work roll back.
                    await request_scope.run_before_response(500)
            except BaseException as exc:
                if request_scope._on_exit:
                    await request_scope.close(exc)
                raise
            failure = request_scope._failure
            if request_scope._on_exit:
                await request_scope.close(failure)
            if failure is not None:
                await _send_failure(failure, scope, receive, send)
        finally:
            _current.reset(token)
            # Break the scope -> send wrapper -> scope (and scope -> Request -> wrapper) cycles now, so the
            # scope is freed by reference counting instead of waiting for (and feeding) the cyclic collector.
            request_scope._wrapped_send = None
            request_scope.connection = None


async def _send_failure(failure: Exception, scope: Scope, receive: Receive, send: Send) -> None:
    """Answer for a before-response callback that raised: its HTTP error, or a 500 from the error middleware."""
    path = scope.get("path")
    if isinstance(failure, HTTPException):
        response = http_exception_problem(failure, path)
    elif isinstance(failure, DomainError):
        response = domain_error_problem(failure, path)
    else:
        raise failure
    await response(scope, receive, send)
