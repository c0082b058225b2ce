"""Start-up questions about a container's provider graph: names, provided types, captive dependencies.

All of this runs once while the app is built, never per request.
"""

from __future__ import annotations

import collections.abc
import typing
from collections.abc import Iterator
from typing import Any

from dependency_injector import providers

from framework.di.errors import ConfigurationError
from framework.di.providers import CurrentRequest, CurrentScope, CurrentWebSocket, RequestScoped
from framework.di.scope import RequestScope
from framework.requests import Request
from framework.websockets import WebSocket

__all__ = [
    "SCOPED_PROVIDER_TYPES",
    "check_captive_dependencies",
    "container_label",
    "find_dependency",
    "named_providers",
    "provided_type",
    "providers_of_type",
]

# Providers whose instance belongs to one request scope.
SCOPED_PROVIDER_TYPES: tuple[type[Any], ...] = (RequestScoped, CurrentRequest, CurrentWebSocket, CurrentScope)
# Providers whose instance outlives requests: depending on a scoped provider makes them captive.
_LONG_LIVED: tuple[type[Any], ...] = (providers.BaseSingleton, providers.Resource)
_FIXED_TYPES: tuple[tuple[type[Any], type[Any]], ...] = (
    (CurrentRequest, Request),
    (CurrentWebSocket, WebSocket),
    (CurrentScope, RequestScope),
)
_ITERATOR_ORIGINS = (collections.abc.Iterator, collections.abc.Generator, collections.abc.Iterable)


def container_label(container: Any) -> str:
    """The name used for the container in messages ("Container")."""
    parent = getattr(container, "declarative_parent", None)  # a DeclarativeContainer instance is dynamic
    return (parent or type(container)).__name__


def named_providers(container: Any, prefix: str = "") -> Iterator[tuple[str, providers.Provider[Any]]]:
    """Every provider reachable by attribute from the container, with its dotted name ("db.session")."""
    for name, provider in container.providers.items():
        yield prefix + name, provider
        if isinstance(provider, providers.Container | providers.DependenciesContainer):
            yield from named_providers(provider, f"{prefix}{name}.")


def provided_type(provider: providers.Provider[Any]) -> type[Any] | None:
    """The class of what the provider provides, when it can be known without calling it."""
    for provider_type, result in _FIXED_TYPES:
        if isinstance(provider, provider_type):
            return result
    if isinstance(provider, providers.Dependency):
        instance_of = provider.instance_of
        return instance_of if isinstance(instance_of, type) and instance_of is not object else None
    if isinstance(provider, providers.Object):
        value = provider.provides
        return None if value is None else type(value)
    if isinstance(provider, providers.Resource):
        return _resource_type(provider.provides)
    if isinstance(provider, providers.Factory | providers.BaseSingleton | providers.Callable):
        return _callable_type(provider.provides)
    return None


def _callable_type(provides: Any) -> type[Any] | None:
    if isinstance(provides, type):
        return provides
    hint = _return_hint(provides)
    return hint if isinstance(hint, type) else None


def _resource_type(provides: Any) -> type[Any] | None:
    if isinstance(provides, type):
        return None  # a resource class: what it provides is its init() result
    hint = _return_hint(provides)
    if typing.get_origin(hint) in _ITERATOR_ORIGINS:
        hint = typing.get_args(hint)[0] if typing.get_args(hint) else None
    return hint if isinstance(hint, type) else None


def _return_hint(function: Any) -> Any:
    try:
        return typing.get_type_hints(function).get("return")
    except Exception:  # unresolvable annotations: the type is simply unknown
        return None


def providers_of_type(container: Any, annotation: Any) -> list[tuple[str, providers.Provider[Any]]]:
    """The container's providers of exactly `annotation`, else of a subclass of it (start-up matching)."""
    if not isinstance(annotation, type):
        return []
    exact: list[tuple[str, providers.Provider[Any]]] = []
    subclass: list[tuple[str, providers.Provider[Any]]] = []
    for name, provider in named_providers(container):
        provides = provided_type(provider)
        if provides is annotation:
            exact.append((name, provider))
        elif provides is not None and issubclass(provides, annotation):
            subclass.append((name, provider))
    return exact or subclass


def check_captive_dependencies(container: Any) -> None:
    """Fail when a Singleton or Resource depends on a request-scoped provider (it would keep one request's)."""
    names = {id(provider): name for name, provider in named_providers(container)}
    label = container_label(container)
    for name, provider in named_providers(container):
        if not isinstance(provider, _LONG_LIVED):
            continue
        found = find_dependency(provider, SCOPED_PROVIDER_TYPES)
        if found is None:
            continue
        scoped, path = found
        scoped_name = f"{label}.{names.get(id(scoped), repr(scoped))}"
        through = [f"{label}.{names[id(step)]}" for step in path if id(step) in names]
        via = f" (through {', '.join(through)})" if through else ""
        kind = type(provider).__name__
        raise ConfigurationError(
            f"{label}.{name}: this {kind} depends on the request-scoped {scoped_name}{via}; a {kind} is created "
            f"once, so it would keep the first request's instance for every later request. Fix: make '{name}' a "
            f"providers.Factory or RequestScoped, or inject `{names.get(id(scoped), 'the_provider')}.provider` "
            "and call it inside each request."
        )


def find_dependency(
    provider: providers.Provider[Any], kinds: tuple[type[Any], ...], seen: set[int] | None = None
) -> tuple[providers.Provider[Any], list[providers.Provider[Any]]] | None:
    """Depth-first search for a dependency of one of `kinds`; returns it and the providers on the way to it.

    Delegates (`x.provider`) are not followed: they inject the provider itself, to be called when needed.
    Singletons and resources are not entered either: `check_captive_dependencies` reports what they hold.
    """
    seen = set() if seen is None else seen
    for dependency in provider.related:
        if id(dependency) in seen or isinstance(dependency, providers.Delegate):
            continue
        seen.add(id(dependency))
        if isinstance(dependency, kinds):
            return dependency, []
        if isinstance(dependency, _LONG_LIVED):
            continue
        found = find_dependency(dependency, kinds, seen)
        if found is not None:
            return found[0], [dependency, *found[1]]
    return None
