"""Providers whose instances live as long as one request scope.

`RequestScoped` is a dependency-injector `Factory` whose `_provide` looks the current scope up: the first
call in a scope creates the instance synchronously (keeping the provider graph synchronous keeps resolution
in the microseconds) and caches it in the scope; later calls in that scope return it. Overrides keep
working because dependency-injector applies them in `Provider.__call__`, before `_provide` is reached.

Once a provider has shown that its graph is synchronous, it also gets a generated resolver (`_fast`): one
function doing the scope-cache lookup, the creation and the teardown registration, which generated creation
functions of other providers call instead of going through dependency-injector. Overriding the provider (or
changing what it creates) drops the resolver until the next creation rebuilds it.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from types import FunctionType
from typing import Any, TypeVar

from dependency_injector import providers

from framework.di.creators import call_source, compile_function, creator
from framework.di.scope import RequestScope, _current, current_scope
from framework.requests import Request
from framework.websockets import WebSocket

__all__ = ["CurrentRequest", "CurrentScope", "CurrentWebSocket", "RequestScoped"]

T = TypeVar("T")

Closer = Callable[[Any, BaseException | None], Awaitable[None] | None]


def _scope_for(provider: object) -> RequestScope:
    try:
        return current_scope()
    except RuntimeError as error:
        raise RuntimeError(
            f"{provider!r} is request-scoped but was resolved outside a request scope. {error}"
        ) from None


class RequestScoped(providers.Factory[T]):
    """Provides one instance per request scope and closes it when the scope ends.

    Takes what `providers.Factory` takes. When the scope closes, the instance's `__aexit__` (or `__exit__`)
    is called with the exception that ended the scope, or `closer(instance, exc)` when given (it may be
    async). The instance is provided as constructed: `__aenter__`/`__enter__` are not called, because
    resolution is synchronous. Subclasses change what happens to a new instance by overriding `on_created`.
    """

    def __init__(
        self, provides: Callable[..., T] | str | None = None, *args: Any, closer: Closer | None = None, **kwargs: Any
    ) -> None:
        self._closer = closer
        # The generated creation function, built after the first creation showed the graph is synchronous.
        self._create: object = _UNBUILT
        # The generated resolver (equivalent to calling the provider), built at the same time.
        self._fast: Callable[[], Any] | None = None
        super().__init__(provides, *args, **kwargs)

    def __deepcopy__(self, memo: dict[Any, Any] | None) -> RequestScoped[T]:
        # Containers deep-copy their providers per instance; Factory copies provides/args/kwargs, we add ours.
        memo = {} if memo is None else memo
        copied = memo.get(id(self))
        if copied is None:
            copied = super().__deepcopy__(memo)
            assert isinstance(copied, RequestScoped)
            copied._closer = self._closer
        return copied

    def _provide(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        scope = _current.get(None)
        if scope is None:
            scope = _scope_for(self)  # raises the explanatory error
        cache = scope.cache
        instance = cache.get(self, _MISSING)
        if instance is not _MISSING:
            return instance
        create = self._create
        if create.__class__ is FunctionType and not args and not kwargs:
            instance = create()
        else:
            instance = _factory_provide(self, args, kwargs)
            if create is _UNBUILT and self.is_async_mode_disabled():
                # Asynchronous dependencies would need dependency-injector's future handling: never generated.
                self._create = creator(self)
                self._fast = _resolver(self)
        cache[self] = instance
        self.on_created(instance, scope)
        return instance

    # Anything that changes what the factory creates (or how) drops the generated creation function.
    def _changed(self) -> None:
        self._create = _UNBUILT
        self._fast = None

    def set_provides(self, provides: Any) -> RequestScoped[T]:
        self._changed()
        return super().set_provides(provides)

    def set_args(self, *args: Any) -> RequestScoped[T]:
        self._changed()
        return super().set_args(*args)

    def add_args(self, *args: Any) -> RequestScoped[T]:
        self._changed()
        return super().add_args(*args)

    def clear_args(self) -> RequestScoped[T]:
        self._changed()
        return super().clear_args()

    def set_kwargs(self, **kwargs: Any) -> RequestScoped[T]:
        self._changed()
        return super().set_kwargs(**kwargs)

    def add_kwargs(self, **kwargs: Any) -> RequestScoped[T]:
        self._changed()
        return super().add_kwargs(**kwargs)

    def clear_kwargs(self) -> RequestScoped[T]:
        self._changed()
        return super().clear_kwargs()

    def set_attributes(self, **kwargs: Any) -> RequestScoped[T]:
        self._changed()
        return super().set_attributes(**kwargs)

    def add_attributes(self, **kwargs: Any) -> RequestScoped[T]:
        self._changed()
        return super().add_attributes(**kwargs)

    def clear_attributes(self) -> RequestScoped[T]:
        self._changed()
        return super().clear_attributes()

    # An override drops the generated resolver as well: while one exists, the provider is not overridden (the
    # resolver needs no check), and dependency-injector only reaches `_provide` (which rebuilds it) when the
    # provider is not overridden.
    def override(self, provider: Any) -> Any:
        self._changed()
        return super().override(provider)

    def reset_last_overriding(self) -> None:
        self._changed()
        super().reset_last_overriding()

    def reset_override(self) -> None:
        self._changed()
        super().reset_override()

    def enable_async_mode(self) -> None:
        self._changed()
        super().enable_async_mode()

    def reset_async_mode(self) -> None:
        self._changed()
        super().reset_async_mode()

    def _inline_call(self, name: str, namespace: dict[str, Any], scope_name: str | None) -> str:
        """Source text equivalent to calling this provider (stored as `name`), for generated creation functions.

        It calls the generated resolver once there is one (a synchronous graph, unchanged since), otherwise the
        provider itself, which builds it.
        """
        if type(self)._provide is not RequestScoped._provide:
            return f"{name}()"  # a subclass that changes how instances are provided keeps its own path
        return f"({name}._fast or {name})()"

    def _exit_source(self, namespace: dict[str, Any], indent: str) -> str:
        """Source text registering the teardown of a new `instance` on `scope`, decided once where possible."""
        if type(self).on_created is not RequestScoped.on_created or self._closer is not None:
            return f"{indent}_p.on_created(instance, scope)\n"
        provides = self.provides
        if isinstance(provides, type):
            # The class decides how its instances close; an instance of another class takes the general path.
            kind = _exit_kinds.get(provides)
            if kind is None:
                kind = _exit_kinds[provides] = _exit_kind(provides)
            source = f"{indent}if instance.__class__ is not _provides:\n{indent}    _p.on_created(instance, scope)\n"
            if kind is not _NO_EXIT:
                namespace["_exit"] = kind
                source += f"{indent}else:\n{indent}    scope.on_exit(_exit(instance))\n"
            return source
        namespace["_exit_kinds_get"] = _exit_kinds.get
        namespace["_NO_EXIT"] = _NO_EXIT
        return (
            f"{indent}exit_kind = _exit_kinds_get(instance.__class__)\n"
            f"{indent}if exit_kind is None:\n{indent}    _p.on_created(instance, scope)\n"
            f"{indent}elif exit_kind is not _NO_EXIT:\n{indent}    scope.on_exit(exit_kind(instance))\n"
        )

    def on_created(self, instance: Any, scope: RequestScope) -> None:
        """Register the teardown of a new instance on its scope (the extension point for units of work)."""
        closer = self._closer
        if closer is not None:
            scope.on_exit(_call_closer(closer, instance))
            return
        exit_kind = _exit_kinds.get(type(instance))
        if exit_kind is None:
            exit_kind = _exit_kinds[type(instance)] = _exit_kind(type(instance))
        if exit_kind is not _NO_EXIT:
            scope.on_exit(exit_kind(instance))


_MISSING = object()
_UNBUILT = object()
# Factory's own providing strategy, looked up once (a cpdef method called unbound skips super() per call).
_factory_provide: Callable[[Any, tuple[Any, ...], dict[str, Any]], Any] = providers.Factory._provide  # type: ignore[attr-defined]


def _resolver(provider: RequestScoped[Any]) -> Callable[[], Any] | None:
    """`provider()` as one generated function: scope cache, creation, teardown registration."""
    if type(provider)._provide is not RequestScoped._provide:
        return None
    namespace: dict[str, Any] = {"_p": provider, "_current_get": _current.get, "_MISSING": _MISSING}
    call = call_source(provider, namespace, scope_name="scope")
    if call is None:
        return None
    # No override check: an override drops the resolver (see `RequestScoped.override`).
    source = (
        "def _resolve():\n"
        "    scope = _current_get(None)\n"
        "    if scope is not None:\n"
        "        cache = scope.cache\n"
        "        instance = cache.get(_p, _MISSING)\n"
        "        if instance is _MISSING:\n"
        f"            instance = cache[_p] = {call}\n"
        f"{provider._exit_source(namespace, ' ' * 12)}"
        "        return instance\n"
        "    return _p()\n"
    )
    return compile_function(source, "_resolve", namespace, f"resolver for {provider.provides!r}")


def _exit_kind(cls: type) -> Callable[[Any], Callable[[BaseException | None], Awaitable[None]]]:
    if hasattr(cls, "__aexit__"):
        return _async_exit
    if hasattr(cls, "__exit__"):
        return _sync_exit
    return _NO_EXIT


def _no_exit(instance: Any) -> Callable[[BaseException | None], Awaitable[None]]:
    raise AssertionError("never called")  # pragma: no cover


_NO_EXIT = _no_exit
# How instances of a class are closed, decided once per class.
_exit_kinds: dict[type, Callable[[Any], Callable[[BaseException | None], Awaitable[None]]]] = {}


def _call_closer(closer: Closer, instance: Any) -> Callable[[BaseException | None], Awaitable[None]]:
    async def close(exc: BaseException | None) -> None:
        result = closer(instance, exc)
        if inspect.isawaitable(result):
            await result

    return close


def _async_exit(instance: Any) -> Callable[[BaseException | None], Awaitable[None]]:
    async def close(exc: BaseException | None) -> None:
        await instance.__aexit__(type(exc) if exc is not None else None, exc, exc.__traceback__ if exc else None)

    return close


def _sync_exit(instance: Any) -> Callable[[BaseException | None], Awaitable[None]]:
    async def close(exc: BaseException | None) -> None:
        instance.__exit__(type(exc) if exc is not None else None, exc, exc.__traceback__ if exc else None)

    return close


class CurrentScope(providers.Provider[RequestScope]):
    """Provides the current `RequestScope`, for services that register their own hooks."""

    def _provide(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> RequestScope:
        return _scope_for(self)


class CurrentRequest(providers.Provider[Request]):
    """Provides the `Request` of the current HTTP request scope."""

    def _inline_call(self, name: str, namespace: dict[str, Any], scope_name: str | None) -> str:
        """Source text equivalent to calling this provider (stored as `name`), for generated creation functions.

        The endpoint stored the `Request` on the scope: read there, unless the provider is overridden.
        """
        if type(self)._provide is not CurrentRequest._provide:
            return f"{name}()"
        namespace["_Request"] = Request
        namespace["_request_built_in"] = _request_built_in
        if scope_name is None:
            namespace["_current_get"] = _current.get
            scope = "_current_get(None)"
            connection = f"getattr({scope}, 'connection', None)"
        else:
            scope, connection = scope_name, f"{scope_name}.connection"
        # Endpoints that bind nothing leave the Request to be built on demand: built here, in the common case.
        found = f"((_c := {connection}).__class__ is _Request or (_c := _request_built_in({scope})) is not None)"
        return f"(_c if {name}.last_overriding is None and {found} else {name}())"

    def _provide(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Request:
        scope = _current.get(None)
        if scope is not None:
            connection = scope.connection
            if connection.__class__ is Request:  # the common case, decided without the general lookup
                return connection
        request: Request = _connection(self, Request, "http", "an HTTP request")
        return request


class CurrentWebSocket(providers.Provider[WebSocket]):
    """Provides the `WebSocket` of the current WebSocket connection scope."""

    def _provide(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> WebSocket:
        websocket: WebSocket = _connection(self, WebSocket, "websocket", "a WebSocket connection")
        return websocket


def _request_built_in(scope: RequestScope | None) -> Request | None:
    """A new `Request` for an HTTP request scope that has none yet, recorded on it; None for any other scope."""
    if scope is None or scope.connection is not None:
        return None
    asgi_scope = scope.asgi_scope
    if asgi_scope is None or asgi_scope["type"] != "http" or scope.receive is None or scope.send is None:
        return None
    request = scope.connection = Request(asgi_scope, scope.receive, scope.send)
    return request


def _connection(provider: object, cls: type[Request] | type[WebSocket], kind: str, described: str) -> Any:
    """The scope's connection object, built from its ASGI scope when no endpoint has built it yet."""
    scope = _scope_for(provider)
    connection = scope.connection
    if isinstance(connection, cls):
        return connection
    asgi_scope = scope.asgi_scope
    if asgi_scope is None or asgi_scope["type"] != kind or scope.receive is None or scope.send is None:
        raise RuntimeError(f"{provider!r} was resolved in a scope that is not {described} ({scope!r}).")
    scope.connection = cls(asgi_scope, scope.receive, scope.send)
    return scope.connection
