"""What a GraphQL client is told when something fails: a message and a stable code, never a traceback.

Two kinds of failure: a request refused before execution (too large, too deep, malformed: an HTTP 4xx with a
GraphQL `errors` body), and errors inside a result (a resolver raised). Resolver errors keep their message when
the code meant it for the client (`GraphQLError`, `framework.problems.DomainError`, `HTTPException`); any other
exception becomes "Internal server error." unless the app runs in debug mode. The original is logged by
Strawberry either way.
"""

from __future__ import annotations

import http
import re
from collections.abc import Mapping
from typing import Any

from cross_web import HTTPException as _BaseViewHTTPException
from graphql import GraphQLError, GraphQLSyntaxError

from framework.exceptions import HTTPException
from framework.problems import DomainError

__all__ = ["GraphQLRequestError", "error_code_for_status", "present_error"]

_CODES_BY_STATUS = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "QUERY_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "BAD_USER_INPUT",
    429: "TOO_MANY_REQUESTS",
    503: "SERVICE_UNAVAILABLE",
}
# graphql-core's validation hints at names that exist ("Did you mean 'secretField'?"): schema disclosure.
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?\s*$")
INTERNAL_ERROR_MESSAGE = "Internal server error."


class GraphQLRequestError(_BaseViewHTTPException):
    """A request refused before execution: answered with `status_code` and `{"errors": [{message, code}]}`."""

    def __init__(self, status_code: int, message: str, *, code: str, headers: Mapping[str, str] | None = None):
        super().__init__(status_code, message)
        self.code = code
        self.headers = dict(headers or {})


def error_code_for_status(status: int) -> str:
    """The `extensions.code` used for an HTTP status ("NOT_FOUND" for 404, "INTERNAL_SERVER_ERROR" for 5xx)."""
    if status >= 500:
        return "INTERNAL_SERVER_ERROR"
    return _CODES_BY_STATUS.get(status, "BAD_REQUEST")


def present_error(error: GraphQLError, *, debug: bool) -> GraphQLError:
    """The error as the client may see it: a safe message and `extensions.code`, location and path kept."""
    original = error.original_error
    extensions: dict[str, Any] = dict(error.extensions or {})
    if original is None:
        message = error.message
        if not debug:
            message = _SUGGESTION.sub("", message)
        default_code = "BAD_REQUEST" if error.path is not None else _pre_execution_code(error)
        extensions.setdefault("code", default_code)
        if message == error.message and extensions == error.extensions:
            return error
        return _copy(error, message, extensions)
    message, code = _describe(original, debug=debug)
    extensions.setdefault("code", code)
    return _copy(error, message, extensions)


def _pre_execution_code(error: GraphQLError) -> str:
    return "GRAPHQL_PARSE_FAILED" if isinstance(error, GraphQLSyntaxError) else "GRAPHQL_VALIDATION_FAILED"


def _describe(original: BaseException, *, debug: bool) -> tuple[str, str]:
    if isinstance(original, GraphQLError):  # raised on purpose by a resolver: its message is for the client
        return original.message, "BAD_REQUEST"
    if isinstance(original, DomainError):
        status = original.status
        message = original.detail or original.title or _phrase(status)
        return message, original.code or error_code_for_status(status)
    if isinstance(original, HTTPException):
        return original.detail, error_code_for_status(original.status_code)
    if debug:
        return f"{type(original).__name__}: {original}", "INTERNAL_SERVER_ERROR"
    return INTERNAL_ERROR_MESSAGE, "INTERNAL_SERVER_ERROR"


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _copy(error: GraphQLError, message: str, extensions: dict[str, Any]) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions=extensions,
    )
