"""The generated creation paths (controllers, RequestScoped) behave exactly like dependency-injector's own."""

from __future__ import annotations

import functools
from typing import Any

import pytest
from dependency_injector import containers, providers

from framework.bootstrap import create_app
from framework.controllers import controller, get
from framework.di import CurrentRequest, CurrentScope, RequestScoped, RequestScopeMiddleware, open_scope
from framework.di.creators import creator, instantiator
from framework.requests import Request
from framework.responses import PlainTextResponse
from framework.testclient import TestClient
from framework.testing import AsyncTestClient


class Settings:
    def __init__(self, greeting: str = "Hello") -> None:
        self.greeting = greeting


class Greeter:
    def __init__(self, settings: Settings, punctuation: str = "!") -> None:
        self.settings = settings
        self.punctuation = punctuation

    def greet(self, name: str) -> str:
        return f"{self.settings.greeting}, {name}{self.punctuation}"


class Info:
    def __init__(self, path: str) -> None:
        self.path = path


def info_of(request: Request) -> Info:
    return Info(request.url.path)


@controller()
class GreetingController:
    def __init__(self, greeter: Greeter, info: Info) -> None:
        self.greeter = greeter
        self.info = info

    @get("/greet")
    async def greet(self) -> dict[str, str]:
        return {"text": self.greeter.greet("you"), "path": self.info.path}


class Container(containers.DeclarativeContainer):
    settings = providers.Singleton(Settings)
    greeter = RequestScoped(Greeter, settings=settings)
    info = RequestScoped(info_of, CurrentRequest())
    greeting_controller = providers.Factory(GreetingController, greeter=greeter, info=info)


def _get(client: TestClient) -> Any:
    response = client.get("/greet")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    return response.json()


def test_overrides_after_create_app_apply_to_the_next_request_and_are_undone() -> None:
    container = Container()
    with TestClient(create_app(container, controllers=[GreetingController], openapi=False)) as client:
        # Enough requests for every provider to settle on its generated path.
        for _ in range(3):
            assert _get(client) == {"text": "Hello, you!", "path": "/greet"}
        with container.settings.override(providers.Object(Settings("Hi"))):
            assert _get(client) == {"text": "Hi, you!", "path": "/greet"}
        with container.greeter.override(providers.Factory(Greeter, settings=Settings("Hey"), punctuation="?")):
            assert _get(client) == {"text": "Hey, you?", "path": "/greet"}

        class FakeController(GreetingController):
            pass

        fake = providers.Factory(FakeController, greeter=providers.Factory(Greeter, Settings("Yo")), info=Info("/x"))
        with container.greeting_controller.override(fake):
            assert _get(client) == {"text": "Yo, you!", "path": "/x"}
        assert _get(client) == {"text": "Hello, you!", "path": "/greet"}


@pytest.mark.anyio
async def test_request_scoped_follows_changes_to_its_injections() -> None:
    container = Container()
    for punctuation in ("!", "?", "."):
        if punctuation != "!":
            container.greeter.add_kwargs(punctuation=punctuation)
        for _ in range(3):  # the first creations run before the generated path exists, the later ones on it
            async with open_scope():
                assert container.greeter().greet("x") == f"Hello, x{punctuation}"
    container.greeter.set_provides(lambda settings, punctuation: Info("replaced"))
    async with open_scope():
        assert container.greeter().path == "replaced"  # type: ignore[attr-defined]


@pytest.mark.anyio
async def test_request_scoped_still_caches_and_closes_on_the_generated_path() -> None:
    closed: list[BaseException | None] = []

    class Resource:
        async def __aexit__(self, *exc_info: Any) -> None:
            closed.append(exc_info[1])

    scoped = RequestScoped(Resource)
    for round_number in range(1, 4):
        async with open_scope():
            assert scoped() is scoped()
        assert closed == [None] * round_number


def test_creator_declines_attribute_injections_and_instantiator_passes_other_providers_through() -> None:
    with_attributes = providers.Factory(Settings)
    with_attributes.add_attributes(greeting="Hi")
    assert creator(with_attributes) is None
    assert instantiator(with_attributes) is with_attributes
    singleton = providers.Singleton(Settings)
    assert instantiator(singleton) is singleton
    constant = Settings("constant")
    delegated: providers.Factory[dict[str, Any]] = providers.Factory(
        dict, settings=providers.Object(constant), factory=providers.Factory(Settings).provider
    )
    created = creator(delegated)
    assert created is not None
    made = created()
    assert made["settings"] is constant
    assert isinstance(made["factory"], providers.Factory)  # a delegate injects the provider itself


LOG: list[str] = []


class Unit:
    """A unit of work: registers a commit that must run before the response starts."""

    def __init__(self, scope: Any) -> None:
        async def commit(status: int) -> None:
            LOG.append(f"commit {status}")

        scope.before_response(commit)


class UnitContainer(containers.DeclarativeContainer):
    unit = RequestScoped(Unit, CurrentScope())


@controller()
class UnitController:
    def __init__(self, unit: Unit) -> None:
        self.unit = unit

    @get("/", response_class=PlainTextResponse)
    async def index(self) -> str:
        return "done"


@controller()
class PlainController:
    @get("/plain", response_class=PlainTextResponse)
    async def plain(self) -> str:
        return "plain"


def test_handler_response_skips_the_gate_only_when_nothing_waits_for_the_response_start() -> None:
    LOG.clear()
    app = create_app(UnitContainer(), controllers=[UnitController, PlainController], openapi=False)
    with TestClient(app) as client:
        assert (client.get("/").status_code, client.get("/plain").text, client.get("/").text) == (200, "plain", "done")
    assert LOG == ["commit 200", "commit 200"]


class Pair:
    def __init__(self, first: Any, second: Any = "default") -> None:
        self.received = (first, second)


def pair_of(first: Any, second: Any = "default") -> tuple[Any, Any]:
    return (first, second)


def only_positional(first: Any, /, second: Any) -> tuple[Any, Any]:
    return (first, second)


def keywords_seen(*args: Any, **kwargs: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
    return args, kwargs


def wrapped(function: Any) -> Any:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return ("wrapped", args, kwargs)

    return wrapper


@pytest.mark.parametrize(
    ("factory", "expected"),
    [
        (providers.Factory(Pair, first=1, second=2), (1, 2)),
        (providers.Factory(Pair, second=2, first=1), (1, 2)),  # out of order: keywords kept
        (providers.Factory(Pair, 1, second=2), (1, 2)),
        (providers.Factory(pair_of, first=1), (1, "default")),
        (providers.Factory(keywords_seen, 1, second=2), ((1,), {"second": 2})),
        (providers.Factory(wrapped(pair_of), first=1, second=2), ("wrapped", (), {"first": 1, "second": 2})),
    ],
)
def test_generated_creation_binds_arguments_like_dependency_injector(
    factory: providers.Factory[Any], expected: Any
) -> None:
    created = creator(factory)
    assert created is not None
    result = created()
    received = result.received if isinstance(result, Pair) else result
    assert received == expected
    direct = factory()
    assert (direct.received if isinstance(direct, Pair) else direct) == expected


def test_generated_creation_still_refuses_keywords_for_positional_only_parameters() -> None:
    factory = providers.Factory(only_positional, first=1, second=2)
    created = creator(factory)
    assert created is not None
    with pytest.raises(TypeError, match="positional-only"):
        factory()
    with pytest.raises(TypeError, match="positional-only"):
        created()


@pytest.mark.anyio
async def test_overrides_through_the_container_reach_request_scoped_providers_on_the_generated_path() -> None:
    container = Container()
    controller_of = instantiator(container.greeting_controller)
    request = Request({"type": "http", "method": "GET", "path": "/greet", "headers": [], "query_string": b""})

    async def greeting() -> str:
        async with open_scope() as scope:
            scope.connection = request
            made: GreetingController = controller_of()
            return made.greeter.greet("you")

    class Replacement(containers.DeclarativeContainer):
        greeter = providers.Factory(Greeter, settings=providers.Object(Settings("Hey")), punctuation="?")

    for _ in range(3):  # onto the generated path
        assert await greeting() == "Hello, you!"
    container.override(Replacement())
    assert await greeting() == "Hey, you?"
    container.reset_override()
    assert await greeting() == "Hello, you!"
    with container.override_providers(greeter=providers.Factory(Greeter, settings=Settings("Yo"))):
        assert await greeting() == "Yo, you!"
    assert await greeting() == "Hello, you!"
    container.greeter.override(providers.Factory(Greeter, settings=Settings("Hi")))
    assert await greeting() == "Hi, you!"
    container.greeter.reset_override()
    assert await greeting() == "Hello, you!"


class LateUnit:
    """Registers its before-response callback only once the response has started."""

    def __init__(self, scope: Any) -> None:
        self.scope = scope


class LateContainer(containers.DeclarativeContainer):
    unit = RequestScoped(LateUnit, CurrentScope())


@pytest.mark.anyio
async def test_callback_registered_after_the_response_started_never_runs() -> None:
    container = LateContainer()
    ran: list[int] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})

        async def callback(status: int) -> None:
            ran.append(status)

        container.unit().scope.before_response(callback)
        await send({"type": "http.response.body", "body": b"late"})

    async with AsyncTestClient(RequestScopeMiddleware(app), lifespan=False) as client:
        response = await client.get("/")
    assert (response.status_code, response.content) == (200, b"late")
    assert ran == []
