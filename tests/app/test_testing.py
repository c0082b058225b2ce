"""framework.testing: overrides for a block, and the async client that runs the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest
from dependency_injector import containers, providers

from framework.applications import Application
from framework.bootstrap import create_app
from framework.controllers import controller, get
from framework.di import RequestScoped
from framework.requests import Request
from framework.responses import JSONResponse
from framework.routing import Route
from framework.testclient import TestClient
from framework.testing import AsyncTestClient, overrides

ClientFactory = Callable[..., TestClient]


class UserRepository:
    def name(self, user_id: int) -> str:
        return f"real-{user_id}"


class FakeUserRepository(UserRepository):
    def name(self, user_id: int) -> str:
        return f"fake-{user_id}"


class UserService:
    def __init__(self, users: UserRepository) -> None:
        self.users = users


class Settings:
    greeting = "hello"


class Infrastructure(containers.DeclarativeContainer):
    settings = providers.Singleton(Settings)


class Container(containers.DeclarativeContainer):
    infrastructure = providers.Container(Infrastructure)
    user_repository = RequestScoped(UserRepository)
    user_service = providers.Factory(UserService, users=user_repository)


@controller("/users")
class UserController:
    def __init__(self, service: UserService, settings: Settings) -> None:
        self.service = service
        self.settings = settings

    @get("/{user_id:int}")
    async def get_user(self, user_id: int) -> dict[str, str]:
        return {"name": self.service.users.name(user_id), "greeting": self.settings.greeting}


def test_override_is_visible_to_the_next_request_and_gone_after(test_client_factory: ClientFactory) -> None:
    container = Container()
    app = create_app(container, controllers=[UserController], openapi=False)
    with test_client_factory(app) as client:
        assert client.get("/users/1").json()["name"] == "real-1"
        with overrides(container, user_repository=FakeUserRepository()):
            assert client.get("/users/2").json()["name"] == "fake-2"
        assert client.get("/users/3").json()["name"] == "real-3"


def test_overrides_accept_providers_and_nested_names(test_client_factory: ClientFactory) -> None:
    container = Container()
    app = create_app(container, controllers=[UserController], openapi=False)
    quiet = Settings()
    quiet.greeting = "hush"
    with test_client_factory(app) as client:
        with overrides(
            container, user_repository=providers.Factory(FakeUserRepository), infrastructure__settings=quiet
        ):
            assert client.get("/users/1").json() == {"name": "fake-1", "greeting": "hush"}
        assert client.get("/users/1").json() == {"name": "real-1", "greeting": "hello"}


def test_overrides_are_undone_on_error() -> None:
    container = Container()
    with pytest.raises(ValueError, match="inside"), overrides(container, user_repository=FakeUserRepository()):
        raise ValueError("inside")
    assert container.user_repository.last_overriding is None


def test_unknown_provider_name_lists_the_available_ones() -> None:
    container = Container()
    with pytest.raises(KeyError, match="Container has no provider 'users'") as info:  # noqa: SIM117
        with overrides(container, user_repository=FakeUserRepository(), users=object()):
            pass  # pragma: no cover
    assert "available: infrastructure, user_repository, user_service" in str(info.value)
    assert container.user_repository.last_overriding is None


def test_overrides_reset_singletons_built_from_an_overridden_provider() -> None:
    class Singletons(containers.DeclarativeContainer):
        user_repository = providers.Factory(UserRepository)
        user_service = providers.Singleton(UserService, users=user_repository)

    container = Singletons()
    before = container.user_service()
    assert before.users.name(1) == "real-1"
    with overrides(container, user_repository=FakeUserRepository()):
        assert container.user_service().users.name(1) == "fake-1"
    assert container.user_service().users.name(1) == "real-1"


async def _state_endpoint(request: Request) -> JSONResponse:
    return JSONResponse({"greeting": request.state.greeting, "started": request.app.state.started})


@asynccontextmanager
async def _lifespan(app: Application) -> AsyncIterator[dict[str, str]]:
    app.state.started = True
    yield {"greeting": "from lifespan"}
    app.state.started = False


@pytest.mark.anyio
async def test_async_client_runs_the_lifespan_and_passes_its_state() -> None:
    app = Application(routes=[Route("/", _state_endpoint)], lifespan=_lifespan)
    async with AsyncTestClient(app) as client:
        response = await client.get("/")
        assert response.status_code == 200
        assert response.json() == {"greeting": "from lifespan", "started": True}
        assert str(response.url) == "http://testserver/"
    assert app.state.started is False


@pytest.mark.anyio
async def test_async_client_raises_a_failing_startup() -> None:
    @asynccontextmanager
    async def broken(app: Application) -> AsyncIterator[None]:
        raise ConnectionError("database unreachable")
        yield  # pragma: no cover

    app = Application(lifespan=broken)
    with pytest.raises(RuntimeError, match="database unreachable"):
        async with AsyncTestClient(app):
            pass  # pragma: no cover


@pytest.mark.anyio
async def test_async_client_with_overrides_against_a_controller_app() -> None:
    container = Container()
    app = create_app(container, controllers=[UserController], openapi=False)
    async with AsyncTestClient(app) as client:
        with overrides(container, user_repository=FakeUserRepository()):
            assert (await client.get("/users/5")).json()["name"] == "fake-5"
        assert (await client.get("/users/5")).json()["name"] == "real-5"
