"""`Middleware`: a middleware class and its arguments, instantiated when the application builds its stack.

Declaring middleware as data (instead of wrapping apps by hand) lets the application put its own
error and exception layers around the user's list and build the whole stack once, at first use.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ParamSpec, Protocol

from framework.types import ASGIApp

__all__ = ["Middleware"]

P = ParamSpec("P")


class _MiddlewareFactory(Protocol[P]):
    def __call__(self, app: ASGIApp, /, *args: P.args, **kwargs: P.kwargs) -> ASGIApp: ...  # pragma: no cover


class Middleware:
    """`Middleware(cls, *args, **kwargs)` becomes `cls(app, *args, **kwargs)` when the stack is built."""

    def __init__(self, cls: _MiddlewareFactory[P], *args: P.args, **kwargs: P.kwargs) -> None:
        self.cls = cls
        self.args = args
        self.kwargs = kwargs

    def __iter__(self) -> Iterator[Any]:
        # Unpacks as `cls, args, kwargs`, the shape the stack builders iterate over.
        return iter((self.cls, self.args, self.kwargs))

    def __repr__(self) -> str:
        parts = [getattr(self.cls, "__name__", "")]
        parts += [repr(value) for value in self.args]
        parts += [f"{key}={value!r}" for key, value in self.kwargs.items()]
        return f"{self.__class__.__name__}({', '.join(parts)})"
