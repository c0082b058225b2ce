"""`create_app`: a container and controller classes in, a plain toolkit `Application` out.

Everything that can be decided before the first request is decided here: each controller's provider is
found (or built from its constructor's type hints), handler binders are compiled, the provider graph is
checked for captive dependencies, and route names are checked for clashes. A misconfiguration fails now
with a message naming the class, the parameter and the fix, not on the first request.
"""

from __future__ import annotations

import contextlib
import inspect
import typing
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import anyio
from dependency_injector import containers, providers

from framework.applications import Application
from framework.controllers.compiler import ControllerRoute, build_routes, compile_controller
from framework.controllers.decorators import ControllerSpec, controller_spec
from framework.di.creators import instantiator
from framework.di.errors import ConfigurationError
from framework.di.graph import (
    check_captive_dependencies,
    container_label,
    find_dependency,
    named_providers,
    providers_of_type,
)
from framework.di.middleware import RequestScopeMiddleware
from framework.di.providers import CurrentRequest, CurrentWebSocket
from framework.middleware import Middleware
from framework.routing import BaseRoute, Mount
from framework.types import ExceptionHandler, Lifespan

if TYPE_CHECKING:
    from framework.openapi import DocsAssets

__all__ = ["ConfigurationError", "create_app"]


def create_app(
    container: Any,
    *,
    controllers: Sequence[type] = (),
    routes: Sequence[BaseRoute] = (),
    middleware: Sequence[Middleware] = (),
    exception_handlers: Mapping[Any, ExceptionHandler] | None = None,
    lifespan: Lifespan[Application] | None = None,
    debug: bool = False,
    openapi: bool = True,
    title: str = "framework",
    version: str = "0.1.0",
    docs_assets: DocsAssets | None = None,
    **application_kwargs: Any,
) -> Application:
    """Build the application: controller routes first, then `routes`, the request scope around everything.

    Container resources are initialised before the user's `lifespan` starts and shut down after it ends.
    With `openapi=True` the document is served at `/openapi.json` and a docs page at `/docs` (`title` and
    `version` describe the API there; `docs_assets` points the page at self-hosted Swagger UI files for an
    offline deployment). Other keyword arguments go to `Application`.
    """
    _check_container(container)
    check_captive_dependencies(container)
    compiled = _compile_controllers(container, controllers)
    app_routes: list[BaseRoute] = [*build_routes(compiled), *routes]
    if openapi:
        from framework.openapi import openapi_routes

        app_routes.extend(openapi_routes(app_routes, title=title, version=version, docs_assets=docs_assets))
    _check_route_names(app_routes)
    app = Application(
        debug=debug,
        routes=app_routes,
        middleware=[Middleware(RequestScopeMiddleware), *middleware],
        exception_handlers=exception_handlers,
        lifespan=_container_lifespan(container, lifespan),
        **application_kwargs,
    )
    app.state.container = container
    app.state.controller_routes = tuple(compiled)
    return app


def _check_container(container: Any) -> None:
    """Refuse what is not a container instance now, rather than with an AttributeError in the lifespan."""
    if isinstance(container, type) and issubclass(container, containers.Container):
        raise ConfigurationError(
            f"create_app() got the container class {container.__name__}; it needs an instance. Fix: "
            f"create_app({container.__name__}(), ...)."
        )
    if not isinstance(container, containers.Container):
        raise ConfigurationError(
            f"create_app() takes a dependency-injector container first, got {type(container).__name__}. Fix: pass "
            "an instance of your DeclarativeContainer, e.g. create_app(Container(), controllers=[...])."
        )


def _compile_controllers(container: Any, controllers: Sequence[type]) -> list[ControllerRoute]:
    """Compile every controller class against the container, in order."""
    compiled: list[ControllerRoute] = []
    for index, cls in enumerate(controllers):
        if not isinstance(cls, type) and controller_spec(type(cls)) is not None:
            raise ConfigurationError(
                f"controllers=[...] holds an instance of {type(cls).__name__}; the container creates controllers "
                f"per request. Fix: pass the class, controllers=[{type(cls).__name__}]."
            )
        if cls in controllers[:index]:
            raise ConfigurationError(f"{cls.__name__} is listed twice in controllers=[...]. Fix: list it once.")
        spec = controller_spec(cls) if isinstance(cls, type) else None
        if spec is None:
            raise ConfigurationError(
                f"{getattr(cls, '__name__', cls)!s} is not a controller. Fix: decorate the class with "
                "@controller(...) from framework.controllers."
            )
        provider, pulled = _controller_provider(container, cls, spec)
        guards = tuple(
            _container_provider(container, item, f"{cls.__name__}: dependencies") for item in spec.dependencies
        )
        routes = compile_controller(
            cls, spec, make_instance=instantiator(provider), guards=guards, providers=pulled, provider=provider
        )
        _check_connection_kind(container, provider, routes)
        compiled.extend(routes)
    return compiled


def _check_connection_kind(container: Any, provider: Any, routes: Sequence[ControllerRoute]) -> None:
    """Fail when a WebSocket handler's controller needs the `Request` (or an HTTP one's the `WebSocket`).

    The controller is built, with everything it depends on, for every connection its handlers serve; the
    provider of the other kind of connection would raise on each of them.
    """
    for route in routes:
        wrong = CurrentRequest if route.websocket else CurrentWebSocket
        found = find_dependency(provider, (wrong,)) if isinstance(provider, providers.Provider) else None
        if found is None:
            continue
        label = container_label(container)
        names = {id(item): name for name, item in named_providers(container)}
        dependency, path = found
        through = "".join(f" through {label}.{names[id(step)]}" for step in path[:1] if id(step) in names)
        kind, other = ("WebSocket", "an HTTP request") if route.websocket else ("HTTP", "a WebSocket connection")
        raise ConfigurationError(
            f"{route.handler}: this {kind} handler's controller depends on {label}."
            f"{names.get(id(dependency), type(dependency).__name__)} ({type(dependency).__name__}){through}, which "
            f"only resolves in {other}. Fix: move the handler to a controller that does not need it, or inject "
            "the provider itself (`.provider`) and call it only where it applies."
        )


def _check_route_names(routes: Sequence[BaseRoute]) -> None:
    """Fail when two routes at one level share a name: `url_path_for` could only ever reach the first."""
    seen: dict[str, BaseRoute] = {}
    for route in routes:
        name = getattr(route, "name", None)
        if not name:
            continue
        other = seen.setdefault(name, route)
        if other is not route:
            raise ConfigurationError(
                f"Route name {name!r} is used twice: by {_describe(other)} and by {_describe(route)}. Fix: pass a "
                "distinct name= to one of the route decorators, or name= on @controller to prefix its routes."
            )
        if isinstance(route, Mount) and route.routes:
            _check_route_names(route.routes)


def _describe(route: BaseRoute) -> str:
    meta = getattr(getattr(route, "endpoint", None), "__framework_route__", None)
    if isinstance(meta, ControllerRoute):
        return meta.handler
    return f"{type(route).__name__}({getattr(route, 'path', '')!r})"


def _controller_provider(container: Any, cls: type, spec: ControllerSpec) -> tuple[Callable[[], Any], tuple[str, ...]]:
    """The callable creating a controller per request, and the names of the container providers it pulls."""
    names = {id(provider): name for name, provider in named_providers(container)}
    if spec.provider is not None:
        provider = _container_provider(container, spec.provider, f"{cls.__name__}: @controller(provider=...)")
        return provider, _pulled(provider, names)
    label = container_label(container)
    found = [(name, p) for name, p in named_providers(container) if getattr(p, "provides", None) is cls]
    if len(found) > 1:
        listed = " and ".join(f"{label}.{name}" for name, _ in found)
        raise ConfigurationError(
            f"{cls.__name__}: {listed} all provide {cls.__name__}. Fix: pass the one to use as "
            f"@controller(provider={label}.{found[0][0]})."
        )
    if found:
        return found[0][1], _pulled(found[0][1], names)
    return _autowire(container, cls)


def _pulled(provider: providers.Provider[Any], names: Mapping[int, str]) -> tuple[str, ...]:
    return tuple(names[id(dependency)] for dependency in provider.related if id(dependency) in names)


def _container_provider(container: Any, reference: Any, where: str) -> providers.Provider[Any]:
    """The container instance's provider for `reference`: a provider (class- or instance-level) or its name."""
    label = container_label(container)
    named = dict(named_providers(container))
    if isinstance(reference, str):
        if reference in named:
            return named[reference]
        raise ConfigurationError(
            f"{where}: {label} has no provider named {reference!r}. Fix: use one of {', '.join(sorted(named))}."
        )
    if any(provider is reference for provider in named.values()):
        return typing.cast(providers.Provider[Any], reference)
    # A provider of the container *class* (Container.users): the instance holds its deep copy under the same name.
    parent = getattr(container, "declarative_parent", None)
    for name, provider in (getattr(parent, "providers", None) or {}).items():
        if provider is reference and name in named:
            return named[name]
    raise ConfigurationError(
        f"{where}: {reference!r} is not a provider of {label}. Fix: pass one of its providers "
        f"({label}.<name>) or its name as a string."
    )


def _autowire(container: Any, cls: type) -> tuple[Callable[[], Any], tuple[str, ...]]:
    """A Factory for `cls` from its constructor's type hints, when the container provides each type exactly once."""
    label = container_label(container)
    signature = inspect.signature(cls)
    try:
        init = next(klass.__dict__["__init__"] for klass in cls.__mro__ if "__init__" in klass.__dict__)
        hints = typing.get_type_hints(init)
    except Exception as exc:
        raise ConfigurationError(
            f"{cls.__name__}.__init__: its type hints cannot be resolved ({exc}). Fix: import the annotated types "
            "at module level."
        ) from exc
    injections: dict[str, providers.Provider[Any]] = {}
    pulled: list[str] = []
    for name, parameter in signature.parameters.items():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        where = f"{cls.__name__}.__init__: parameter '{name}'"
        fix = (
            f"Fix: add a provider of it to {label}, or declare the controller's provider "
            f"(`{_snake(cls.__name__)} = providers.Factory({cls.__name__}, {name}=...)`), or pass "
            "@controller(provider=...)."
        )
        annotation = hints.get(name)
        if annotation is None:
            if parameter.default is not parameter.empty:
                continue
            raise ConfigurationError(f"{where} has no type annotation, so no provider can be matched to it. {fix}")
        type_name = getattr(annotation, "__name__", repr(annotation))
        candidates = providers_of_type(container, annotation)
        if not candidates:
            if parameter.default is not parameter.empty:
                continue
            raise ConfigurationError(f"{where}: {label} has no provider of {type_name}. {fix}")
        if len(candidates) > 1:
            listed = " and ".join(f"{label}.{candidate}" for candidate, _ in candidates)
            raise ConfigurationError(
                f"{where}: {listed} all provide {type_name}, so the choice is ambiguous. Fix: declare "
                f"`{_snake(cls.__name__)} = providers.Factory({cls.__name__}, {name}={label}.{candidates[0][0]})` "
                "in the container, or pass @controller(provider=...)."
            )
        injections[name] = candidates[0][1]
        pulled.append(candidates[0][0])
    return providers.Factory(cls, **injections), tuple(pulled)


def _snake(name: str) -> str:
    return "".join(f"_{char.lower()}" if char.isupper() else char for char in name).lstrip("_")


def _container_lifespan(container: Any, lifespan: Lifespan[Application] | None) -> Lifespan[Application]:
    """The user's lifespan, inside container resource initialisation and shutdown."""

    closeable = _closeable_singletons(container)

    @contextlib.asynccontextmanager
    async def run(app: Application) -> AsyncIterator[Mapping[str, Any] | None]:
        await _maybe_await(container.init_resources())
        opened: list[tuple[providers.Singleton[Any], Any]] = []
        try:
            # Resolved now so that a bad database URL fails at start-up, not on the first request.
            for provider in closeable:
                opened.append((provider, provider()))
            if lifespan is None:
                yield None
            else:
                async with lifespan(app) as state:
                    yield state
        finally:
            with anyio.CancelScope(shield=True):
                for provider, instance in reversed(opened):
                    await instance.aclose()
                    provider.reset()
                await _maybe_await(container.shutdown_resources())

    return typing.cast(Lifespan[Application], run)


def _closeable_singletons(container: Any) -> tuple[providers.Singleton[Any], ...]:
    """Singletons whose class has `async aclose()` (a `Database`, an HTTP client): the lifespan owns them.

    dependency-injector's own `Resource` shutdown drives async resources with asyncio tasks (it breaks
    under trio), so objects with an async close are opened and closed here instead, in reverse order.
    """
    found: list[providers.Singleton[Any]] = []
    for provider in container.traverse(types=[providers.Singleton]):
        cls = getattr(provider, "cls", None)
        if isinstance(cls, type) and inspect.iscoroutinefunction(getattr(cls, "aclose", None)):
            found.append(provider)
    return tuple(found)


async def _maybe_await(result: Any) -> None:
    if inspect.isawaitable(result):
        await result
