"""Dependency injection per request: the request scope, request-scoped providers and the scope middleware.

The container is a plain dependency-injector container; this package adds what it lacks for a web app:
a scope per HTTP request, WebSocket connection and background task, providers that live in that scope, and
hooks (`before_response`, `on_exit`) that a unit of work uses to commit before the response and to clean up.
"""

from __future__ import annotations

from framework.di.background import in_fresh_scopes
from framework.di.errors import ConfigurationError
from framework.di.middleware import RequestScopeMiddleware
from framework.di.providers import CurrentRequest, CurrentScope, CurrentWebSocket, RequestScoped
from framework.di.scope import RequestScope, current_scope, get_current_scope, open_scope

__all__ = [
    "ConfigurationError",
    "CurrentRequest",
    "CurrentScope",
    "CurrentWebSocket",
    "RequestScope",
    "RequestScopeMiddleware",
    "RequestScoped",
    "current_scope",
    "get_current_scope",
    "in_fresh_scopes",
    "open_scope",
]
