"""Authentication primitives: users, credentials, backends and the `requires` guard.

`AuthenticationMiddleware` (framework.middleware.authentication) asks a backend for
`(AuthCredentials, BaseUser)` once per connection and stores them in `scope["auth"]` and
`scope["user"]`; `requires` then checks scopes on individual endpoints.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any, ParamSpec
from urllib.parse import urlencode

from framework._utils import is_async_callable
from framework.exceptions import HTTPException
from framework.requests import HTTPConnection, Request
from framework.responses import RedirectResponse
from framework.websockets import WebSocket

__all__ = [
    "AuthCredentials",
    "AuthenticationBackend",
    "AuthenticationError",
    "BaseUser",
    "SimpleUser",
    "UnauthenticatedUser",
    "has_required_scope",
    "requires",
]

_P = ParamSpec("_P")


def has_required_scope(conn: HTTPConnection, scopes: Sequence[str]) -> bool:
    """True when the connection's credentials grant every one of `scopes`."""
    granted = conn.auth.scopes
    return all(scope in granted for scope in scopes)


def _connection_argument(func: Callable[..., Any]) -> tuple[str, int]:
    """Find which parameter carries the connection, once, when the endpoint is decorated."""
    for index, parameter in enumerate(inspect.signature(func).parameters.values()):
        if parameter.name in ("request", "websocket"):
            return parameter.name, index
    raise Exception(f'No "request" or "websocket" argument on function "{func}"')


def _pick(args: tuple[Any, ...], kwargs: dict[str, Any], name: str, index: int) -> Any:
    if name in kwargs:
        return kwargs[name]
    return args[index] if index < len(args) else None


def requires(
    scopes: str | Sequence[str],
    status_code: int = 403,
    redirect: str | None = None,
) -> Callable[[Callable[_P, Any]], Callable[_P, Any]]:
    """Guard an endpoint: without all `scopes` a request gets `status_code` (or a redirect), a websocket is closed.

    Works on sync and async request endpoints, websocket endpoints and `HTTPEndpoint`
    methods. With `redirect`, the client is sent (303) to the named route with the
    original URL in `?next=`.
    """
    scopes_list = [scopes] if isinstance(scopes, str) else list(scopes)

    def denied(request: Request) -> RedirectResponse:
        if redirect is None:
            raise HTTPException(status_code=status_code)
        next_url = f"{request.url_for(redirect)}?{urlencode({'next': str(request.url)})}"
        return RedirectResponse(url=next_url, status_code=303)

    def decorator(func: Callable[_P, Any]) -> Callable[_P, Any]:
        kind, index = _connection_argument(func)
        if kind == "websocket":
            return _guard_websocket(func, index, scopes_list)
        return _guard_request(func, index, scopes_list, denied)

    return decorator


def _guard_websocket(func: Callable[_P, Any], index: int, scopes: list[str]) -> Callable[_P, Any]:
    @functools.wraps(func)
    async def websocket_wrapper(*args: _P.args, **kwargs: _P.kwargs) -> None:
        websocket = _pick(args, kwargs, "websocket", index)
        assert isinstance(websocket, WebSocket)
        if has_required_scope(websocket, scopes):
            await func(*args, **kwargs)
        else:
            await websocket.close()

    return websocket_wrapper


def _guard_request(
    func: Callable[_P, Any], index: int, scopes: list[str], denied: Callable[[Request], Any]
) -> Callable[_P, Any]:
    if is_async_callable(func):

        @functools.wraps(func)
        async def async_wrapper(*args: _P.args, **kwargs: _P.kwargs) -> Any:
            request = _pick(args, kwargs, "request", index)
            assert isinstance(request, Request)
            if not has_required_scope(request, scopes):
                return denied(request)
            return await func(*args, **kwargs)

        return async_wrapper

    @functools.wraps(func)
    def sync_wrapper(*args: _P.args, **kwargs: _P.kwargs) -> Any:
        request = _pick(args, kwargs, "request", index)
        assert isinstance(request, Request)
        if not has_required_scope(request, scopes):
            return denied(request)
        return func(*args, **kwargs)

    return sync_wrapper


class AuthenticationError(Exception):
    """Raised by a backend when credentials were supplied but are invalid."""


class AuthenticationBackend:
    """Turns a connection into `(credentials, user)`, or None when it carries no credentials."""

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        raise NotImplementedError()  # pragma: no cover


class AuthCredentials:
    """The scopes a connection was granted."""

    def __init__(self, scopes: Sequence[str] | None = None) -> None:
        self.scopes = [] if scopes is None else list(scopes)


class BaseUser:
    """What endpoints may ask of any user object."""

    @property
    def is_authenticated(self) -> bool:
        raise NotImplementedError()  # pragma: no cover

    @property
    def display_name(self) -> str:
        raise NotImplementedError()  # pragma: no cover

    @property
    def identity(self) -> str:
        raise NotImplementedError()  # pragma: no cover


class SimpleUser(BaseUser):
    """An authenticated user known only by name."""

    def __init__(self, username: str) -> None:
        self.username = username

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return self.username

    @property
    def identity(self) -> str:
        return self.username


class UnauthenticatedUser(BaseUser):
    """Stands in for "nobody" so endpoints never have to test for None."""

    @property
    def is_authenticated(self) -> bool:
        return False

    @property
    def display_name(self) -> str:
        return ""

    @property
    def identity(self) -> str:
        return ""
