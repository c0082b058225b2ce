"""GraphQLRoute over HTTP: services from the container per request, errors, negotiation, GET rules, GraphiQL."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
import strawberry
from dependency_injector import containers, providers
from strawberry.file_uploads import Upload
from strawberry.types import Info

from framework.applications import Application
from framework.background import BackgroundTask
from framework.bootstrap import create_app
from framework.datastructures import UploadFile
from framework.di import RequestScope, RequestScoped
from framework.graphql import GraphQLContext, GraphQLRoute, scoped_loader
from framework.middleware import Middleware
from framework.problems import NotFound
from framework.responses import PlainTextResponse
from framework.testclient import TestClient
from framework.types import ASGIApp, Receive, Scope, Send
from framework.websockets import WebSocketClose, WebSocketDisconnect

Ctx = Info[GraphQLContext, None]


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, Any]]:
    # Strawberry and graphql-core run on asyncio only (asyncio.gather, create_task): see test_trio_is_refused.
    return ("asyncio", {})


class Journal:
    """Singleton: what happened to units of work and which loads ran, across requests."""

    def __init__(self) -> None:
        self.settled: list[str] = []
        self.resolved: list[str] = []
        self.batches: list[list[int]] = []
        self.background: list[str] = []
        self.greeters = 0

    async def load_names(self, keys: list[int]) -> list[str]:
        self.batches.append(list(keys))
        return [f"user-{k}" for k in keys]


class Unit:
    """A fake unit of work: commits on a success status, rolls back otherwise (like RequestSession)."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self.pending: list[str] = []


class UnitProvider(RequestScoped[Unit]):
    def on_created(self, instance: Any, scope: RequestScope) -> None:
        async def settle(status: int) -> None:
            outcome = "rollback" if status >= 400 else "commit"
            instance.journal.settled.append(f"{outcome}:{','.join(instance.pending)}")

        scope.before_response(settle)


class Greeter:
    """Request-scoped service: one instance per request, shared by every resolver of that request."""

    def __init__(self, unit: Unit) -> None:
        self.unit = unit
        unit.journal.greeters += 1

    def greet(self, name: str) -> str:
        return f"Hello, {name}!"


class Container(containers.DeclarativeContainer):
    journal = providers.Singleton(Journal)
    unit = UnitProvider(Unit, journal=journal)
    greeter = RequestScoped(Greeter, unit=unit)


@strawberry.type
class Query:
    @strawberry.field
    def hello(self, info: Ctx, name: str = "world") -> str:
        info.context.get(Journal).resolved.append("hello")
        return info.context.get(Greeter).greet(name)

    @strawberry.field
    def same_greeter(self, info: Ctx) -> bool:
        container: Any = info.context.container
        return info.context.get(Greeter) is info.context.resolve(container.greeter)

    @strawberry.field
    def greeters(self, info: Ctx) -> int:
        info.context.get(Greeter)
        return info.context.get(Journal).greeters

    @strawberry.field
    def boom(self) -> str:
        raise RuntimeError("password=hunter2 in /srv/app/secret.py")

    @strawberry.field
    def missing(self) -> str:
        raise NotFound("Task 7 does not exist.", code="TASK_NOT_FOUND")

    @strawberry.field
    async def names(self, info: Ctx, ids: list[int]) -> list[str]:
        loader = info.context.loader(info.context.get(Journal).load_names)
        assert scoped_loader(info.context.get(Journal).load_names) is loader  # one loader per scope
        return list(await loader.load_many(ids))

    @strawberry.field
    def header(self, info: Ctx, name: str) -> str | None:
        return info.context.request.headers.get(name)


@strawberry.type
class Mutation:
    @strawberry.mutation
    def write(self, info: Ctx, text: str) -> str:
        info.context.get(Unit).pending.append(text)
        return text

    @strawberry.mutation
    def write_then_fail(self, info: Ctx, text: str) -> str:
        info.context.get(Unit).pending.append(text)
        raise RuntimeError("disk full")

    @strawberry.mutation
    def set_cookie(self, info: Ctx) -> bool:
        response = info.context.response
        assert response is not None
        response.set_cookie("seen", "yes")
        response.headers["x-graphql"] = "1"
        journal = info.context.get(Journal)
        response.background = BackgroundTask(journal.background.append, "after")
        return True


schema = strawberry.Schema(query=Query, mutation=Mutation)


def build(container: Container | None = None, *, debug: bool = False, **route_options: Any) -> Application:
    container = container or Container()
    return create_app(container, routes=[GraphQLRoute("/graphql", schema, **route_options)], debug=debug)


def post(client: TestClient, query: str, **extra: Any) -> Any:
    return client.post("/graphql", json={"query": query, **extra})


def test_query_resolves_a_request_scoped_service_from_the_container(
    test_client_factory: Callable[..., TestClient],
) -> None:
    client = test_client_factory(build())
    response = post(client, '{ hello(name: "Ada") sameGreeter }')
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"data": {"hello": "Hello, Ada!", "sameGreeter": True}}


def test_each_request_gets_its_own_scope(test_client_factory: Callable[..., TestClient]) -> None:
    container = Container()
    client = test_client_factory(build(container))
    assert post(client, "{ a: greeters b: greeters }").json() == {"data": {"a": 1, "b": 1}}
    assert post(client, "{ greeters }").json() == {"data": {"greeters": 2}}
    client = test_client_factory(build(container))
    post(client, 'mutation { write(text: "x") }')
    post(client, 'mutation { write(text: "y") }')
    # The greeter pulled a unit of work into the first two requests too: each request settled its own.
    assert container.journal().settled == ["commit:", "commit:", "commit:x", "commit:y"]


def test_get_query_with_variables(test_client_factory: Callable[..., TestClient]) -> None:
    client = test_client_factory(build())
    response = client.get(
        "/graphql", params={"query": "query Q($n: String!) { hello(name: $n) }", "variables": '{"n": "GET"}'}
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"hello": "Hello, GET!"}}


def test_mutation_over_get_is_405_and_runs_nothing(test_client_factory: Callable[..., TestClient]) -> None:
    container = Container()
    client = test_client_factory(build(container))
    response = client.get("/graphql", params={"query": 'mutation { write(text: "no") }'})
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json() == {
        "errors": [
            {"message": "Mutations cannot be sent with GET; use POST.", "extensions": {"code": "METHOD_NOT_ALLOWED"}}
        ]
    }
    assert container.journal().settled == []


def test_queries_over_get_can_be_switched_off(test_client_factory: Callable[..., TestClient]) -> None:
    client = test_client_factory(build(allow_queries_via_get=False))
    response = client.get("/graphql", params={"query": "{ hello }"})
    assert response.status_code == 405
    assert post(client, "{ hello }").json() == {"data": {"hello": "Hello, world!"}}


def test_other_methods_are_405(test_client_factory: Callable[..., TestClient]) -> None:
    client = test_client_factory(build())
    response = client.put("/graphql", json={"query": "{ hello }"})
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"


def test_mutation_commits_before_the_response(test_client_factory: Callable[..., TestClient]) -> None:
    container = Container()
    client = test_client_factory(build(container))
    response = post(client, 'mutation { write(text: "saved") }')
    assert response.status_code == 200
    assert response.json() == {"data": {"write": "saved"}}
    assert container.journal().settled == ["commit:saved"]


def test_resolver_error_after_writing_rolls_back(test_client_factory: Callable[..., TestClient]) -> None:
    container = Container()
    client = test_client_factory(build(container))
    response = post(client, 'mutation { write(text: "a") writeThenFail(text: "b") }')
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    assert body["errors"] == [
        {
            "message": "Internal server error.",
            "locations": [{"line": 1, "column": 29}],
            "path": ["writeThenFail"],
            "extensions": {"code": "INTERNAL_SERVER_ERROR"},
        }
    ]
    assert container.journal().settled == ["rollback:a,b"]


def test_resolver_errors_never_leak_details_unless_debug(test_client_factory: Callable[..., TestClient]) -> None:
    client = test_client_factory(build())
    error = post(client, "{ boom }").json()["errors"][0]
    assert error["message"] == "Internal server error."
    assert "hunter2" not in str(error)
    assert "Traceback" not in str(error)
    debug_client = test_client_factory(build(debug=True))
    debug_error = post(debug_client, "{ boom }").json()["errors"][0]
    assert debug_error["message"] == "RuntimeError: password=hunter2 in /srv/app/secret.py"
    assert debug_error["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}


def test_domain_errors_keep_their_message_and_code(test_client_factory: Callable[..., TestClient]) -> None:
    client = test_client_factory(build())
    body = post(client, "{ missing hello }").json()
    assert body["data"] is None  # non-null field failed
    assert body["errors"][0]["message"] == "Task 7 does not exist."
    assert body["errors"][0]["extensions"] == {"code": "TASK_NOT_FOUND"}
    assert body["errors"][0]["path"] == ["missing"]


def test_validation_errors_hide_field_suggestions_unless_debug(test_client_factory: Callable[..., TestClient]) -> None:
    client = test_client_factory(build())
    body = post(client, "{ helo }").json()
    assert body["errors"][0]["message"] == "Cannot query field 'helo' on type 'Query'."
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    debug_client = test_client_factory(build(debug=True))
    assert "Did you mean 'hello'?" in post(debug_client, "{ helo }").json()["errors"][0]["message"]


def test_graphql_response_json_negotiation(test_client_factory: Callable[..., TestClient]) -> None:
    client = test_client_factory(build())
    accept = {"accept": "application/graphql-response+json, application/json;q=0.9"}
    ok = client.post("/graphql", json={"query": "{ hello }"}, headers=accept)
    assert ok.status_code == 200
    assert ok.headers["content-type"] == "application/graphql-response+json"
    assert ok.json() == {"data": {"hello": "Hello, world!"}}
    invalid = client.post("/graphql", json={"query": "{ nope }"}, headers=accept)
    assert invalid.status_code == 400
    assert invalid.headers["content-type"] == "application/graphql-response+json"
    assert "data" not in invalid.json()
    legacy = client.post("/graphql", json={"query": "{ nope }"}, headers={"accept": "application/json"})
    assert legacy.status_code == 200
    assert legacy.json()["data"] is None
    prefers_json = client.post(
        "/graphql", json={"query": "{ hello }"}, headers={"accept": "application/graphql-response+json;q=0.5, */*"}
    )
    assert prefers_json.headers["content-type"] == "application/json"


def test_dataloader_batches_within_a_request_only(test_client_factory: Callable[..., TestClient]) -> None:
    container = Container()
    client = test_client_factory(build(container))
    body = post(client, "{ a: names(ids: [1, 2]) b: names(ids: [2, 3]) }").json()
    assert body == {"data": {"a": ["user-1", "user-2"], "b": ["user-2", "user-3"]}}
    post(client, "{ names(ids: [1]) }")
    assert container.journal().batches == [[1, 2, 3], [1]]


def test_sub_response_headers_cookies_and_background(test_client_factory: Callable[..., TestClient]) -> None:
    container = Container()
    client = test_client_factory(build(container))
    response = post(client, "mutation { setCookie }")
    assert response.status_code == 200
    assert response.headers["x-graphql"] == "1"
    assert response.cookies["seen"] == "yes"
    assert response.headers["content-type"] == "application/json"
    assert container.journal().background == ["after"]


def test_malformed_requests_are_4xx_graphql_errors(test_client_factory: Callable[..., TestClient]) -> None:
    client = test_client_factory(build())
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"content": b"{not json", "headers": {"content-type": "application/json"}}, 400, "BAD_REQUEST"),
        ({"content": b"[" * 100_000 + b"]" * 100_000, "headers": {"content-type": "application/json"}}, 400, ""),
        (
            {
                "content": b'{"query": "{ hello }", "variables": {"n": ' + b"9" * 100_000 + b"}}",
                "headers": {"content-type": "application/json"},
            },
            400,
            "BAD_REQUEST",
        ),
        ({"json": 42}, 400, "BAD_REQUEST"),
        ({"json": {"query": 42}}, 400, "BAD_REQUEST"),
        ({"json": {"query": "{ hello }", "variables": [1]}}, 400, "BAD_REQUEST"),
        ({"json": {"query": "{ hello"}}, 400, "GRAPHQL_PARSE_FAILED"),
        ({"json": {}}, 400, "BAD_REQUEST"),
        (
            {"content": b"query=%7Bhello%7D", "headers": {"content-type": "application/x-www-form-urlencoded"}},
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        ({"content": b"{ hello }", "headers": {"content-type": "text/plain"}}, 415, "UNSUPPORTED_MEDIA_TYPE"),
    ]
    for kwargs, status, code in cases:
        response = client.post("/graphql", **kwargs)
        assert response.status_code == status, (kwargs, response.text)
        error = response.json()["errors"][0]
        assert error["message"]
        if code:
            assert error["extensions"]["code"] == code


def test_batching_is_off_unless_the_schema_enables_it(test_client_factory: Callable[..., TestClient]) -> None:
    client = test_client_factory(build())
    response = client.post("/graphql", json=[{"query": "{ hello }"}, {"query": "{ hello }"}])
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BATCHING_DISABLED"


def test_graphiql_only_in_debug(test_client_factory: Callable[..., TestClient]) -> None:
    html = {"accept": "text/html"}
    off = test_client_factory(build()).get("/graphql", headers=html)
    assert off.status_code == 404
    assert off.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    on = test_client_factory(build(debug=True)).get("/graphql", headers=html)
    assert on.status_code == 200
    assert on.headers["content-type"] == "text/html; charset=utf-8"
    assert "graphiql" in on.text.lower()
    forced = test_client_factory(build(graphiql=True)).get("/graphql", headers=html)
    assert forced.status_code == 200


def test_introspection_only_in_debug(test_client_factory: Callable[..., TestClient]) -> None:
    query = "{ __schema { queryType { name } } }"
    off = post(test_client_factory(build()), query)
    assert off.status_code == 400
    assert off.json()["errors"][0] == {
        "message": "GraphQL introspection is disabled.",
        "extensions": {"code": "INTROSPECTION_DISABLED"},
    }
    through_fragment = post(
        test_client_factory(build()), '{ ...F } fragment F on Query { __type(name: "Query") { name } }'
    )
    assert through_fragment.status_code == 400
    assert post(test_client_factory(build()), "{ __typename }").json() == {"data": {"__typename": "Query"}}
    on = post(test_client_factory(build(debug=True)), query)
    assert on.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
    forced = post(test_client_factory(build(introspection=True)), query)
    assert forced.status_code == 200


def test_context_getter_and_standalone_application(test_client_factory: Callable[..., TestClient]) -> None:
    container = Container()

    def context_getter(context: GraphQLContext) -> GraphQLContext:
        context.connection_params["tenant"] = "acme"
        return context

    @strawberry.type
    class TenantQuery:
        @strawberry.field
        def tenant(self, info: Ctx) -> str:
            return str(info.context.connection_params["tenant"]) + ":" + info.context.get(Greeter).greet("x")

    route = GraphQLRoute(
        "/api/{version}/graphql",
        strawberry.Schema(query=TenantQuery),
        container=container,
        context_getter=context_getter,
        name="api",
    )
    app = Application(routes=[route])  # no scope middleware: the route opens the request scope itself
    client = test_client_factory(app)
    response = client.post("/api/v1/graphql", json={"query": "{ tenant }"})
    assert response.json() == {"data": {"tenant": "acme:Hello, x!"}}
    assert app.url_path_for("api", version="v2") == "/api/v2/graphql"
    assert repr(route) == "GraphQLRoute(path='/api/{version}/graphql', name='api')"


def test_resolving_a_type_the_container_lacks_names_the_fix(test_client_factory: Callable[..., TestClient]) -> None:
    class Unknown:
        pass

    @strawberry.type
    class Q:
        @strawberry.field
        def value(self, info: Ctx) -> str:
            info.context.get(Unknown)
            return "unreachable"

    app = create_app(Container(), routes=[GraphQLRoute("/graphql", strawberry.Schema(query=Q))], debug=True)
    client = test_client_factory(app)
    message = post(client, "{ value }").json()["errors"][0]["message"]
    assert message.startswith("LookupError: Container has no provider of Unknown. Fix: add one")


def test_trio_is_refused_with_a_clear_error() -> None:
    client = TestClient(build(), backend="trio")
    with pytest.raises(RuntimeError, match="asyncio event loop"):
        post(client, "{ hello }")


def test_bad_configuration_fails_at_construction() -> None:
    with pytest.raises(ValueError, match="must start with '/'"):
        GraphQLRoute("graphql", schema)
    with pytest.raises(ValueError, match=r"'graphql-ws'.*Fix: use subscription_protocols"):
        GraphQLRoute("/graphql", schema, subscription_protocols=("graphql-ws",))


def test_import_without_strawberry_says_how_to_install() -> None:
    code = (
        "import sys; sys.modules['strawberry'] = None\n"
        "try:\n    import framework.graphql\n"
        "except ImportError as e:\n    print(e)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert "pip install 'framework[graphql]'" in result.stdout


@strawberry.type
class UploadMutation:
    @strawberry.mutation
    async def upload(self, file: Upload) -> str:
        assert isinstance(file, UploadFile)  # the toolkit's UploadFile, from Request.form()
        data = await file.read()
        return f"{file.filename}:{data.decode()}"


upload_schema = strawberry.Schema(query=Query, mutation=UploadMutation)


def upload_form(mapping: str = '{"0": ["variables.file"]}') -> dict[str, Any]:
    operations = '{"query": "mutation($file: Upload!) { upload(file: $file) }", "variables": {"file": null}}'
    return {
        "data": {"operations": operations, "map": mapping},
        "files": {"0": ("notes.txt", b"hello", "text/plain")},
    }


def test_multipart_uploads_need_opt_in_and_a_preflight_header(test_client_factory: Callable[..., TestClient]) -> None:
    disabled = create_app(Container(), routes=[GraphQLRoute("/graphql", upload_schema)])
    response = test_client_factory(disabled).post("/graphql", **upload_form())
    assert response.status_code == 415
    assert response.json()["errors"][0]["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"

    enabled = create_app(Container(), routes=[GraphQLRoute("/graphql", upload_schema, multipart_uploads_enabled=True)])
    client = test_client_factory(enabled)
    forged = client.post("/graphql", **upload_form())  # what a cross-site HTML form could send
    assert forged.status_code == 400
    assert "GraphQL-Require-Preflight" in forged.json()["errors"][0]["message"]

    preflight = {"GraphQL-Require-Preflight": "1"}
    ok = client.post("/graphql", headers=preflight, **upload_form())
    assert ok.status_code == 200
    assert ok.json() == {"data": {"upload": "notes.txt:hello"}}

    for bad_map in ('{"9": ["variables.file"]}', '{"0": ["variables.nope.deeper"]}', "[1]", "not json"):
        response = client.post("/graphql", headers=preflight, **upload_form(bad_map))
        assert response.status_code == 400, bad_map
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


def test_max_body_size_narrows_the_body_limit(test_client_factory: Callable[..., TestClient]) -> None:
    client = test_client_factory(build(max_body_size=100))
    response = client.post("/graphql", json={"query": "{ hello }", "variables": {"pad": "x" * 200}})
    assert response.status_code == 413
    assert post(client, "{ hello }").status_code == 200


class RequireToken:
    """Route middleware: HTTP requests and WebSocket handshakes without `x-token: ok` are refused."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (b"x-token", b"ok") in scope["headers"]:
            await self.app(scope, receive, send)
        elif scope["type"] == "http":
            await PlainTextResponse("token required", status_code=401)(scope, receive, send)
        else:
            await WebSocketClose(code=1008)(scope, receive, send)


def test_route_middleware_wraps_http_and_websocket(test_client_factory: Callable[..., TestClient]) -> None:
    client = test_client_factory(build(middleware=[Middleware(RequireToken)]))
    refused = post(client, "{ hello }")
    assert refused.status_code == 401
    assert refused.text == "token required"
    allowed = client.post("/graphql", json={"query": "{ hello }"}, headers={"x-token": "ok"})
    assert allowed.json() == {"data": {"hello": "Hello, world!"}}
    with pytest.raises(WebSocketDisconnect), client.websocket_connect("/graphql", ["graphql-transport-ws"]):
        pass  # pragma: no cover - refused during the handshake
    with client.websocket_connect("/graphql", ["graphql-transport-ws"], headers={"x-token": "ok"}) as ws:
        ws.send_json({"type": "connection_init"})
        assert ws.receive_json() == {"type": "connection_ack"}
