"""Pure-ASGI middleware opening a request scope per HTTP request and per WebSocket connection.

Once a before-response callback is registered, what the app sends passes the scope's response gate, which
runs the callbacks when the app starts its response and before the client sees anything: a unit of work
commits there, so a failed commit becomes an error response instead of a 2xx that lied.
"""

from __future__ import annotations

from framework._exception_handler import SendTracker
from framework.di.scope import HTTPRequestScope, RequestScope, _current
from framework.exceptions import HTTPException
from framework.problems import DomainError, domain_error_problem, http_exception_problem
from framework.types import ASGIApp, Receive, Scope, Send

__all__ = ["RequestScopeMiddleware"]

_set_current = _current.set
_reset_current = _current.reset


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
        # Inlined rather than delegated to a helper coroutine: this runs on every request. The app gets a
        # send tracker, reused by the layers below; the scope puts its response gate under it only when a
        # before-response callback is registered.
        tracker = send if send.__class__ is SendTracker else SendTracker(send)
        request_scope = HTTPRequestScope(scope, receive, tracker)
        token = _set_current(request_scope)
        try:
            try:
                await self.app(scope, receive, tracker)
                if request_scope._before_response and not request_scope._started:
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
                request_scope.remove_gate()
                await _send_failure(failure, scope, receive, tracker)
        finally:
            _reset_current(token)
            if request_scope._gated:
                # Also breaks the scope -> Request -> tracker -> scope cycle the gate made, so the scope is freed
                # by reference counting rather than by the cyclic collector.
                request_scope.remove_gate()


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
