"""`info.context` for resolvers: the connection, the response, the request scope and the container.

Resolvers get services the way controllers do, from the container inside the current request scope, so a
GraphQL mutation and a REST handler share one session and one transaction per request. Lookups by type are
resolved to a provider once per type and cached; resolving is then a plain provider call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar, overload

from dependency_injector import providers
from strawberry.dataloader import DataLoader

from framework.di.graph import container_label, providers_of_type
from framework.di.scope import RequestScope, current_scope
from framework.requests import Request
from framework.responses import Response
from framework.websockets import WebSocket

__all__ = ["GraphQLContext", "ProviderIndex", "scoped_loader"]

T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")

_LOADERS = "framework.graphql.loader"


class ProviderIndex:
    """Which provider of a container provides a type, decided on first use and remembered."""

    __slots__ = ("_by_type", "container")

    def __init__(self, container: Any) -> None:
        self.container = container
        self._by_type: dict[type, providers.Provider[Any]] = {}

    def provider_for(self, cls: type[T]) -> providers.Provider[T]:
        """The single provider of `cls` (or of one subclass); a clear error when there are none or several."""
        provider = self._by_type.get(cls)
        if provider is None:
            provider = self._by_type[cls] = self._find(cls)
        return provider

    def _find(self, cls: type) -> providers.Provider[Any]:
        label = container_label(self.container)
        found = providers_of_type(self.container, cls)
        if not found:
            raise LookupError(
                f"{label} has no provider of {cls.__name__}. Fix: add one (e.g. `providers.Factory({cls.__name__}, "
                "...)`), or resolve a provider explicitly with info.context.resolve(container.<name>)."
            )
        if len(found) > 1:
            names = " and ".join(f"{label}.{name}" for name, _ in found)
            raise LookupError(
                f"{names} all provide {cls.__name__}. Fix: resolve the one you mean with "
                f"info.context.resolve({label}.{found[0][0]})."
            )
        return found[0][1]


class GraphQLContext:
    """The context of one GraphQL request or WebSocket connection, passed to resolvers as `info.context`.

    `request` is the `Request` (or the `WebSocket` of a subscription connection), `response` the response
    whose headers, cookies, status and background tasks end up in the HTTP answer (None over WebSocket),
    `connection_params` the payload of a WebSocket `connection_init`. `scope` is the request scope of the
    running operation. Subclass it, or return another object from `context_getter`, to add your own fields.
    """

    def __init__(
        self,
        request: Request | WebSocket,
        response: Response | None,
        *,
        debug: bool = False,
        providers_index: ProviderIndex | None = None,
    ) -> None:
        self.request = request
        self.response = response
        self.debug = debug
        self.connection_params: dict[str, object] = {}
        self._index = providers_index

    def __repr__(self) -> str:
        return f"<GraphQLContext {self.request.scope['type']} {self.request.url.path}>"

    @property
    def scope(self) -> RequestScope:
        """The request scope of the running operation (per HTTP request; per operation over WebSocket)."""
        return current_scope()

    @property
    def container(self) -> Any:
        """The dependency-injector container services come from."""
        if self._index is None:
            raise LookupError(
                "This GraphQL route has no container. Fix: build the app with framework.bootstrap.create_app "
                "(it sets app.state.container), or pass GraphQLRoute(..., container=container)."
            )
        return self._index.container

    @overload
    def resolve(self, target: providers.Provider[T]) -> T: ...
    @overload
    def resolve(self, target: type[T]) -> T: ...
    def resolve(self, target: providers.Provider[T] | type[T]) -> T:
        """The instance of a provider, or of the container's provider of a type, in the current request scope."""
        if isinstance(target, providers.Provider):
            result: T = target()
            return result
        if self._index is None:
            self.container  # noqa: B018 - raises the explanatory error
        assert self._index is not None
        instance: T = self._index.provider_for(target)()
        return instance

    def get(self, cls: type[T]) -> T:
        """The container's instance of `cls` for this request: `info.context.get(UserService)`."""
        return self.resolve(cls)

    def loader(
        self, load_fn: Callable[[list[K]], Awaitable[Sequence[V | BaseException]]], **options: Any
    ) -> DataLoader[K, V]:
        """The DataLoader of `load_fn` for the current request scope (see `scoped_loader`)."""
        return scoped_loader(load_fn, **options)


def scoped_loader(
    load_fn: Callable[[list[K]], Awaitable[Sequence[V | BaseException]]], **options: Any
) -> DataLoader[K, V]:
    """One `DataLoader` per request scope and load function: batched and cached within a request, never across.

    `options` go to `DataLoader` the first time the loader is created in the scope.
    """
    cache = current_scope().cache
    key = (_LOADERS, load_fn)
    loader: DataLoader[K, V] | None = cache.get(key)
    if loader is None:
        loader = cache[key] = DataLoader(load_fn=load_fn, **options)
    return loader
