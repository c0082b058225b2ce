from __future__ import annotations

import contextlib
import functools
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from framework.applications import Application
from framework.exceptions import StarletteDeprecationWarning
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
