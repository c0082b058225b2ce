from __future__ import annotations

import contextlib
import functools
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import anyio
import pytest

from framework._exception_handler import SendTracker
from framework.applications import Application
from framework.background import BackgroundTask
from framework.convertors import CONVERTOR_TYPES, StringConvertor
from framework.exceptions import HTTPException, StarletteDeprecationWarning
from framework.middleware import Middleware
from framework.requests import Request
from framework.responses import JSONResponse, PlainTextResponse, Response
from framework.routing import (
    BaseRoute,
    Host,
    Match,
    Mount,
    NoMatchFound,
    Route,
    Router,
    WebSocketRoute,
    _forwards_full_match,
    compile_path,
    get_name,
    replace_params,
)
from framework.testclient import TestClient
from framework.types import ASGIApp, Receive, Scope, Send
from framework.websockets import WebSocket, WebSocketDisconnect

TestClientFactory = Callable[..., TestClient]


async def homepage(request: Request) -> Response:
    return PlainTextResponse("Hello, world")


async def users(request: Request) -> Response:
    return PlainTextResponse("All users")


async def user(request: Request) -> Response:
    return PlainTextResponse(f"User {request.path_params['username']}")


async def user_me(request: Request) -> Response:
    return PlainTextResponse("User fixed me")


async def echo_scope(request: Request) -> Response:
    return JSONResponse(
        {
            "path": request.scope["path"],
            "root_path": request.scope.get("root_path", ""),
            "app_root_path": request.scope.get("app_root_path"),
            "path_params": {key: str(value) for key, value in request.path_params.items()},
        }
    )


async def websocket_endpoint(session: WebSocket) -> None:
    await session.accept()
    await session.send_text("Hello, world!")
    await session.close()


async def websocket_params(session: WebSocket) -> None:
    await session.accept()
    await session.send_text(f"Hello, {session.path_params['room']}!")
    await session.close()


class PlainASGIApp:
    """An ASGI class endpoint: Route must treat it as an app, not as request -> response."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await PlainTextResponse(f"ASGI {scope['method']}")(scope, receive, send)


router = Router(
    [
        Route("/", homepage),
        Route("/users", users, name="users"),
        Route("/users/me", user_me),
        Route("/users/{username}", user, name="user"),
        Route("/nums/{number:int}", echo_scope, name="int-param"),
        Route("/asgi", PlainASGIApp(), name="asgi"),
        Route("/post-only", homepage, methods=["POST"]),
        Mount("/static", app=PlainTextResponse("static"), name="static"),
        Mount(
            "/api",
            routes=[Route("/items/{item_id:uuid}", echo_scope, name="item"), Route("/", echo_scope, name="root")],
            name="api",
        ),
        WebSocketRoute("/ws", websocket_endpoint),
        WebSocketRoute("/ws/{room}", websocket_params, name="room"),
    ]
)


@pytest.fixture
def client(test_client_factory: TestClientFactory) -> Iterator[TestClient]:
    with test_client_factory(router) as client:
        yield client


def test_static_and_dynamic_routes(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.text == "Hello, world"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"

    assert client.get("/users").text == "All users"
    assert client.get("/users/me").text == "User fixed me"
    assert client.get("/users/tomchristie").text == "User tomchristie"


def test_unknown_path_is_plain_404_outside_an_application(client: TestClient) -> None:
    response = client.get("/nope")
    assert response.status_code == 404
    assert response.text == "Not Found"


def test_wrong_method_is_405_with_allow_header(client: TestClient) -> None:
    response = client.post("/users")
    assert response.status_code == 405
    assert response.text == "Method Not Allowed"
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD"}

    response = client.get("/post-only")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


def test_head_is_served_by_get_routes(client: TestClient) -> None:
    response = client.head("/users")
    assert response.status_code == 200
    assert response.text == ""
    assert response.headers["content-length"] == str(len("All users"))


def test_class_endpoint_is_an_asgi_app_accepting_any_method(client: TestClient) -> None:
    assert client.get("/asgi").text == "ASGI GET"
    assert client.delete("/asgi").text == "ASGI DELETE"


def test_path_params_are_converted(client: TestClient) -> None:
    response = client.get("/nums/42")
    assert response.json()["path_params"] == {"number": "42"}
    assert client.get("/nums/forty-two").status_code == 404


def test_mount_moves_prefix_into_root_path(client: TestClient) -> None:
    item = uuid.uuid4()
    response = client.get(f"/api/items/{item}")
    assert response.status_code == 200
    assert response.json() == {
        "path": f"/api/items/{item}",
        "root_path": "/api",
        "app_root_path": "",
        "path_params": {"item_id": str(item)},
    }


def test_mount_with_app(client: TestClient) -> None:
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert response.text == "static"


def test_redirect_slashes_both_ways(client: TestClient) -> None:
    response = client.get("/users/", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "http://testserver/users"

    response = client.get("/api", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "http://testserver/api/"

    response = client.get("/users/?page=2", follow_redirects=False)
    assert response.headers["location"] == "http://testserver/users?page=2"


def test_redirect_slashes_keeps_the_method(client: TestClient) -> None:
    response = client.post("/post-only/", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "http://testserver/post-only"


def test_redirect_slashes_can_be_disabled(test_client_factory: TestClientFactory) -> None:
    app = Router([Route("/users", users)], redirect_slashes=False)
    response = test_client_factory(app).get("/users/", follow_redirects=False)
    assert response.status_code == 404


def test_no_redirect_to_a_protocol_relative_location(test_client_factory: TestClientFactory) -> None:
    app = Router([Route("//{host}", homepage)])
    response = test_client_factory(app).get("//evil.example/", follow_redirects=False)
    assert response.status_code == 404
    assert "location" not in response.headers


def test_websocket_routes(client: TestClient) -> None:
    with client.websocket_connect("/ws") as session:
        assert session.receive_text() == "Hello, world!"
    with client.websocket_connect("/ws/lobby") as session:
        assert session.receive_text() == "Hello, lobby!"


def test_unmatched_websocket_is_closed(client: TestClient) -> None:
    with pytest.raises(WebSocketDisconnect) as info, client.websocket_connect("/nope"):
        pass  # pragma: no cover
    assert info.value.code == 1000


def test_websocket_path_does_not_match_http_route(client: TestClient) -> None:
    with pytest.raises(WebSocketDisconnect), client.websocket_connect("/users"):
        pass  # pragma: no cover


def test_url_path_for() -> None:
    assert router.url_path_for("homepage") == "/"
    assert router.url_path_for("user", username="tomchristie") == "/users/tomchristie"
    assert router.url_path_for("int-param", number=5) == "/nums/5"
    assert router.url_path_for("websocket_endpoint") == "/ws"
    assert router.url_path_for("room", room="lobby") == "/ws/lobby"
    assert router.url_path_for("static", path="/css/app.css") == "/static/css/app.css"
    item = uuid.UUID("ec38df32-ceda-4cfa-9b4a-1aeb94ad551a")
    assert router.url_path_for("api:item", item_id=item) == f"/api/items/{item}"
    assert router.url_path_for("api:root") == "/api/"


def test_url_path_for_protocols() -> None:
    assert router.url_path_for("user", username="x").protocol == "http"
    assert router.url_path_for("room", room="x").protocol == "websocket"


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("broken", {}, 'No route exists for name "broken" and params "".'),
        ("user", {}, 'No route exists for name "user" and params "".'),
        ("user", {"username": "a", "extra": 1}, 'No route exists for name "user" and params "username, extra".'),
        ("api:missing", {}, 'No route exists for name "api:missing" and params "".'),
    ],
)
def test_url_path_for_no_match(name: str, params: dict[str, Any], message: str) -> None:
    with pytest.raises(NoMatchFound) as info:
        router.url_path_for(name, **params)
    assert str(info.value) == message


def test_url_path_for_refuses_values_the_route_would_not_match() -> None:
    with pytest.raises(AssertionError):
        router.url_path_for("int-param", number=-1)
    with pytest.raises(ValueError, match="path separators"):
        router.url_path_for("user", username="a/b")


def test_nested_mounts_and_app_root_path(test_client_factory: TestClientFactory) -> None:
    app = Router(
        [Mount("/v1", routes=[Mount("/{tenant}", routes=[Route("/items", echo_scope, name="items")], name="tenant")])]
    )
    client = test_client_factory(app, root_path="/prefix")
    response = client.get("/prefix/v1/acme/items")
    assert response.status_code == 200
    assert response.json() == {
        "path": "/prefix/v1/acme/items",
        "root_path": "/prefix/v1/acme",
        "app_root_path": "/prefix",
        "path_params": {"tenant": "acme"},
    }
    assert app.url_path_for("tenant:items", tenant="acme") == "/v1/acme/items"


def test_mount_at_root_and_empty_path(test_client_factory: TestClientFactory) -> None:
    app = Router([Mount("", routes=[Route("/", homepage), Route("/users", users)])])
    client = test_client_factory(app)
    assert client.get("/").text == "Hello, world"
    assert client.get("/users").text == "All users"
    assert app.url_path_for("users") == "/users"


def test_mount_matches_prefix_on_segment_boundary(test_client_factory: TestClientFactory) -> None:
    app = Router([Mount("/api", app=PlainTextResponse("api")), Route("/apiary", users)])
    client = test_client_factory(app)
    assert client.get("/apiary").text == "All users"
    assert client.get("/api/x").text == "api"


def test_host_routing(test_client_factory: TestClientFactory) -> None:
    api = Router([Route("/", echo_scope, name="api-root")])
    app = Router(
        [
            Host("www.example.org", app=Router([Route("/", homepage)]), name="www"),
            Host("{subdomain}.example.org", app=api, name="tenant"),
            Route("/", users),
        ]
    )
    client = test_client_factory(app, base_url="https://acme.example.org")
    response = client.get("/")
    assert response.json()["path_params"] == {"subdomain": "acme"}

    assert client.get("/", headers={"host": "www.example.org:8443"}).text == "Hello, world"
    assert client.get("/", headers={"host": "other.test"}).text == "All users"

    url = app.url_path_for("tenant:api-root", subdomain="acme")
    assert url == "/"
    assert url.host == "acme.example.org"
    assert app.url_path_for("www", path="/about").host == "www.example.org"


def test_host_port_is_ignored_in_pattern() -> None:
    regex, fmt, convertors = compile_path("{sub}.example.org:8000")
    assert regex.match("api.example.org")
    assert fmt == "{sub}.example.org:8000"
    assert set(convertors) == {"sub"}


def test_first_matching_route_wins_in_declaration_order(test_client_factory: TestClientFactory) -> None:
    app = Router([Route("/{name}", user_param_echo), Route("/about", homepage)])
    assert test_client_factory(app).get("/about").text == "dynamic about"


async def user_param_echo(request: Request) -> Response:
    return PlainTextResponse(f"dynamic {request.path_params['name']}")


def test_full_match_after_partial_match_wins(test_client_factory: TestClientFactory) -> None:
    app = Router([Route("/items", users, methods=["POST"]), Route("/items", homepage, methods=["GET"])])
    client = test_client_factory(app)
    assert client.get("/items").text == "Hello, world"
    assert client.post("/items").text == "All users"
    assert client.put("/items").status_code == 405


def test_routes_added_after_first_request_are_found(test_client_factory: TestClientFactory) -> None:
    app = Router([Route("/", homepage)])
    client = test_client_factory(app)
    assert client.get("/late").status_code == 404
    app.add_route("/late", users)
    assert client.get("/late").text == "All users"
    app.routes.insert(0, Route("/", users))
    assert client.get("/").text == "All users"
    del app.routes[0]
    assert client.get("/").text == "Hello, world"
    app.routes = [Route("/", user_me)]
    assert client.get("/").text == "User fixed me"
    app.mount("/m", PlainTextResponse("mounted"))
    assert client.get("/m/x").text == "mounted"
    app.add_websocket_route("/ws", websocket_endpoint)
    with client.websocket_connect("/ws") as session:
        assert session.receive_text() == "Hello, world!"


def test_route_subclass_with_custom_matching_is_respected(test_client_factory: TestClientFactory) -> None:
    class HeaderRoute(Route):
        def matches(self, scope: Scope) -> tuple[Match, Scope]:
            if (b"x-beta", b"1") not in scope["headers"]:
                return Match.NONE, {}
            return super().matches(scope)

    app = Router([HeaderRoute("/", users), Route("/", homepage)])
    client = test_client_factory(app)
    assert client.get("/").text == "Hello, world"
    assert client.get("/", headers={"x-beta": "1"}).text == "All users"


def test_sync_endpoint_runs_in_a_worker_thread(test_client_factory: TestClientFactory) -> None:
    loop_thread: list[int] = []

    def sync_endpoint(request: Request) -> Response:
        return PlainTextResponse(str(threading.get_ident()))

    async def async_endpoint(request: Request) -> Response:
        loop_thread.append(threading.get_ident())
        return PlainTextResponse("ok")

    app = Router([Route("/sync", sync_endpoint), Route("/async", async_endpoint)])
    # One client session: the event loop thread stays alive, so its id cannot be reused by a worker.
    with test_client_factory(app) as client:
        client.get("/async")
        assert client.get("/sync").text != str(loop_thread[0])


def test_partial_and_method_endpoints(test_client_factory: TestClientFactory) -> None:
    async def greet(request: Request, greeting: str) -> Response:
        return PlainTextResponse(greeting)

    class Handlers:
        async def hello(self, request: Request) -> Response:
            return PlainTextResponse("method")

    partial_route = Route("/partial", functools.partial(greet, greeting="partial"))
    method_route = Route("/method", Handlers().hello)
    assert partial_route.name == "partial"
    assert method_route.name == "hello"
    assert partial_route.methods == {"GET", "HEAD"}
    client = test_client_factory(Router([partial_route, method_route]))
    assert client.get("/partial").text == "partial"
    assert client.get("/method").text == "method"


def test_route_middleware_wraps_only_that_route(test_client_factory: TestClientFactory) -> None:
    class Tag:
        def __init__(self, app: ASGIApp, tag: str) -> None:
            self.app = app
            self.tag = tag

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            async def tagged(message: Any) -> None:
                if message["type"] == "http.response.start":
                    message.setdefault("headers", []).append((b"x-tag", self.tag.encode()))
                await send(message)

            await self.app(scope, receive, tagged)

    app = Router(
        [
            Route("/tagged", homepage, middleware=[Middleware(Tag, "route")]),
            Route("/plain", homepage),
            Mount("/m", routes=[Route("/", homepage)], middleware=[Middleware(Tag, tag="mount")]),
        ],
        middleware=[Middleware(Tag, "router")],
    )
    client = test_client_factory(app)
    assert client.get("/tagged").headers.get_list("x-tag") == ["route", "router"]
    assert client.get("/plain").headers.get_list("x-tag") == ["router"]
    assert client.get("/m/").headers.get_list("x-tag") == ["mount", "router"]


def test_route_used_standalone(test_client_factory: TestClientFactory) -> None:
    route = Route("/", homepage)
    client = test_client_factory(route)
    assert client.get("/").text == "Hello, world"
    response = client.get("/other")
    assert response.status_code == 404
    assert response.text == "Not Found"
    assert client.post("/").status_code == 405


def test_websocket_route_used_standalone(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(WebSocketRoute("/ws", websocket_endpoint))
    with client.websocket_connect("/ws") as session:
        assert session.receive_text() == "Hello, world!"
    with pytest.raises(WebSocketDisconnect), client.websocket_connect("/other"):
        pass  # pragma: no cover
    assert client.get("/ws").status_code == 404


def test_inside_application_404_and_405_go_through_exception_handlers(test_client_factory: TestClientFactory) -> None:
    async def not_found(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": "missing"}, status_code=404)

    async def not_allowed(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": "method"}, status_code=405, headers=getattr(exc, "headers", None))

    app = Application(routes=[Route("/", homepage)], exception_handlers={404: not_found, 405: not_allowed})
    client = test_client_factory(app)
    assert client.get("/nope").json() == {"error": "missing"}
    response = client.post("/")
    assert response.json() == {"error": "method"}
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD"}


def test_default_app_for_unmatched_requests(test_client_factory: TestClientFactory) -> None:
    app = Router([Route("/", homepage)], default=PlainTextResponse("fallback", status_code=418))
    response = test_client_factory(app).get("/nope")
    assert response.status_code == 418
    assert response.text == "fallback"


def test_router_sets_router_in_scope_once(test_client_factory: TestClientFactory) -> None:
    seen: list[Any] = []

    async def endpoint(request: Request) -> Response:
        seen.append(request.scope["router"])
        return PlainTextResponse("ok")

    outer = Router([Mount("/inner", routes=[Route("/", endpoint)])])
    test_client_factory(outer).get("/inner/")
    assert seen == [outer]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/{id}/{id}", "Duplicated param name id at path /{id}/{id}"),
        ("/{a}/{b}/{a}/{b}", "Duplicated param names a, b at path /{a}/{b}/{a}/{b}"),
        ("/{id:nope}", "Unknown path convertor 'nope'"),
        ("users", "Routed paths must start with '/'"),
    ],
)
def test_bad_route_paths_fail_at_construction(path: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        Route(path, homepage)
    assert str(info.value) == message


def test_bad_mount_and_host_definitions() -> None:
    with pytest.raises(AssertionError, match="Routed paths must start with '/'"):
        Mount("api", app=PlainTextResponse("x"))
    with pytest.raises(ValueError, match=r"Either 'app=\.\.\.', or 'routes=' must be specified"):
        Mount("/api")
    with pytest.raises(ValueError, match="Host must not start with '/'"):
        Host("/example.org", app=router)
    with pytest.raises(ValueError, match="Routed paths must start with '/'"):
        WebSocketRoute("ws", websocket_endpoint)


def test_compile_path() -> None:
    regex, path_format, convertors = compile_path("/users/{id:int}/files/{name}")
    match = regex.match("/users/7/files/report.pdf")
    assert match is not None
    assert match.groupdict() == {"id": "7", "name": "report.pdf"}
    assert path_format == "/users/{id}/files/{name}"
    assert set(convertors) == {"id", "name"}
    assert compile_path("/a.b")[0].match("/aXb") is None


def test_reprs() -> None:
    assert repr(Route("/welcome", homepage)) == "Route(path='/welcome', name='homepage', methods=['GET', 'HEAD'])"
    assert repr(Route("/asgi", PlainASGIApp())) == "Route(path='/asgi', name='PlainASGIApp', methods=[])"
    assert repr(WebSocketRoute("/ws", websocket_endpoint)) == "WebSocketRoute(path='/ws', name='websocket_endpoint')"
    assert repr(Mount("/app", routes=[])).startswith("Mount(path='/app', name='', app=")
    assert repr(Mount("/app", routes=[], name="app")).startswith("Mount(path='/app', name='app', app=")
    assert repr(Host("example.org", app=router)).startswith("Host(host='example.org', name='', app=")


def test_equality() -> None:
    assert Route("/", homepage) == Route("/", homepage)
    assert Route("/", homepage) != Route("/", homepage, methods=["POST"])
    assert Route("/", homepage) != Route("/", users)
    assert WebSocketRoute("/ws", websocket_endpoint) == WebSocketRoute("/ws", websocket_endpoint)
    app = PlainTextResponse("x")
    assert Mount("/m", app=app) == Mount("/m", app=app)
    assert Host("a.org", app=app) == Host("a.org", app=app)
    assert Host("a.org", app=app) != Host("b.org", app=app)


def test_get_name() -> None:
    assert get_name(homepage) == "homepage"
    assert get_name(PlainASGIApp()) == "PlainASGIApp"


def test_mount_routes_property() -> None:
    inner = [Route("/", homepage)]
    assert Mount("/m", routes=inner).routes == inner
    assert Mount("/m", app=PlainTextResponse("x")).routes == []
    assert isinstance(router.routes[0], BaseRoute)


# Lifespan


def test_lifespan_context_manager_with_state(test_client_factory: TestClientFactory) -> None:
    events: list[str] = []

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[dict[str, str]]:
        events.append("startup")
        yield {"greeting": "hi"}
        events.append("shutdown")

    async def endpoint(request: Request) -> Response:
        return PlainTextResponse(request.state.greeting)

    app = Router([Route("/", endpoint)], lifespan=lifespan)
    with test_client_factory(app) as client:
        assert events == ["startup"]
        assert client.get("/").text == "hi"
    assert events == ["startup", "shutdown"]


def test_lifespan_state_needs_server_support(test_client_factory: TestClientFactory) -> None:
    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[dict[str, str]]:
        yield {"foo": "bar"}

    app = Router(lifespan=lifespan)

    async def no_state(scope: Scope, receive: Receive, send: Send) -> None:
        del scope["state"]
        await app(scope, receive, send)

    with (
        pytest.raises(RuntimeError, match='The server does not support "state" in the lifespan scope'),
        test_client_factory(no_state),
    ):
        raise AssertionError("unreachable")  # pragma: no cover


def test_lifespan_startup_failure_is_reported(test_client_factory: TestClientFactory) -> None:
    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        raise RuntimeError("database is down")
        yield  # pragma: no cover

    with pytest.raises(RuntimeError, match="database is down"), test_client_factory(Router(lifespan=lifespan)):
        raise AssertionError("unreachable")  # pragma: no cover


@pytest.mark.anyio
async def test_lifespan_failure_messages_carry_the_traceback() -> None:
    @contextlib.asynccontextmanager
    async def failing_startup(app: Any) -> AsyncIterator[None]:
        raise RuntimeError("startup broke")
        yield  # pragma: no cover

    @contextlib.asynccontextmanager
    async def failing_shutdown(app: Any) -> AsyncIterator[None]:
        yield
        raise RuntimeError("shutdown broke")

    for lifespan, expected in [(failing_startup, "startup"), (failing_shutdown, "shutdown")]:
        sent = await run_lifespan(Router(lifespan=lifespan), expected)
        assert sent[-1]["type"] == f"lifespan.{expected}.failed"
        assert f"RuntimeError: {expected} broke" in sent[-1]["message"]
        assert "Traceback" in sent[-1]["message"]


async def run_lifespan(app: Router, expected: str) -> list[dict[str, Any]]:
    incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: Any) -> None:
        sent.append(message)

    with pytest.raises(RuntimeError, match=f"{expected} broke"):
        await app({"type": "lifespan", "state": {}}, receive, send)
    return sent


def test_lifespan_receives_the_application(test_client_factory: TestClientFactory) -> None:
    seen: list[Any] = []

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        seen.append(app)
        yield

    app = Application(lifespan=lifespan)
    with test_client_factory(app):
        pass
    assert seen == [app]


def test_deprecated_generator_lifespans_still_work(test_client_factory: TestClientFactory) -> None:
    events: list[str] = []

    def sync_lifespan(app: Any) -> Iterator[None]:
        events.append("sync up")
        yield
        events.append("sync down")

    async def async_lifespan(app: Any) -> AsyncIterator[None]:
        events.append("async up")
        yield
        events.append("async down")

    with pytest.deprecated_call(match="generator function lifespans are deprecated"):
        sync_router = Router(lifespan=sync_lifespan)  # type: ignore[arg-type]
    with pytest.deprecated_call(match="async generator function lifespans are deprecated"):
        async_router = Router(lifespan=async_lifespan)  # type: ignore[arg-type]
    for app in (sync_router, async_router):
        with test_client_factory(app):
            pass
    assert events == ["sync up", "sync down", "async up", "async down"]


def test_router_without_lifespan_completes_startup_and_shutdown(test_client_factory: TestClientFactory) -> None:
    with test_client_factory(Router([Route("/", homepage)])) as client:
        assert client.get("/").status_code == 200


@pytest.mark.anyio
async def test_router_rejects_unknown_scope_types() -> None:
    async def receive() -> Any:  # pragma: no cover
        return {}

    async def send(message: Any) -> None:  # pragma: no cover
        pass

    with pytest.raises(RuntimeError, match="'webtransport'"):
        await Router()({"type": "webtransport", "path": "/", "headers": []}, receive, send)


def _naive_choice(routes: list[BaseRoute], scope: Scope) -> tuple[str, Any]:
    """What an unindexed in-order scan picks: the reference the router's index must agree with."""
    partial = None
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return "full", route
        if match is Match.PARTIAL and partial is None:
            partial = route
    return ("partial", partial) if partial is not None else ("none", None)


def test_indexed_dispatch_agrees_with_an_in_order_scan(test_client_factory: TestClientFactory) -> None:
    def tagged(tag: str) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            return PlainTextResponse(tag)

        return endpoint

    routes: list[BaseRoute] = [
        Route("/a", tagged("post a"), methods=["POST"]),
        Mount("/users", routes=[Route("/me", tagged("mounted me"))]),
        Route("/users/me", tagged("static me")),
        Route("/{page}", tagged("page")),
        Route("/a", tagged("get a")),
        Route("/about", tagged("about")),
        Route("/files/{rest:path}", tagged("files")),
        Route("/files/x", tagged("static files x")),
        WebSocketRoute("/a", websocket_endpoint),
        Route("/b/", tagged("b slash")),
    ]
    app = Router(routes)
    client = test_client_factory(app)
    for method in ("GET", "POST", "DELETE"):
        for path in ("/a", "/about", "/users/me", "/users/you", "/files/x", "/files/y/z", "/b/", "/b", "/zzz", "/"):
            scope: Scope = {"type": "http", "method": method, "path": path, "root_path": "", "headers": []}
            kind, expected = _naive_choice(routes, scope)
            response = client.request(method, path, follow_redirects=False)
            if kind == "full":
                reference = test_client_factory(expected).request(method, path)
                assert (response.status_code, response.text) == (reference.status_code, reference.text), path
            elif kind == "partial":
                assert response.status_code == 405, (method, path)
            else:
                assert response.status_code in (404, 307), (method, path)


def test_http_endpoint_class_is_served_as_an_asgi_app(test_client_factory: TestClientFactory) -> None:
    from framework.endpoints import HTTPEndpoint

    class Items(HTTPEndpoint):
        async def get(self, request: Request) -> Response:
            return PlainTextResponse("list")

        async def post(self, request: Request) -> Response:
            return PlainTextResponse("created", status_code=201)

    route = Route("/items", Items)
    assert route.methods is None
    assert route.name == "Items"
    client = test_client_factory(Router([route]))
    assert client.get("/items").text == "list"
    assert client.post("/items").status_code == 201
    response = client.put("/items")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD, POST"


def test_router_records_the_matched_route_in_scope(test_client_factory: TestClientFactory) -> None:
    seen: list[Any] = []

    async def endpoint(request: Request) -> PlainTextResponse:
        seen.append(request.scope["route"])
        return PlainTextResponse("ok")

    static = Route("/static", endpoint)
    dynamic = Route("/items/{item_id}", endpoint)
    client = test_client_factory(Router(routes=[static, Mount("/api", routes=[dynamic])]))
    assert client.get("/static").text == "ok"
    assert client.get("/api/items/3").text == "ok"
    assert seen == [static, dynamic]


def test_host_routes_ignore_case_and_accept_ip_literals(test_client_factory: TestClientFactory) -> None:
    async def which(request: Request) -> PlainTextResponse:
        return PlainTextResponse(request.path_params.get("sub", "literal"))

    app = Router(
        routes=[
            Host("{sub}.Example.COM", app=Route("/", which)),
            Host("[::1]", app=Route("/", which)),
        ]
    )
    client = test_client_factory(app)
    assert client.get("/", headers={"host": "Docs.example.com"}).text == "docs"
    assert client.get("/", headers={"host": "[::1]:8000"}).text == "literal"
    # A malformed Host header matches no host route at all.
    assert client.get("/", headers={"host": "docs.example.com:evil"}).status_code == 404


def test_replace_params_does_not_expand_values_twice() -> None:
    convertors = compile_path("/{a}/{b}")[2]
    path, remaining = replace_params("/{a}/{b}", convertors, {"a": "{b}", "b": "x", "extra": 1})
    assert path == "/{b}/x"
    assert remaining == {"extra": 1}


def test_routers_with_the_same_routes_are_equal() -> None:
    async def endpoint(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")  # pragma: no cover - never called

    def build() -> Router:
        return Router(routes=[Route("/", endpoint)])

    assert build() == build()
    assert Mount("/m", app=build()) == Mount("/m", app=build())
    assert build() != Router(routes=[Route("/other", endpoint)])


def test_generator_lifespan_warning_names_the_routing_module() -> None:
    def lifespan(app: Any) -> Iterator[None]:
        yield  # pragma: no cover - never run

    with pytest.warns(StarletteDeprecationWarning, match="generator function lifespans are deprecated") as record:
        Router(lifespan=lifespan)  # type: ignore[arg-type]
    assert record[0].filename.endswith("routing.py")


# --- request_response sends complete responses itself; the router matches `Route`s itself -------------------


def _http_scope(path: str, method: str = "GET", **extra: Any) -> Scope:
    return {"type": "http", "method": method, "path": path, "root_path": "", "headers": [], **extra}


async def _serve(app: ASGIApp, scope: Scope, send: Send | None = None) -> list[Any]:
    messages: list[Any] = []

    async def receive() -> dict[str, Any]:  # pragma: no cover - no endpoint here reads the body
        return {"type": "http.request", "body": b"", "more_body": False}

    async def record(message: Any) -> None:
        messages.append(message)

    await app(scope, receive, record if send is None else send)
    return messages


@pytest.mark.anyio
async def test_complete_response_messages_then_background() -> None:
    events: list[str] = []

    async def later() -> None:
        events.append("background")

    async def endpoint(request: Request) -> Response:
        return PlainTextResponse("hello", background=BackgroundTask(later))

    messages = await _serve(Router([Route("/", endpoint)]), _http_scope("/"))
    assert messages == [
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-length", b"5"), (b"content-type", b"text/plain; charset=utf-8")],
        },
        {"type": "http.response.body", "body": b"hello"},
    ]
    assert events == ["background"]


@pytest.mark.anyio
async def test_response_with_its_own_call_is_called() -> None:
    class Custom(Response):
        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            await send({"type": "http.response.start", "status": 299, "headers": []})
            await send({"type": "http.response.body", "body": b"custom"})

    async def endpoint(request: Request) -> Response:
        return Custom()

    messages = await _serve(Router([Route("/", endpoint)]), _http_scope("/"))
    assert [message.get("status", message.get("body")) for message in messages] == [299, b"custom"]


@pytest.mark.anyio
async def test_endpoint_returning_a_non_response_fails_as_before() -> None:
    async def endpoint(request: Request) -> Any:
        return None

    with pytest.raises(TypeError, match="'NoneType' object is not callable"):
        await _serve(Router([Route("/", endpoint)]), _http_scope("/"))


@pytest.mark.anyio
async def test_complete_response_through_stacked_trackers() -> None:
    messages: list[Any] = []

    async def record(message: Any) -> None:
        messages.append(message)

    async def endpoint(request: Request) -> Response:
        return Response(b"ok")

    inner = SendTracker(record)
    outer = SendTracker(inner)
    await _serve(Router([Route("/", endpoint)]), _http_scope("/"), send=outer)
    assert [message["type"] for message in messages] == ["http.response.start", "http.response.body"]
    assert outer.started
    assert inner.started


def test_failure_after_a_complete_response_started_is_not_answered_twice(
    test_client_factory: TestClientFactory,
) -> None:
    async def boom() -> None:
        raise HTTPException(status_code=418)

    async def endpoint(request: Request) -> Response:
        return PlainTextResponse("sent", background=BackgroundTask(boom))

    app = Application(routes=[Route("/", endpoint)])
    with pytest.raises(RuntimeError, match=r"Caught handled exception, but response already started\."):
        test_client_factory(app).get("/")
    response = test_client_factory(app, raise_server_exceptions=False).get("/")
    assert (response.status_code, response.text) == (200, "sent")


def test_dynamic_routes_convert_params_and_keep_mount_params_first(test_client_factory: TestClientFactory) -> None:
    async def params(request: Request) -> Response:
        return JSONResponse({"order": list(request.path_params), "values": request.path_params})

    app = Router(
        [
            Mount("/orgs/{org}", routes=[Route("/items/{item_id:int}/{rest:path}", params)]),
            Route("/floats/{value:float}", params),
        ]
    )
    client = test_client_factory(app)
    response = client.get("/orgs/acme/items/7/a/b")
    assert response.json() == {
        "order": ["org", "item_id", "rest"],
        "values": {"org": "acme", "item_id": 7, "rest": "a/b"},
    }
    assert client.get("/floats/1.5").json()["values"] == {"value": 1.5}
    # Too many digits for int(): no match, not a crash.
    assert client.get(f"/orgs/acme/items/{'9' * 5000}/x").status_code == 404


def test_dynamic_partial_match_answers_405_unless_a_later_route_fits(test_client_factory: TestClientFactory) -> None:
    async def read(request: Request) -> Response:
        return PlainTextResponse(f"read {request.path_params['item_id']}")

    async def write(request: Request) -> Response:
        return PlainTextResponse(f"write {request.path_params['item_id']!r}")

    client = test_client_factory(
        Router([Route("/items/{item_id:int}", read), Route("/items/{item_id}", write, methods=["PUT"])])
    )
    assert client.get("/items/3").text == "read 3"
    assert client.put("/items/3").text == "write '3'"
    response = client.delete("/items/3")
    assert response.status_code == 405
    assert response.headers["allow"] in ("GET, HEAD", "HEAD, GET")


def test_convertors_replaced_after_the_first_request_are_used(test_client_factory: TestClientFactory) -> None:
    async def show(request: Request) -> Response:
        return PlainTextResponse(repr(request.path_params["item_id"]))

    route = Route("/items/{item_id:int}", show)
    client = test_client_factory(Router([route]))
    assert client.get("/items/12").text == "12"
    route.param_convertors = {"item_id": CONVERTOR_TYPES["str"]}
    assert client.get("/items/12").text == "'12'"


def test_custom_convertor_in_a_dynamic_route(test_client_factory: TestClientFactory) -> None:
    class Upper(StringConvertor):
        def convert(self, value: str) -> str:
            return value.upper()

    async def show(request: Request) -> Response:
        return PlainTextResponse(request.path_params["name"])

    route = Route("/names/{name}", show)
    route.param_convertors = {"name": Upper()}
    assert test_client_factory(Router([route])).get("/names/ada").text == "ADA"


def test_static_route_with_its_own_handle_is_dispatched_through_it(test_client_factory: TestClientFactory) -> None:
    calls: list[str] = []

    class Audited(Route):
        async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
            calls.append(scope["method"])
            await super().handle(scope, receive, send)

    client = test_client_factory(Router([Audited("/a", homepage), Audited("/b/{x}", homepage)]))
    assert client.get("/a").text == "Hello, world"
    assert client.get("/b/1").text == "Hello, world"
    assert client.post("/a").status_code == 405
    assert calls == ["GET", "GET", "POST"]


def test_handle_declared_forwarding_is_skipped_on_full_matches(test_client_factory: TestClientFactory) -> None:
    calls: list[str] = []

    class CustomNotAllowed(Route):
        @_forwards_full_match
        async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
            calls.append(scope["method"])
            if self.methods and scope["method"] not in self.methods:
                await PlainTextResponse("no", status_code=405)(scope, receive, send)
                return
            await self.app(scope, receive, send)  # pragma: no cover - the router calls the app itself

    client = test_client_factory(Router([CustomNotAllowed("/a", homepage), CustomNotAllowed("/b/{x}", homepage)]))
    assert client.get("/a").text == "Hello, world"
    assert client.get("/b/1").text == "Hello, world"
    assert calls == []
    assert client.post("/b/1").text == "no"
    assert calls == ["POST"]


def test_root_path_is_stripped_before_static_lookup(test_client_factory: TestClientFactory) -> None:
    app = Router([Route("/users", users)])
    client = test_client_factory(app, root_path="/api")
    assert client.get("/api/users").text == "All users"
    assert client.get("/apiusers").status_code == 404


def test_path_with_a_newline_matches_like_a_regex_scan(test_client_factory: TestClientFactory) -> None:
    seen: list[Any] = []

    async def capture(request: Request) -> Response:
        seen.append((request.scope["route"].path, dict(request.path_params)))
        return PlainTextResponse("ok")

    app = Router([Route("/a", capture), Route("/n/{number:int}", capture)])
    for path in ("/a\n", "/n/5\n"):
        anyio.run(_serve, app, _http_scope(path))
    assert seen == [("/a", {}), ("/n/{number:int}", {"number": 5})]


def test_route_list_stays_a_list_and_every_change_is_seen(test_client_factory: TestClientFactory) -> None:
    first, second = Route("/", homepage), Route("/", users)
    app = Router([first])
    client = test_client_factory(app)
    assert client.get("/").text == "Hello, world"
    app.routes += [second]
    assert app.routes.index(second) == 1
    app.routes.reverse()
    assert client.get("/").text == "All users"
    app.routes[0] = first
    assert client.get("/").text == "Hello, world"
    app.routes[0:1] = [second]
    assert client.get("/").text == "All users"
    app.routes.pop(0)
    assert client.get("/").text == "Hello, world"
    app.routes.clear()
    assert client.get("/").status_code == 404


def test_route_subclass_matching_its_own_way_can_answer_405(test_client_factory: TestClientFactory) -> None:
    class Logged(Route):
        def matches(self, scope: Scope) -> tuple[Match, Scope]:
            return super().matches(scope)

    client = test_client_factory(Router([Logged("/items/{item_id}", homepage), Route("/items/{item_id}", users)]))
    assert client.get("/items/1").text == "Hello, world"
    response = client.post("/items/1")
    assert response.status_code == 405
    assert response.headers["allow"] in ("GET, HEAD", "HEAD, GET")
