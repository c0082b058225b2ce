"""Straight-line creation functions for `Factory` providers, generated once instead of interpreted per call.

dependency-injector's `Factory` walks its injection list on every call (about 1 µs for two dependencies);
for the usual shape - a callable with positional and keyword injections that are providers or constants -
`cls(a=p1(), b=p2())` written out once does the same work in a fraction of that. The dependencies are
still called as provider objects, so an override of any of them applies on the next call; an override of
the factory itself is the caller's to check (see `instantiator`).
"""

from __future__ import annotations

import itertools
import keyword
import linecache
from collections.abc import Callable
from types import FunctionType
from typing import Any

from dependency_injector import providers

__all__ = ["call_source", "compile_function", "creator", "instance_source", "instantiator"]


def _injected(value: Any, name: str, namespace: dict[str, Any], scope_name: str | None) -> str:
    """The source text injecting `value`: a call for a provider, the object itself for a constant/delegate.

    Our own providers (request-scoped ones, the current request) write their own equivalent of the call
    (`_inline_call`): cheaper, and able to use the request scope the generated code already holds.
    """
    namespace[name] = value
    if providers.is_provider(value) and not providers.is_delegated(value):
        inline_call = getattr(value, "_inline_call", None)
        if inline_call is not None:
            text: str = inline_call(name, namespace, scope_name)
            return text
        return f"{name}()"
    return name


def call_source(
    factory: providers.Factory[Any], namespace: dict[str, Any], scope_name: str | None = None
) -> str | None:
    """The text of `factory`'s creation call (`_provides(...)`), its names added to `namespace`; None when its
    shape needs dependency-injector (attribute injections, keyword names that are not identifiers).

    `scope_name` names a variable holding the current `RequestScope` where the text will run, if there is one.
    """
    if factory.attributes:
        return None
    kwargs: dict[str, Any] = factory.kwargs
    if not all(name.isidentifier() and not keyword.iskeyword(name) for name in kwargs):
        return None
    namespace["_provides"] = factory.provides
    parts = [_injected(value, f"_a{index}", namespace, scope_name) for index, value in enumerate(factory.args)]
    # Keyword injections that name the next parameters, in order, are passed positionally: the call binds the
    # same way, without building a keyword dictionary (which costs as much as a small constructor).
    positional = _positional_parameters(factory.provides)
    names = list(kwargs)
    by_position = positional is not None and _fill_in_order(positional, len(parts), names)
    parts += [
        f"{'' if by_position else name + '='}{_injected(value, f'_k{index}', namespace, scope_name)}"
        for index, (name, value) in enumerate(kwargs.items())
    ]
    return f"_provides({', '.join(parts)})"


def _positional_parameters(provides: Any) -> tuple[tuple[str, ...], int] | None:
    """The names of the parameters `provides` binds positional arguments to, and how many of them are
    positional-only; None unless read for certain from a plain Python function or class."""
    skip = 0
    function = provides
    if isinstance(provides, type):
        # A class called the ordinary way: `object.__new__`, then its own Python `__init__`.
        cls: Any = provides
        if type(cls).__call__ is not type.__call__ or cls.__new__ is not object.__new__:
            return None
        function, skip = cls.__init__, 1
    if not isinstance(function, FunctionType):
        return None
    code = function.__code__
    return code.co_varnames[skip : code.co_argcount], max(code.co_posonlyargcount - skip, 0)


def _fill_in_order(positional: tuple[tuple[str, ...], int], first: int, names: list[str]) -> bool:
    """Whether keyword arguments `names`, after `first` positional ones, are exactly the next parameters."""
    parameters, positional_only = positional
    if first < positional_only or first + len(names) > len(parameters):
        return False
    return list(parameters[first : first + len(names)]) == names


# Numbers the generated sources, so that each keeps its own lines in `linecache`.
_generated = itertools.count(1)


def compile_function(source: str, name: str, namespace: dict[str, Any], label: str) -> Callable[..., Any]:
    """Compile generated `source` and return the function it defines as `name`."""
    filename = f"<{label} #{next(_generated)}>"
    # Tracebacks through generated code then show its lines.
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    # Only our own text is compiled: generated names and identifiers checked by `call_source`.
    exec(compile(source, filename, "exec"), namespace)
    function: Callable[..., Any] = namespace[name]
    return function


def creator(factory: providers.Factory[Any], *, overridable: bool = False) -> Callable[[], Any] | None:
    """`factory()`'s creation step as one generated function, or None when its shape needs dependency-injector.

    Attribute injections and keyword names that are not identifiers keep the generic path. `overridable=True`
    makes the function call the factory itself while it is overridden (for callers that bypass `factory()`).
    """
    namespace: dict[str, Any] = {"_factory": factory}
    call = call_source(factory, namespace)
    if call is None:
        return None
    check = "    if _factory.last_overriding is not None:\n        return _factory()\n" if overridable else ""
    source = f"def _create():\n{check}    return {call}\n"
    return compile_function(source, "_create", namespace, f"creator for {factory.provides!r}")


def instance_source(provider: Any, namespace: dict[str, Any]) -> str | None:
    """An expression equivalent to `provider()` for a plain `Factory`, for code generated around it (None when
    it has no generated form): the creation call, or the factory itself while it is overridden."""
    if type(provider) is not providers.Factory:
        return None
    namespace["_factory"] = provider
    call = call_source(provider, namespace)
    if call is None:
        return None
    return f"({call} if _factory.last_overriding is None else _factory())"


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
