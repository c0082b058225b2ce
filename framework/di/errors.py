"""The error raised when the application is wired wrongly, found while it starts."""

from __future__ import annotations

__all__ = ["ConfigurationError"]


class ConfigurationError(TypeError):
    """A misconfiguration found at start-up; the message names what, where and the fix.

    A `TypeError` like `framework.binding.BindingError`, so one `except TypeError` catches every start-up error.
    """
