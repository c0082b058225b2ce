"""Exceptions that endpoints raise to produce an HTTP error response or close a WebSocket."""

from __future__ import annotations

import http.client
from collections.abc import Mapping

__all__ = ["ApplicationDeprecationWarning", "HTTPException", "StarletteDeprecationWarning", "WebSocketException"]


class HTTPException(Exception):
    """Raise to answer with `status_code`; exception handlers turn it into a response.

    `detail` defaults to the standard reason phrase so a bare `HTTPException(404)` still says something
    (empty for non-standard codes).
    """

    def __init__(self, status_code: int, detail: str | None = None, headers: Mapping[str, str] | None = None) -> None:
        if detail is None:
            # Codes outside the standard set (499, 599...) get an empty detail rather than an error.
            detail = http.client.responses.get(status_code, "")
        self.status_code = status_code
        self.detail = detail
        self.headers = headers

    def __str__(self) -> str:
        return f"{self.status_code}: {self.detail}"

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(status_code={self.status_code!r}, detail={self.detail!r})"


class WebSocketException(Exception):
    """Raise inside a WebSocket endpoint to close the connection with `code` and `reason`."""

    def __init__(self, code: int, reason: str | None = None) -> None:
        self.code = code
        self.reason = reason or ""

    def __str__(self) -> str:
        return f"{self.code}: {self.reason}"

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(code={self.code!r}, reason={self.reason!r})"


class StarletteDeprecationWarning(DeprecationWarning, UserWarning):
    """Category of the toolkit's own deprecation warnings (kept under Starlette's name for compatibility).

    Starlette makes it a UserWarning so it shows by default; it also derives from DeprecationWarning here so
    code written against either category (``pytest.warns(DeprecationWarning)`` included) still catches it.
    """


# The same category under the toolkit's name, for code that renamed ``Starlette`` to ``Application`` throughout.
ApplicationDeprecationWarning = StarletteDeprecationWarning
