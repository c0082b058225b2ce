"""create_app: start-up validation (every message names class, parameter and fix), lifespan, isolation."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest
from dependency_injector import containers, providers

from framework.applications import Application
from framework.binding import BindingError, Query
from framework.bootstrap import ConfigurationError, create_app
from framework.controllers import controller, delete, get, post
from framework.di import RequestScoped, current_scope
from framework.routing import Route
from framework.testclient import TestClient
from framework.testing import AsyncTestClient

ClientFactory = Callable[..., TestClient]


class UserRepository:
    def __init__(self) -> None:
        self.closed_with: list[BaseException | None] = []

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        self.closed_with.append(exc)


class UserService:
    def __init__(self, users: UserRepository) -> None:
        self.users = users


class Container(containers.DeclarativeContainer):
    user_repository = RequestScoped(UserRepository)
    user_service = providers.Factory(UserService, users=user_repository)


@controller("/users")
class UserController:
    def __init__(self, service: UserService) -> None:
        self.service = service

    @get("/{user_id:int}")
    async def get_user(self, user_id: int) -> dict[str, int]:
        return {"id": user_id}


def _error(container: Any, *controllers: type, **kwargs: Any) -> str:
    with pytest.raises(TypeError) as info:
        create_app(container, controllers=list(controllers), openapi=False, **kwargs)
    return str(info.value)


def test_create_app_returns_a_plain_application(test_client_factory: ClientFactory) -> None:
    container = Container()
    app = create_app(container, controllers=[UserController])
    assert type(app) is Application
    assert app.state.container is container
    assert [item.handler for item in app.state.controller_routes] == ["UserController.get_user"]
    with test_client_factory(app) as client:
        assert client.get("/users/7").json() == {"id": 7}
        assert client.get("/openapi.json").json()["paths"]["/users/{user_id}"]["get"]["operationId"]
        assert client.get("/docs").headers["content-type"].startswith("text/html")


def test_openapi_can_be_switched_off(test_client_factory: ClientFactory) -> None:
    app = create_app(Container(), controllers=[UserController], openapi=False)
    with test_client_factory(app) as client:
        assert client.get("/openapi.json").status_code == 404


def test_class_without_controller_decorator() -> None:
    class Plain:
        pass

    message = _error(Container(), Plain)
    assert (
        message
        == "Plain is not a controller. Fix: decorate the class with @controller(...) from framework.controllers."
    )


class Mailer:
    pass


@controller("/mail")
class MailController:
    def __init__(self, mailer: Mailer) -> None:
        self.mailer = mailer


def test_constructor_parameter_without_provider() -> None:
    message = _error(Container(), MailController)
    assert message.startswith("MailController.__init__: parameter 'mailer': Container has no provider of Mailer.")
    assert "Fix: add a provider of it to Container" in message
    assert "`mail_controller = providers.Factory(MailController, mailer=...)`" in message
    assert isinstance(_raised(Container(), MailController), ConfigurationError)


def _raised(container: Any, *controllers: type) -> BaseException:
    with pytest.raises(TypeError) as info:
        create_app(container, controllers=list(controllers), openapi=False)
    return info.value


def test_constructor_hints_that_cannot_be_resolved() -> None:
    class Local:
        pass

    @controller("/local")
    class LocalController:
        def __init__(self, local: Local) -> None:
            self.local = local

    message = _error(Container(), LocalController)
    assert message == (
        "LocalController.__init__: its type hints cannot be resolved (name 'Local' is not defined). Fix: import "
        "the annotated types at module level."
    )


def test_constructor_parameter_without_annotation() -> None:
    @controller("/x")
    class Untyped:
        def __init__(self, service) -> None:
            self.service = service

    message = _error(Container(), Untyped)
    assert message.startswith("Untyped.__init__: parameter 'service' has no type annotation")
    assert "Fix: add a provider of it to Container, or declare the controller's provider" in message


def test_ambiguous_constructor_parameter() -> None:
    class Twice(Container):
        other_service = providers.Factory(UserService, users=Container.user_repository)

    message = _error(Twice(), UserController)
    assert message.startswith(
        "UserController.__init__: parameter 'service': Twice.user_service and Twice.other_service all provide "
        "UserService, so the choice is ambiguous."
    )
    assert "Fix: declare `user_controller = providers.Factory(UserController, service=Twice.user_service)`" in message


def test_two_providers_of_the_controller() -> None:
    class Doubled(Container):
        first = providers.Factory(UserController, service=Container.user_service)
        second = providers.Factory(UserController, service=Container.user_service)

    message = _error(Doubled(), UserController)
    assert message == (
        "UserController: Doubled.first and Doubled.second all provide UserController. Fix: pass the one to use as "
        "@controller(provider=Doubled.first)."
    )


def test_explicit_provider_by_class_attribute_or_name(test_client_factory: ClientFactory) -> None:
    created: list[str] = []

    def build(service: UserService) -> UserController:
        created.append("main")
        return UserController(service)

    class Explicit(Container):
        main = providers.Factory(build, Container.user_service)

    @controller("/a", provider=Explicit.main, name="a")
    class ByProvider(UserController):
        pass

    @controller("/b", provider="main", name="b")
    class ByName(UserController):
        pass

    app = create_app(Explicit(), controllers=[ByProvider, ByName], openapi=False)
    with test_client_factory(app) as client:
        assert client.get("/a/1").json() == {"id": 1}
        assert client.get("/b/2").json() == {"id": 2}
    assert created == ["main", "main"]


def test_explicit_provider_that_is_not_in_the_container() -> None:
    @controller("/x", provider=providers.Factory(UserController))
    class Foreign(UserController):
        pass

    message = _error(Container(), Foreign)
    assert message.startswith("Foreign: @controller(provider=...): <dependency_injector.providers.Factory")
    assert "is not a provider of Container. Fix: pass one of its providers (Container.<name>)" in message

    @controller("/y", provider="nope")
    class Misnamed(UserController):
        pass

    message = _error(Container(), Misnamed)
    assert message == (
        "Misnamed: @controller(provider=...): Container has no provider named 'nope'. Fix: use one of "
        "user_repository, user_service."
    )


def test_captive_dependency_is_refused() -> None:
    class Captive(containers.DeclarativeContainer):
        user_repository = RequestScoped(UserRepository)
        user_service = providers.Singleton(UserService, users=user_repository)

    message = _error(Captive(), UserController)
    assert message.startswith(
        "Captive.user_service: this Singleton depends on the request-scoped Captive.user_repository;"
    )
    assert (
        "Fix: make 'user_service' a providers.Factory or RequestScoped, or inject `user_repository.provider`" in message
    )


def test_path_parameter_without_argument() -> None:
    @controller("/users")
    class Missing:
        @get("/{user_id:int}")
        async def get_user(self) -> None: ...

    with pytest.raises(BindingError) as info:
        create_app(Container(), controllers=[Missing], openapi=False)
    assert str(info.value) == "Missing.get_user: path parameter 'user_id' has no argument; add 'user_id: int'."


def test_path_parameter_bound_as_something_else() -> None:
    @controller("/users")
    class Marked:
        @get("/{user_id:int}")
        async def get_user(self, user_id: Query[int]) -> None: ...

    with pytest.raises(BindingError) as info:
        create_app(Container(), controllers=[Marked], openapi=False)
    assert str(info.value) == (
        "Marked.get_user: 'user_id' is a path parameter but is marked Query; remove the marker or rename the argument."
    )


def test_duplicate_route_names() -> None:
    @controller("/a")
    class First:
        @get("/")
        async def list_items(self) -> None: ...

    @controller("/b")
    class Second:
        @get("/")
        async def list_items(self) -> None: ...

    message = _error(Container(), First, Second)
    assert message == (
        "Route name 'list_items' is used twice: by First.list_items and by Second.list_items. Fix: pass a distinct "
        "name= to one of the route decorators, or name= on @controller to prefix its routes."
    )

    async def endpoint(request: Any) -> None: ...

    message = _error(Container(), First, routes=[Route("/other", endpoint, name="list_items")])
    assert "by First.list_items and by Route('/other')" in message


def test_handler_named_after_a_decorator() -> None:
    @controller("/items")
    class Shadowing:
        @get("/")
        async def list_items(self) -> None: ...

        @delete("/{item_id}")
        async def delete(self, item_id: str) -> None: ...

    message = _error(Container(), Shadowing)
    assert message == (
        "Shadowing.delete: a controller method must not be named after the route decorator 'delete' (the definition "
        "rebinds the decorator for the rest of the class body). Fix: rename it, e.g. 'delete_item'."
    )


def test_two_handlers_for_one_method_and_path() -> None:
    @controller("/items")
    class Twice:
        @post("/")
        async def create_item(self) -> None: ...

        @post("")
        async def create_other(self) -> None: ...

    message = _error(Container(), Twice)
    assert message == (
        "Twice.create_other: POST /items is already handled by Twice.create_item. Fix: give one of them another "
        "path or method."
    )


class Pool:
    """A container resource: initialised at start-up, shut down at exit."""

    events: list[str] = []


def _pool() -> Iterator[Pool]:
    Pool.events.append("init")
    yield Pool()
    Pool.events.append("shutdown")


async def _async_pool() -> AsyncIterator[Pool]:
    Pool.events.append("async init")
    yield Pool()
    Pool.events.append("async shutdown")


def test_lifespan_runs_container_resources_around_the_user_lifespan(test_client_factory: ClientFactory) -> None:
    class WithResources(Container):
        pool = providers.Resource(_pool)

    @asynccontextmanager
    async def lifespan(app: Application) -> AsyncIterator[dict[str, str]]:
        Pool.events.append("user start")
        yield {"greeting": "hi"}
        Pool.events.append("user stop")

    Pool.events = []
    app = create_app(WithResources(), controllers=[UserController], lifespan=lifespan, openapi=False)
    with test_client_factory(app) as client:
        assert Pool.events == ["init", "user start"]
        assert client.get("/users/1").status_code == 200
    assert Pool.events == ["init", "user start", "user stop", "shutdown"]


# dependency-injector drives async resources with asyncio tasks: they need the asyncio backend.
@pytest.mark.parametrize("anyio_backend", [("asyncio", {})], ids=["asyncio"])
@pytest.mark.anyio
async def test_async_resources_are_awaited() -> None:
    class WithAsync(Container):
        pool = providers.Resource(_async_pool)

    Pool.events = []
    app = create_app(WithAsync(), openapi=False)
    async with AsyncTestClient(app):
        assert Pool.events == ["async init"]
    assert Pool.events == ["async init", "async shutdown"]


class Probe:
    """Request-scoped: counts its instances and records how each one was closed."""

    instances: list[Probe] = []

    def __init__(self) -> None:
        Probe.instances.append(self)
        self.closed_with: list[BaseException | None] = []

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        await anyio.sleep(0.001)
        self.closed_with.append(exc)


class ProbeService:
    def __init__(self, probe: Probe) -> None:
        self.probe = probe


class LoadContainer(containers.DeclarativeContainer):
    probe = RequestScoped(Probe)
    service = providers.Factory(ProbeService, probe=probe)


@controller("/load")
class LoadController:
    started = anyio.Event()

    def __init__(self, service: ProbeService, probe: Probe) -> None:
        self.service = service
        self.probe = probe

    @get("/{index:int}")
    async def get_load(self, index: int) -> dict[str, Any]:
        await anyio.sleep(0.001)
        assert self.service.probe is self.probe
        if index % 10 == 0:
            raise RuntimeError(f"request {index} failed")
        return {"probe": id(self.probe)}

    @get("/slow/")
    async def get_slow(self) -> None:
        LoadController.started.set()
        await anyio.sleep(30)


@pytest.mark.anyio
async def test_200_concurrent_requests_share_no_scoped_object_and_leave_nothing_open() -> None:
    Probe.instances = []
    app = create_app(LoadContainer(), controllers=[LoadController], openapi=False)
    statuses: list[int] = []
    tasks_before = len(anyio.get_running_tasks())
    async with AsyncTestClient(app, raise_app_exceptions=False) as client:

        async def one(index: int) -> None:
            statuses.append((await client.get(f"/load/{index}")).status_code)

        async with anyio.create_task_group() as group:
            for index in range(200):
                group.start_soon(one, index)

    assert sorted(statuses) == [200] * 180 + [500] * 20
    assert len(Probe.instances) == 200
    assert len({id(probe) for probe in Probe.instances}) == 200
    assert all(len(probe.closed_with) == 1 for probe in Probe.instances)  # every scope closed, exactly once
    failures = [probe.closed_with[0] for probe in Probe.instances if probe.closed_with[0] is not None]
    assert len(failures) == 20
    assert all(isinstance(error, RuntimeError) for error in failures)
    with pytest.raises(RuntimeError, match="No request scope is active"):
        current_scope()
    assert len(anyio.get_running_tasks()) == tasks_before  # no request or lifespan task left behind


@pytest.mark.anyio
async def test_cancelled_request_runs_teardown() -> None:
    Probe.instances = []
    LoadController.started = anyio.Event()
    app = create_app(LoadContainer(), controllers=[LoadController], openapi=False)
    async with AsyncTestClient(app) as client, anyio.create_task_group() as group:

        async def request() -> None:
            await client.get("/load/slow/")

        group.start_soon(request)
        await LoadController.started.wait()
        group.cancel_scope.cancel()  # the client disconnects

    assert len(Probe.instances) == 1
    [closed] = Probe.instances[0].closed_with
    assert isinstance(closed, anyio.get_cancelled_exc_class())
