"""Controllers: decorators attach metadata only; compiled routes serve per-request controllers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from dependency_injector import containers, providers
from pydantic import BaseModel

from framework.background import BackgroundTasks
from framework.bootstrap import create_app
from framework.controllers import controller, delete, get, head, options, patch, post, put, route, websocket
from framework.controllers.compiler import join_path
from framework.controllers.decorators import controller_spec, route_spec
from framework.di import RequestScoped
from framework.middleware import Middleware
from framework.problems import NotFound, Unauthorized
from framework.responses import PlainTextResponse
from framework.testclient import TestClient
from framework.types import ASGIApp, Receive, Scope, Send
from framework.websockets import WebSocket

ClientFactory = Callable[..., TestClient]


class Counter:
    """A request-scoped object: one per request, shared by everything in it."""

    def __init__(self) -> None:
        self.value = 0


class Greeter:
    def __init__(self, counter: Counter) -> None:
        self.counter = counter

    def greet(self, name: str) -> str:
        self.counter.value += 1
        return f"Hello, {name}!"


class Container(containers.DeclarativeContainer):
    counter = RequestScoped(Counter)
    greeter = providers.Factory(Greeter, counter=counter)


@controller("/greetings", tags=["greetings"])
class GreetingController:
    instances = 0

    def __init__(self, greeter: Greeter, counter: Counter) -> None:
        GreetingController.instances += 1
        self.greeter = greeter
        self.counter = counter

    @get("/{name}")
    async def get_greeting(self, name: str) -> dict[str, Any]:
        text = self.greeter.greet(name)
        return {"text": text, "same_counter": self.greeter.counter is self.counter}

    @post("/", status_code=201)
    def create_greeting(self) -> dict[str, str]:
        return {"created": "yes"}

    @put("/{name}")
    async def replace_greeting(self, name: str) -> None:
        return None

    @delete("/{name}")
    async def delete_greeting(self, name: str) -> None:
        raise NotFound(f"No greeting for {name}.")


def test_decorators_only_attach_metadata() -> None:
    spec = route_spec(GreetingController.__dict__["get_greeting"])
    assert spec is not None
    assert (spec.path, spec.methods, spec.status_code) == ("/{name}", ("GET",), None)
    assert route_spec(GreetingController.__dict__["create_greeting"]).status_code == 201  # type: ignore[union-attr]
    controller_info = controller_spec(GreetingController)
    assert controller_info is not None
    assert (controller_info.path, controller_info.tags) == ("/greetings", ("greetings",))
    # The decorated function is the function itself, still callable directly.
    assert GreetingController.__dict__["get_greeting"].__name__ == "get_greeting"


def test_verbs_are_route_with_one_method() -> None:
    def handler(self: Any) -> None: ...

    for decorator, method in [(get, "GET"), (post, "POST"), (put, "PUT"), (patch, "PATCH"), (delete, "DELETE")]:
        fresh = decorator("/x", summary="s")(lambda self: None)
        assert route_spec(fresh).methods == (method,)  # type: ignore[union-attr]
        assert route_spec(fresh).summary == "s"  # type: ignore[union-attr]
    assert route_spec(head("/x")(lambda self: None)).methods == ("HEAD",)  # type: ignore[union-attr]
    assert route_spec(options("/x")(lambda self: None)).methods == ("OPTIONS",)  # type: ignore[union-attr]
    assert route_spec(route("/x", methods=["get", "post", "get"])(handler)).methods == ("GET", "POST")  # type: ignore[union-attr]


def test_decorator_errors_say_what_to_do() -> None:
    with pytest.raises(ValueError, match="must be empty or start with '/'"):
        get("users")
    with pytest.raises(ValueError, match="at least one HTTP method"):
        route("/x", methods=[])
    twice = get("/a")(lambda self: None)
    with pytest.raises(TypeError, match="already has a route; a handler serves one route"):
        post("/b")(twice)
    with pytest.raises(TypeError, match="applies to classes"):
        controller("/x")(lambda: None)  # type: ignore[type-var]


@pytest.mark.parametrize(
    ("prefix", "path", "expected"),
    [("/users", "/{id}", "/users/{id}"), ("/users", "/", "/users"), ("/users", "", "/users"), ("", "", "/")],
)
def test_join_path(prefix: str, path: str, expected: str) -> None:
    assert join_path(prefix, path) == expected


def test_controller_routes_serve_requests(test_client_factory: ClientFactory) -> None:
    app = create_app(Container(), controllers=[GreetingController], openapi=False)
    with test_client_factory(app) as client:
        response = client.get("/greetings/Ada")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert response.json() == {"text": "Hello, Ada!", "same_counter": True}

        response = client.post("/greetings")
        assert (response.status_code, response.json()) == (201, {"created": "yes"})

        response = client.put("/greetings/Ada")
        assert (response.status_code, response.content) == (204, b"")

        response = client.delete("/greetings/Bob")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"] == "No greeting for Bob."

        response = client.head("/greetings/Ada")
        assert (response.status_code, response.content) == (200, b"")


def test_controller_is_created_per_request(test_client_factory: ClientFactory) -> None:
    app = create_app(Container(), controllers=[GreetingController], openapi=False)
    before = GreetingController.instances
    with test_client_factory(app) as client:
        for _ in range(3):
            assert client.get("/greetings/x").status_code == 200
    assert GreetingController.instances == before + 3


def test_unknown_verb_is_405_listing_every_method_of_the_path(test_client_factory: ClientFactory) -> None:
    app = create_app(Container(), controllers=[GreetingController], openapi=False)
    with test_client_factory(app) as client:
        response = client.patch("/greetings/Ada")
        assert response.status_code == 405
        assert response.headers["allow"] == "GET, HEAD, PUT, DELETE"
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["title"] == "Method Not Allowed"

        response = client.request("BREW", "/greetings")
        assert response.status_code == 405
        assert response.headers["allow"] == "POST"

        response = client.get("/greetings")  # only POST is declared on the bare path
        assert (response.status_code, response.headers["allow"]) == (405, "POST")

        assert client.get("/nothing/here").status_code == 404


@controller("/things")
class ExplicitHeadController:
    @get("/")
    async def get_thing(self) -> dict[str, str]:
        return {"kind": "get"}

    @head("/")
    async def head_thing(self) -> PlainTextResponse:
        return PlainTextResponse("", headers={"x-handler": "head"})


def test_explicit_head_handler_wins_over_get(test_client_factory: ClientFactory) -> None:
    app = create_app(Container(), controllers=[ExplicitHeadController], openapi=False)
    with test_client_factory(app) as client:
        assert client.head("/things").headers["x-handler"] == "head"
        assert client.get("/things").json() == {"kind": "get"}


class _Tagging:
    """Route-level middleware that marks its responses."""

    def __init__(self, app: ASGIApp, tag: str) -> None:
        self.app = app
        self.tag = tag

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def tagged(message: Any) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-tag", self.tag.encode())]
            await send(message)

        await self.app(scope, receive, tagged)


class Gate:
    """A guard resolved before each handler: raises a domain error for requests without a token."""

    def __init__(self, counter: Counter) -> None:
        if counter.value < 0:
            raise Unauthorized("Token required.", headers={"WWW-Authenticate": "Bearer"})
        counter.value += 10


class GuardedContainer(Container):
    gate = RequestScoped(Gate, counter=Container.counter)


@controller("/guarded", middleware=[Middleware(_Tagging, tag="on")], dependencies=["gate"], name="guarded")
class GuardedController:
    def __init__(self, counter: Counter) -> None:
        self.counter = counter

    @get("/")
    async def read_counter(self) -> dict[str, int]:
        return {"counter": self.counter.value}


def test_controller_middleware_dependencies_and_name_prefix(test_client_factory: ClientFactory) -> None:
    container = GuardedContainer()
    app = create_app(container, controllers=[GuardedController], openapi=False)
    with test_client_factory(app) as client:
        response = client.get("/guarded")
        assert (response.status_code, response.json(), response.headers["x-tag"]) == (200, {"counter": 10}, "on")
        assert app.url_path_for("guarded:read_counter") == "/guarded"

        negative = Counter()
        negative.value = -1
        with container.counter.override(negative):
            response = client.get("/guarded")
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["detail"] == "Token required."


class BackgroundContainer(containers.DeclarativeContainer):
    counter = RequestScoped(Counter)


def test_background_tasks_run_after_the_response_in_a_fresh_scope(test_client_factory: ClientFactory) -> None:
    container = BackgroundContainer()
    seen: list[int] = []

    @controller("/jobs")
    class ScopedJobController:
        def __init__(self, counter: Counter) -> None:
            self.counter = counter

        @post("/", status_code=202)
        async def create_job(self, tasks: BackgroundTasks) -> dict[str, int]:
            tasks.add_task(lambda: seen.append(id(container.counter())))
            return {"request_counter": id(self.counter)}

    app = create_app(container, controllers=[ScopedJobController], openapi=False)
    with test_client_factory(app) as client:
        response = client.post("/jobs")
    assert response.status_code == 202
    assert len(seen) == 1
    assert seen[0] != response.json()["request_counter"]


@controller("/ws")
class EchoController:
    def __init__(self, counter: Counter) -> None:
        self.counter = counter

    @websocket("/{room}")
    async def echo(self, websocket: WebSocket, room: str) -> None:
        await websocket.accept()
        message = await websocket.receive_text()
        await websocket.send_text(f"{room}:{message}:{self.counter.value}")
        await websocket.close()


def test_websocket_handler(test_client_factory: ClientFactory) -> None:
    app = create_app(Container(), controllers=[EchoController], openapi=False)
    with test_client_factory(app) as client, client.websocket_connect("/ws/lobby") as session:
        session.send_text("hi")
        assert session.receive_text() == "lobby:hi:0"


class Closable:
    closed: list[BaseException | None] = []

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        Closable.closed.append(exc)


class WebSocketContainer(containers.DeclarativeContainer):
    counter = RequestScoped(Counter)
    closable = RequestScoped(Closable)


@controller("/live")
class LiveController:
    def __init__(self, closable: Closable, counter: Counter) -> None:
        self.closable = closable

    @websocket("/")
    async def watch(self, websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("hello")
        await websocket.close()


def test_websocket_connection_has_its_own_scope(test_client_factory: ClientFactory) -> None:
    Closable.closed = []
    app = create_app(WebSocketContainer(), controllers=[LiveController], openapi=False)
    with test_client_factory(app) as client:
        for _ in range(2):
            with client.websocket_connect("/live") as session:
                assert session.receive_text() == "hello"
    assert Closable.closed == [None, None]


@controller("/docs-demo", tags=["demo"])
class DocumentedController:
    @get("/", summary="List demos", description="Every demo.", tags=["extra"], responses={418: {"description": "Tea"}})
    async def list_demos(self) -> list[str]:
        return []

    @get("/hidden", include_in_schema=False)
    async def hidden_demo(self) -> None:
        return None


def test_route_metadata_reaches_openapi(test_client_factory: ClientFactory) -> None:
    app = create_app(Container(), controllers=[DocumentedController])
    with test_client_factory(app) as client:
        document = client.get("/openapi.json").json()
    operation = document["paths"]["/docs-demo"]["get"]
    assert operation["tags"] == ["demo", "extra"]
    assert (operation["summary"], operation["description"]) == ("List demos", "Every demo.")
    assert operation["responses"]["418"]["description"] == "Tea"
    assert "/docs-demo/hidden" not in document["paths"]


class Item(BaseModel):
    name: str
    quantity: int


@controller("/items")
class ItemController:
    @post("/", status_code=201)
    async def create_item(self, item: Item) -> Item:
        return item


@pytest.mark.parametrize(
    "body",
    [
        b'{"name": "x", "quantity": ',  # malformed
        b"[" * 100_000 + b"]" * 100_000,  # nested 100,000 deep
        b'{"name": "x", "quantity": ' + b"9" * 1_000_000 + b"}",  # an integer with 10^6 digits
        b'{"name": "x", "quantity": NaN}',
    ],
    ids=["malformed", "deep", "huge-int", "nan"],
)
def test_hostile_bodies_are_client_errors(body: bytes, test_client_factory: ClientFactory) -> None:
    app = create_app(Container(), controllers=[ItemController], openapi=False)
    with test_client_factory(app) as client:
        response = client.post("/items", content=body, headers={"content-type": "application/json"})
        assert response.status_code in (400, 422)
        assert response.headers["content-type"] == "application/problem+json"
        assert client.post("/items", json={"name": "ok", "quantity": 1}).status_code == 201
