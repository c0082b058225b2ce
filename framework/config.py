"""Twelve-factor configuration: read settings from the environment, then an optional `.env` file."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from pathlib import Path
from typing import Any, TypeVar, overload

__all__ = ["Config", "Environ", "EnvironError", "environ", "undefined"]


class undefined:
    """Sentinel for "no default given" (None is a legitimate default)."""


class EnvironError(Exception):
    """Raised when code changes an environment variable that configuration has already read."""


class Environ(MutableMapping[str, str]):
    """`os.environ` that remembers which keys were read, and refuses to change those afterwards.

    Changing a variable after the app read it would leave the app silently running on the old
    value; failing loudly makes such test set-up mistakes visible.
    """

    def __init__(self, environ: MutableMapping[str, str] = os.environ) -> None:
        self._environ = environ
        self._has_been_read: set[str] = set()

    def __getitem__(self, key: str) -> str:
        self._has_been_read.add(key)
        return self._environ.__getitem__(key)

    def __setitem__(self, key: str, value: str) -> None:
        if key in self._has_been_read:
            raise EnvironError(f"Attempting to set environ['{key}'], but the value has already been read.")
        self._environ.__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        if key in self._has_been_read:
            raise EnvironError(f"Attempting to delete environ['{key}'], but the value has already been read.")
        self._environ.__delitem__(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._environ)

    def __len__(self) -> int:
        return len(self._environ)


environ = Environ()

T = TypeVar("T")

_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


class Config:
    """Look settings up by name: the environment wins over the env file, which wins over the default.

    `env_prefix` is prepended to every key, so `Config(env_prefix="APP_")("DEBUG")` reads `APP_DEBUG`.
    """

    def __init__(
        self,
        env_file: str | os.PathLike[str] | None = None,
        environ: Mapping[str, str] = environ,
        env_prefix: str = "",
        encoding: str = "utf-8",
    ) -> None:
        self.environ = environ
        self.env_prefix = env_prefix
        self.file_values: dict[str, str] = {}
        if env_file is not None:
            # Read once at start-up; configuration is never looked at from the event loop.
            if not os.path.isfile(env_file):
                warnings.warn(f"Config file '{env_file}' not found.", UserWarning, stacklevel=2)
            else:
                self.file_values = self._read_file(env_file, encoding)

    @overload
    def __call__(self, key: str, *, default: None) -> str | None: ...

    @overload
    def __call__(self, key: str, cast: type[T], default: T = ...) -> T: ...

    @overload
    def __call__(self, key: str, cast: type[str] = ..., default: str = ...) -> str: ...

    @overload
    def __call__(self, key: str, cast: Callable[[Any], T] = ..., default: Any = ...) -> T: ...

    @overload
    def __call__(self, key: str, cast: type[str] = ..., default: T = ...) -> T | str: ...

    def __call__(self, key: str, cast: Callable[[Any], Any] | None = None, default: Any = undefined) -> Any:
        return self.get(key, cast, default)

    def get(self, key: str, cast: Callable[[Any], Any] | None = None, default: Any = undefined) -> Any:
        key = self.env_prefix + key
        if key in self.environ:
            return self._perform_cast(key, self.environ[key], cast)
        if key in self.file_values:
            return self._perform_cast(key, self.file_values[key], cast)
        if default is not undefined:
            return self._perform_cast(key, default, cast)
        raise KeyError(f"Config '{key}' is missing, and has no default.")

    def _read_file(self, file_name: str | os.PathLike[str], encoding: str) -> dict[str, str]:
        """Parse `KEY=value` lines; blank lines and `#` comments are skipped, matching quotes dropped."""
        file_values: dict[str, str] = {}
        for raw_line in Path(file_name).read_text(encoding=encoding).splitlines():
            line = raw_line.strip()
            if "=" in line and not line.startswith("#"):
                key, value = line.split("=", 1)
                value = value.strip()
                # Only a matching pair of quotes around the whole value is removed; inner quotes stay.
                if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                    value = value[1:-1]
                file_values[key.strip()] = value
        return file_values

    def _perform_cast(self, key: str, value: Any, cast: Callable[[Any], Any] | None = None) -> Any:
        if cast is None or value is None:
            return value
        if cast is bool and isinstance(value, str):
            lowered = value.lower()
            if lowered not in _BOOLEANS:
                raise ValueError(f"Config '{key}' has value '{lowered}'. Not a valid bool.")
            return _BOOLEANS[lowered]
        try:
            return cast(value)
        except (TypeError, ValueError):
            name = getattr(cast, "__name__", repr(cast))
            raise ValueError(f"Config '{key}' has value '{value}'. Not a valid {name}.") from None
