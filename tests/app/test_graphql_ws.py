"""Subscriptions over graphql-transport-ws: scopes, the handshake hook, limits, the cap, REST-published events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from typing import Any

import pytest
import strawberry
from dependency_injector import containers, providers
from pydantic import BaseModel
from strawberry.types import Info

from framework.applications import Application
from framework.bootstrap import create_app
from framework.controllers import controller, post
from framework.di import RequestScope, RequestScoped
from framework.graphql import GraphQLContext, GraphQLRoute
from framework.problems import Unauthorized
from framework.testclient import TestClient
from framework.websockets import WebSocketDisconnect

PROTOCOL = ["graphql-transport-ws"]
Ctx = Info[GraphQLContext, None]


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, Any]]:
    return ("asyncio", {})  # Strawberry runs on asyncio only


class Broadcaster:
    """In-process publish/subscribe: each subscriber gets its own queue of the events published after it joined."""

    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[str]] = set()

    async def subscribe(self) -> AsyncGenerator[str, None]:
        queue: asyncio.Queue[str] = asyncio.Queue()
        self._queues.add(queue)
        try:
            yield "subscribed"
            while True:
                yield await queue.get()
        finally:
            self._queues.discard(queue)

    def publish(self, event: str) -> None:
        for queue in self._queues:
            queue.put_nowait(event)

    @property
    def subscribers(self) -> int:
        return len(self._queues)


class Journal:
    def __init__(self) -> None:
        self.settled: list[str] = []
        self.users: list[str] = []
        self.scopes: list[int] = []


class Unit:
    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self.pending: list[str] = []


class UnitProvider(RequestScoped[Unit]):
    def on_created(self, instance: Any, scope: RequestScope) -> None:
        async def settle(status: int) -> None:
            instance.journal.settled.append(("rollback:" if status >= 400 else "commit:") + ",".join(instance.pending))

        scope.before_response(settle)


class CurrentUser:
    """Request-scoped: filled by the connection_init hook, read by resolvers of that connection."""

    def __init__(self) -> None:
        self.name: str | None = None


class Container(containers.DeclarativeContainer):
    broadcaster = providers.Singleton(Broadcaster)
    journal = providers.Singleton(Journal)
    unit = UnitProvider(Unit, journal=journal)
    current_user = RequestScoped(CurrentUser)


class TaskIn(BaseModel):
    title: str


@controller("/tasks")
class TaskController:
    def __init__(self, broadcaster: Broadcaster) -> None:
        self._broadcaster = broadcaster

    @post("", status_code=201)
    async def create_task(self, data: TaskIn) -> dict[str, str]:
        self._broadcaster.publish(data.title)
        return {"title": data.title}


@strawberry.type
class Query:
    @strawberry.field
    def me(self, info: Ctx) -> str | None:
        return info.context.connection_params.get("user")  # type: ignore[return-value]


@strawberry.type
class Mutation:
    @strawberry.mutation
    def write(self, info: Ctx, text: str, fail: bool = False) -> str:
        info.context.get(Unit).pending.append(text)
        if fail:
            raise RuntimeError("nope")
        return text


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def task_created(self, info: Ctx) -> AsyncGenerator[str, None]:
        journal = info.context.get(Journal)
        journal.scopes.append(id(info.context.scope))
        async for title in info.context.get(Broadcaster).subscribe():
            yield title

    @strawberry.subscription
    async def countdown(self, info: Ctx, start: int) -> AsyncGenerator[int, None]:
        for value in range(start, 0, -1):
            yield value


schema = strawberry.Schema(query=Query, mutation=Mutation, subscription=Subscription)


async def authenticate(context: GraphQLContext) -> dict[str, object] | None:
    token = context.connection_params.get("token")
    if token != "secret":
        raise Unauthorized("A valid token is required.")
    user = context.get(CurrentUser)  # resolved in the connection's scope
    user.name = "ada"
    context.connection_params["user"] = user.name
    context.get(Journal).users.append(user.name)
    return {"welcome": user.name}


def build(container: Container, **options: Any) -> Application:
    route = GraphQLRoute("/graphql", schema, on_ws_connect=authenticate, **options)
    return create_app(container, controllers=[TaskController], routes=[route])


def init(ws: Any, token: str = "secret") -> None:
    ws.send_json({"type": "connection_init", "payload": {"token": token}})


def test_subscription_receives_a_task_created_through_rest(test_client_factory: Callable[..., TestClient]) -> None:
    container = Container()
    with test_client_factory(build(container)) as client, client.websocket_connect("/graphql", PROTOCOL) as ws:
        assert ws.accepted_subprotocol == "graphql-transport-ws"
        init(ws)
        assert ws.receive_json() == {"type": "connection_ack", "payload": {"welcome": "ada"}}
        ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": "subscription { taskCreated }"}})
        assert ws.receive_json() == {"id": "1", "type": "next", "payload": {"data": {"taskCreated": "subscribed"}}}
        response = client.post("/tasks", json={"title": "Write docs"})
        assert response.status_code == 201
        assert ws.receive_json() == {"id": "1", "type": "next", "payload": {"data": {"taskCreated": "Write docs"}}}
        ws.send_json({"id": "1", "type": "complete"})
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}
    assert container.broadcaster().subscribers == 0
    assert container.journal().users == ["ada"]


def test_queries_and_operations_see_the_connection_params(test_client_factory: Callable[..., TestClient]) -> None:
    container = Container()
    with test_client_factory(build(container)) as client, client.websocket_connect("/graphql", PROTOCOL) as ws:
        init(ws)
        ws.receive_json()
        ws.send_json({"id": "q", "type": "subscribe", "payload": {"query": "{ me }"}})
        assert ws.receive_json() == {"id": "q", "type": "next", "payload": {"data": {"me": "ada"}}}
        assert ws.receive_json() == {"id": "q", "type": "complete"}
        ws.send_json({"id": "c", "type": "subscribe", "payload": {"query": "subscription { countdown(start: 2) }"}})
        assert [ws.receive_json() for _ in range(3)] == [
            {"id": "c", "type": "next", "payload": {"data": {"countdown": 2}}},
            {"id": "c", "type": "next", "payload": {"data": {"countdown": 1}}},
            {"id": "c", "type": "complete"},
        ]


def test_each_operation_settles_its_own_unit_of_work(test_client_factory: Callable[..., TestClient]) -> None:
    container = Container()
    with test_client_factory(build(container)) as client, client.websocket_connect("/graphql", PROTOCOL) as ws:
        init(ws)
        ws.receive_json()
        ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": 'mutation { write(text: "a") }'}})
        assert ws.receive_json() == {"id": "1", "type": "next", "payload": {"data": {"write": "a"}}}
        assert ws.receive_json()["type"] == "complete"
        # Committed before the result was sent, not when the connection closes.
        assert container.journal().settled == ["commit:a"]
        query = 'mutation { write(text: "b", fail: true) }'
        ws.send_json({"id": "2", "type": "subscribe", "payload": {"query": query}})
        failed = ws.receive_json()
        assert failed["payload"]["errors"][0]["message"] == "Internal server error."
        assert failed["payload"]["errors"][0]["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
        assert ws.receive_json()["type"] == "complete"
        assert container.journal().settled == ["commit:a", "rollback:b"]


def test_each_subscription_has_its_own_scope(test_client_factory: Callable[..., TestClient]) -> None:
    container = Container()
    with test_client_factory(build(container)) as client, client.websocket_connect("/graphql", PROTOCOL) as ws:
        init(ws)
        ws.receive_json()
        for operation_id in ("1", "2"):
            ws.send_json(
                {"id": operation_id, "type": "subscribe", "payload": {"query": "subscription { taskCreated }"}}
            )
            assert ws.receive_json()["payload"] == {"data": {"taskCreated": "subscribed"}}
    scopes = container.journal().scopes
    assert len(scopes) == 2
    assert scopes[0] != scopes[1]


def test_handshake_without_a_valid_token_is_refused(test_client_factory: Callable[..., TestClient]) -> None:
    container = Container()
    with test_client_factory(build(container)) as client, client.websocket_connect("/graphql", PROTOCOL) as ws:
        init(ws, token="wrong")
        with pytest.raises(WebSocketDisconnect) as info:
            ws.receive_json()
    assert info.value.code == 4403
    assert container.journal().users == []


def test_subscribe_before_connection_init_is_unauthorized(test_client_factory: Callable[..., TestClient]) -> None:
    with test_client_factory(build(Container())) as client, client.websocket_connect("/graphql", PROTOCOL) as ws:
        ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": "subscription { taskCreated }"}})
        with pytest.raises(WebSocketDisconnect) as info:
            ws.receive_json()
    assert info.value.code == 4401


def test_limits_apply_to_subscribe_messages(test_client_factory: Callable[..., TestClient]) -> None:
    with test_client_factory(build(Container())) as client, client.websocket_connect("/graphql", PROTOCOL) as ws:
        init(ws)
        ws.receive_json()
        cycle = "subscription { ...A } fragment A on Subscription { ...A }"
        ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": cycle}})
        error = ws.receive_json()
        assert error["id"] == "1"
        assert error["type"] == "error"
        assert error["payload"][0]["extensions"] == {"code": "FRAGMENT_CYCLE"}
        huge = "subscription { taskCreated }" + " " * 70_000
        ws.send_json({"id": "2", "type": "subscribe", "payload": {"query": huge}})
        assert ws.receive_json()["payload"][0]["extensions"] == {"code": "QUERY_TOO_LARGE"}
        introspect = "{ __schema { types { name } } }"
        ws.send_json({"id": "3", "type": "subscribe", "payload": {"query": introspect}})
        assert ws.receive_json()["payload"][0]["extensions"] == {"code": "INTROSPECTION_DISABLED"}
        # The connection is still usable.
        ws.send_json({"id": "4", "type": "subscribe", "payload": {"query": "{ me }"}})
        assert ws.receive_json() == {"id": "4", "type": "next", "payload": {"data": {"me": "ada"}}}


def test_subscriptions_per_connection_are_capped(test_client_factory: Callable[..., TestClient]) -> None:
    app = build(Container(), max_subscriptions_per_connection=2)
    with test_client_factory(app) as client, client.websocket_connect("/graphql", PROTOCOL) as ws:
        init(ws)
        ws.receive_json()
        for operation_id in ("1", "2"):
            ws.send_json(
                {"id": operation_id, "type": "subscribe", "payload": {"query": "subscription { taskCreated }"}}
            )
            assert ws.receive_json()["id"] == operation_id
        ws.send_json({"id": "3", "type": "subscribe", "payload": {"query": "subscription { taskCreated }"}})
        refused = ws.receive_json()
        assert refused["id"] == "3"
        assert refused["type"] == "error"
        assert refused["payload"][0]["message"] == "Subscription limit reached"
        ws.send_json({"id": "1", "type": "complete"})
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}  # "complete" was handled before the ping
        ws.send_json({"id": "4", "type": "subscribe", "payload": {"query": "subscription { taskCreated }"}})
        assert ws.receive_json()["payload"] == {"data": {"taskCreated": "subscribed"}}


def test_malformed_messages_close_the_connection(test_client_factory: Callable[..., TestClient]) -> None:
    for message, code in (("not json", 4400), ('{"type": "unknown"}', 4400), ('{"type": "subscribe"}', 4400)):
        with test_client_factory(build(Container())) as client, client.websocket_connect("/graphql", PROTOCOL) as ws:
            init(ws)
            ws.receive_json()
            ws.send_text(message)
            with pytest.raises(WebSocketDisconnect) as info:
                ws.receive_json()
        assert info.value.code == code, message


def test_unknown_subprotocol_and_foreign_origin_are_refused(test_client_factory: Callable[..., TestClient]) -> None:
    with test_client_factory(build(Container())) as client:
        with client.websocket_connect("/graphql", ["graphql-ws"]) as ws, pytest.raises(WebSocketDisconnect) as info:
            ws.receive_json()
        assert info.value.code == 4406
        headers = {"origin": "https://evil.example", "host": "testserver"}
        with (
            pytest.raises(WebSocketDisconnect) as refused,
            client.websocket_connect("/graphql", PROTOCOL, headers=headers),
        ):
            pass  # pragma: no cover - the handshake is refused
        assert refused.value.code == 1008
    allowed = build(Container(), allowed_origins=["https://app.example"])
    origin = {"origin": "https://app.example"}
    with test_client_factory(allowed) as client, client.websocket_connect("/graphql", PROTOCOL, headers=origin) as ws:
        init(ws)
        assert ws.receive_json()["type"] == "connection_ack"
