"""RFC 9457 problem details: one error format for clients, and domain errors that map onto it.

Domain code raises `NotFound`, `Conflict`, ... without knowing about HTTP responses; the controller layer (the
compiled binder) or the exception handlers from `problem_exception_handlers()` turn them, and `HTTPException`,
into `application/problem+json` responses.
"""

from __future__ import annotations

import http
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pydantic_core

from framework.exceptions import HTTPException
from framework.requests import Request
from framework.responses import Response

__all__ = [
    "PROBLEM_MEDIA_TYPE",
    "Conflict",
    "DomainError",
    "NotFound",
    "PermissionDenied",
    "ProblemDetails",
    "Unauthorized",
    "domain_error_handler",
    "domain_error_problem",
    "http_exception_handler",
    "http_exception_problem",
    "problem_exception_handlers",
    "problem_response",
]

PROBLEM_MEDIA_TYPE = "application/problem+json"

# Statuses whose responses must not carry a body (RFC 9110): rendered as bare responses.
_BODYLESS = frozenset({204, 304})
# Members of a problem object that extensions must not overwrite.
_RESERVED = frozenset({"type", "title", "status", "detail", "instance"})


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Error"


@dataclass(frozen=True, slots=True)
class ProblemDetails:
    """A problem object (RFC 9457): what went wrong, in a shape every client of the app can rely on."""

    status: int
    title: str | None = None
    detail: str | None = None
    type: str = "about:blank"
    instance: str | None = None
    extensions: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object: standard members first, then extensions; absent optional members are left out."""
        body: dict[str, Any] = {"type": self.type, "title": self.title or _phrase(self.status), "status": self.status}
        if self.detail is not None:
            body["detail"] = self.detail
        if self.instance is not None:
            body["instance"] = self.instance
        for key, value in self.extensions.items():
            if key not in _RESERVED:
                body[key] = value
        return body

    def to_response(self, headers: Mapping[str, str] | None = None) -> Response:
        """Render as an `application/problem+json` response (bodyless for 204/304)."""
        if self.status in _BODYLESS:
            return Response(status_code=self.status, headers=headers)
        content = pydantic_core.to_json(self.to_dict())
        return Response(content, status_code=self.status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def problem_response(
    status: int,
    *,
    title: str | None = None,
    detail: str | None = None,
    type: str | None = None,
    instance: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extensions: Any,
) -> Response:
    """Build a problem+json response; the title defaults to the status phrase, the type to "about:blank"."""
    problem = ProblemDetails(status, title, detail, type or "about:blank", instance, extensions)
    return problem.to_response(headers)


class DomainError(Exception):
    """Base for errors raised by domain code; each subclass fixes the HTTP status it maps to.

    `detail` explains this occurrence to the client, `title` the kind of problem (defaults to the status phrase),
    `code` is a stable machine-readable identifier clients can switch on. Extra keyword arguments become
    extension members of the problem object.
    """

    status: int = 400
    title: str | None = None
    type: str = "about:blank"
    code: str | None = None

    def __init__(
        self,
        detail: str | None = None,
        *,
        title: str | None = None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        if detail is None:
            super().__init__()
        else:
            super().__init__(detail)
        self.detail = detail
        if title is not None:
            self.title = title
        if code is not None:
            self.code = code
        self.headers: Mapping[str, str] | None = headers
        self.extensions: dict[str, Any] = extensions

    def to_problem(self, instance: str | None = None) -> ProblemDetails:
        """The problem object for this error, `instance` being the request path."""
        extensions = dict(self.extensions)
        if self.code is not None:
            extensions.setdefault("code", self.code)
        return ProblemDetails(self.status, self.title, self.detail, self.type, instance, extensions)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(detail={self.detail!r})"


class NotFound(DomainError):
    """The thing asked for does not exist (404)."""

    status = 404


class Conflict(DomainError):
    """The request conflicts with the current state, e.g. a duplicate or a stale version (409)."""

    status = 409


class PermissionDenied(DomainError):
    """The caller is known but not allowed to do this (403)."""

    status = 403


class Unauthorized(DomainError):
    """The caller is not authenticated (401); pass `headers={"WWW-Authenticate": ...}` to name the scheme."""

    status = 401


def http_exception_problem(exc: HTTPException, instance: str | None) -> Response:
    """Render an `HTTPException` as a problem, keeping its status and headers."""
    return ProblemDetails(exc.status_code, None, exc.detail, instance=instance).to_response(exc.headers)


def domain_error_problem(exc: DomainError, instance: str | None) -> Response:
    """Render a `DomainError` as a problem with its status, code, extensions and headers."""
    return exc.to_problem(instance).to_response(exc.headers)


async def http_exception_handler(request: Request, exc: Exception) -> Response:
    """Exception handler rendering `HTTPException` as problem details (install it with the one below)."""
    assert isinstance(exc, HTTPException)
    return http_exception_problem(exc, request.url.path)


async def domain_error_handler(request: Request, exc: Exception) -> Response:
    """Exception handler rendering `DomainError` (and subclasses) as problem details."""
    assert isinstance(exc, DomainError)
    return domain_error_problem(exc, request.url.path)


def problem_exception_handlers() -> dict[Any, Callable[[Request, Exception], Awaitable[Response]]]:
    """Handlers to pass as `exception_handlers=` so plain toolkit routes answer with problem details too."""
    return {HTTPException: http_exception_handler, DomainError: domain_error_handler}
