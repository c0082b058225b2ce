"""Errors of the binding layer: start-up misconfiguration, and client input that does not validate."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypedDict

from pydantic import ValidationError

from framework.problems import DomainError

__all__ = ["BindingError", "ErrorItem", "RequestValidationError", "UnsupportedMediaType", "validation_items"]

# How many errors the human-readable `detail` summarises; the full list is in `errors`.
_DETAIL_ITEMS = 3


class BindingError(TypeError):
    """A handler signature the binder cannot compile; the message names the handler, the parameter and the fix."""


class ErrorItem(TypedDict):
    """One validation failure: where (`loc`, e.g. ["query", "limit"]), what (`msg`) and a stable `type`."""

    loc: list[str | int]
    msg: str
    type: str


def validation_items(exc: ValidationError, prefix: Sequence[str | int]) -> list[ErrorItem]:
    """Pydantic's errors as `{loc, msg, type}` items, `loc` starting with the request part they came from."""
    items: list[ErrorItem] = []
    for error in exc.errors(include_url=False, include_context=False, include_input=False):
        items.append({"loc": [*prefix, *error["loc"]], "msg": error["msg"], "type": error["type"]})
    return items


def _summary(errors: Sequence[ErrorItem]) -> str:
    parts = [f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}" for item in errors[:_DETAIL_ITEMS]]
    more = len(errors) - _DETAIL_ITEMS
    if more > 0:
        parts.append(f"and {more} more")
    return "; ".join(parts)


class RequestValidationError(DomainError):
    """The request does not match what the handler declared; rendered as a problem with an `errors` list.

    Status 422 for values that fail validation, 400 for a body that is not JSON at all.
    """

    status = 422

    def __init__(self, errors: Sequence[ErrorItem], *, status: int = 422, detail: str | None = None) -> None:
        items = list(errors)
        super().__init__(detail or _summary(items), errors=items)
        self.status = status
        self.errors: list[ErrorItem] = items

    def __repr__(self) -> str:
        return f"RequestValidationError(status={self.status}, errors={self.errors!r})"


class UnsupportedMediaType(DomainError):
    """The body's Content-Type is not one the handler reads (415)."""

    status = 415

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail, **extensions)
