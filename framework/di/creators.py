"""Straight-line creation functions for `Factory` providers, generated once instead of interpreted per call.

dependency-injector's `Factory` walks its injection list on every call (about 1 µs for two dependencies);
for the usual shape - a callable with positional and keyword injections that are providers or constants -
`cls(a=p1(), b=p2())` written out once does the same work in a fraction of that. The dependencies are
still called as provider objects, so an override of any of them applies on the next call; an override of
the factory itself is the caller's to check (see `instantiator`).
"""

from __future__ import annotations

import keyword
from collections.abc import Callable
from typing import Any

from dependency_injector import providers

__all__ = ["creator", "instantiator"]


def _injected(value: Any, name: str, namespace: dict[str, Any]) -> str:
    """The source text injecting `value`: a call for a provider, the object itself for a constant/delegate.

    Our own providers (request-scoped ones, the current request) offer a `fast_resolver()` equivalent to
    calling them: it is called instead.
    """
    namespace[name] = value
    if providers.is_provider(value) and not providers.is_delegated(value):
        fast_resolver = getattr(value, "fast_resolver", None)
        if fast_resolver is not None:
            namespace[name] = fast_resolver()
        return f"{name}()"
    return name


def creator(factory: providers.Factory[Any], *, overridable: bool = False) -> Callable[[], Any] | None:
    """`factory()`'s creation step as one generated function, or None when its shape needs dependency-injector.

    Attribute injections and keyword names that are not identifiers keep the generic path. `overridable=True`
    makes the function call the factory itself while it is overridden (for callers that bypass `factory()`).
    """
    if factory.attributes:
        return None
    kwargs: dict[str, Any] = factory.kwargs
    if not all(name.isidentifier() and not keyword.iskeyword(name) for name in kwargs):
        return None
    namespace: dict[str, Any] = {"_provides": factory.provides, "_factory": factory}
    parts = [_injected(value, f"_a{index}", namespace) for index, value in enumerate(factory.args)]
    parts += [
        f"{name}={_injected(value, f'_k{index}', namespace)}" for index, (name, value) in enumerate(kwargs.items())
    ]
    check = "    if _factory.last_overriding is not None:\n        return _factory()\n" if overridable else ""
    source = f"def _create():\n{check}    return _provides({', '.join(parts)})\n"
    # Only our own text is compiled: generated names and identifiers checked above.
    exec(compile(source, f"<creator for {factory.provides!r}>", "exec"), namespace)
    created: Callable[[], Any] = namespace["_create"]
    return created


def instantiator(provider: Any) -> Callable[[], Any]:
    """A zero-argument callable equivalent to `provider()` for a plain `Factory`, faster when it can be.

    Overrides keep working: while the factory is overridden, the factory itself is called (dependency-injector
    then returns the overriding provider's object); its dependencies are provider objects called per request.
    Anything but a plain `Factory` (a subclass, a Singleton, a custom provider) is returned as is.
    """
    if type(provider) is not providers.Factory:
        return provider  # type: ignore[no-any-return]
    create = creator(provider, overridable=True)
    return provider if create is None else create
