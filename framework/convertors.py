"""Path parameter convertors: the `{name:type}` part of a route path.

A convertor contributes a regex fragment (what the parameter may look like in a URL), turns the
matched text into a Python value for `request.path_params`, and turns a value back into URL text
for `url_path_for`.
"""

from __future__ import annotations

import math
import uuid
from typing import Any, ClassVar, Generic, TypeVar

__all__ = [
    "CONVERTOR_TYPES",
    "Convertor",
    "FloatConvertor",
    "IntegerConvertor",
    "PathConvertor",
    "StringConvertor",
    "UUIDConvertor",
    "register_url_convertor",
]

T = TypeVar("T")


class _InvalidValue(ValueError, AssertionError):
    """A value that cannot appear in a URL.

    Also an AssertionError because Starlette reports these with `assert`; raising it explicitly keeps
    the check under `python -O`, and both `except` clauses keep working.
    """


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise _InvalidValue(message)


class Convertor(Generic[T]):
    """Base class: subclass it, set `regex`, implement `convert` and `to_string`, then register it."""

    regex: ClassVar[str] = ""

    def convert(self, value: str) -> T:
        raise NotImplementedError()  # pragma: no cover

    def to_string(self, value: T) -> str:
        raise NotImplementedError()  # pragma: no cover


class StringConvertor(Convertor[str]):
    """One non-empty path segment (the default when no type is given)."""

    regex = "[^/]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        value = str(value)
        _require("/" not in value, "May not contain path separators")
        _require(bool(value), "Must not be empty")
        return value


class PathConvertor(Convertor[str]):
    """The rest of the path, slashes included (possibly empty)."""

    regex = ".*"

    def convert(self, value: str) -> str:
        return str(value)

    def to_string(self, value: str) -> str:
        return str(value)


class IntegerConvertor(Convertor[int]):
    """A non-negative decimal integer."""

    regex = "[0-9]+"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        value = int(value)
        _require(value >= 0, "Negative integers are not supported")
        return str(value)


class FloatConvertor(Convertor[float]):
    """A non-negative decimal number, with an optional fractional part."""

    regex = r"[0-9]+(\.[0-9]+)?"

    def convert(self, value: str) -> float:
        return float(value)

    def to_string(self, value: float) -> str:
        value = float(value)
        _require(value >= 0.0, "Negative floats are not supported")
        _require(not math.isnan(value), "NaN values are not supported")
        _require(not math.isinf(value), "Infinite values are not supported")
        # Fixed-point so large or tiny values never come out in exponent notation, which the regex rejects.
        return f"{value:0.20f}".rstrip("0").rstrip(".")


class UUIDConvertor(Convertor[uuid.UUID]):
    """32 hexadecimal digits in 8-4-4-4-12 groups; the dashes between groups may be left out.

    Either case is accepted; URLs built with `url_path_for` always use the canonical dashed form.
    """

    regex = "[0-9a-fA-F]{8}(?:-?[0-9a-fA-F]{4}){3}-?[0-9a-fA-F]{12}"

    def convert(self, value: str) -> uuid.UUID:
        return uuid.UUID(value)

    def to_string(self, value: uuid.UUID) -> str:
        return str(value)


CONVERTOR_TYPES: dict[str, Convertor[Any]] = {
    "str": StringConvertor(),
    "path": PathConvertor(),
    "int": IntegerConvertor(),
    "float": FloatConvertor(),
    "uuid": UUIDConvertor(),
}


def register_url_convertor(key: str, convertor: Convertor[Any]) -> None:
    """Make `{name:key}` usable in route paths compiled from now on."""
    CONVERTOR_TYPES[key] = convertor
