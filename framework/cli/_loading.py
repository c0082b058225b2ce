"""Finding the app a command works on from "module:attribute" or "module:factory()"."""

from __future__ import annotations

import importlib
import inspect
import os
import sys
from typing import Any

from framework.binding.errors import BindingError
from framework.di.errors import ConfigurationError

__all__ = ["AppLoadError", "load_app", "split_app_spec"]

# Misconfigurations `create_app` reports while the module builds its app: shown as one line, not a traceback.
_STARTUP_ERRORS = (ConfigurationError, BindingError)


class AppLoadError(Exception):
    """The APP argument does not lead to an application; the message says what to fix."""


def split_app_spec(spec: str, factory: bool = False) -> tuple[str, str, bool]:
    """("module", "attribute", is_factory) from "module:attribute", "module:factory()" or with --factory."""
    module, sep, attribute = spec.partition(":")
    if not sep or not module or not attribute:
        raise AppLoadError(f"APP must look like 'package.module:app' or 'package.module:build_app()', got {spec!r}.")
    if attribute.endswith("()"):
        attribute, factory = attribute[:-2], True
    if not attribute.replace(".", "_").isidentifier():
        raise AppLoadError(f"{attribute!r} in {spec!r} is not an attribute name.")
    return module, attribute, factory


def load_app(spec: str, *, factory: bool = False, call_factories: bool = False) -> Any:
    """Import the module (the current directory is importable, as for uvicorn) and return the app.

    `call_factories=True` (the `db` commands) calls a function that takes no arguments as an app factory
    even without '()': those commands never serve the app, so there is no ASGI callable to confuse it with.
    """
    module_name, attribute, factory = split_app_spec(spec, factory)
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise AppLoadError(f"Cannot import module {module_name!r} (run from the project directory?).") from exc
        raise
    except _STARTUP_ERRORS as exc:
        raise AppLoadError(f"{spec!r} failed to start: {exc}") from exc
    target: Any = module
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise AppLoadError(f"Module {module_name!r} has no attribute {attribute!r}.") from None
    if call_factories and not factory and _is_factory_function(target):
        factory = True
    if factory:
        if not callable(target):
            raise AppLoadError(f"{spec!r} names a factory, but {attribute!r} is not callable.")
        try:
            inspect.signature(target).bind()
        except TypeError as exc:
            raise AppLoadError(
                f"{spec!r} names a factory, but {attribute!r} cannot be called without arguments ({exc}). "
                "If it is the app itself, drop the '()' or --factory."
            ) from None
        except ValueError:  # no signature to inspect (a builtin): just call it
            pass
        try:
            target = target()
        except _STARTUP_ERRORS as exc:
            raise AppLoadError(f"{spec!r} failed to start: {exc}") from exc
    elif _is_factory_function(target):
        raise AppLoadError(
            f"{spec!r} is a function without arguments, not an ASGI application. If it builds the app, write "
            f"'{module_name}:{attribute}()' or pass --factory."
        )
    if not callable(target):
        raise AppLoadError(f"{spec!r} is not an ASGI application (got {type(target).__name__}).")
    return target


def _is_factory_function(target: Any) -> bool:
    """A plain function that cannot take (scope, receive, send): an app factory named without its '()'."""
    if not inspect.isfunction(target):
        return False
    signature = inspect.signature(target)
    try:
        signature.bind(None, None, None)
    except TypeError:
        return True
    return False
