"""A subscription fed by a REST endpoint, with authentication on the WebSocket handshake."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import strawberry
from dependency_injector import containers, providers
from pydantic import BaseModel
from strawberry.types import Info

from framework.bootstrap import create_app
from framework.controllers import controller, post
from framework.graphql import GraphQLContext, GraphQLRoute
from framework.problems import Unauthorized
from framework.testclient import TestClient
from framework.websockets import WebSocketDisconnect


class Broadcaster:
    """In-process publish/subscribe (use Redis or PostgreSQL LISTEN/NOTIFY across several workers)."""

    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[str]] = set()

    async def subscribe(self) -> AsyncGenerator[str, None]:
        queue: asyncio.Queue[str] = asyncio.Queue()
        self._queues.add(queue)
        try:
            yield "(listening)"
            while True:
                yield await queue.get()
        finally:
            self._queues.discard(queue)

    def publish(self, event: str) -> None:
        for queue in self._queues:
            queue.put_nowait(event)


class Container(containers.DeclarativeContainer):
    broadcaster = providers.Singleton(Broadcaster)


class NoteIn(BaseModel):
    text: str


@controller("/notes")
class NoteController:
    def __init__(self, broadcaster: Broadcaster) -> None:
        self._broadcaster = broadcaster

    @post("", status_code=201)
    async def create_note(self, data: NoteIn) -> dict[str, str]:
        self._broadcaster.publish(data.text)
        return {"text": data.text}


@strawberry.type
class Query:
    @strawberry.field
    def ping(self) -> str:
        return "pong"


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def notes(self, info: Info[GraphQLContext, None]) -> AsyncGenerator[str, None]:
        async for text in info.context.get(Broadcaster).subscribe():
            yield text


async def authenticate(context: GraphQLContext) -> dict[str, object] | None:
    """Runs on `connection_init`: refuse the connection (close 4403) unless the token is right."""
    if context.connection_params.get("token") != "s3cret":
        raise Unauthorized("Bad token.")
    return {"user": "ada"}  # sent back in connection_ack


schema = strawberry.Schema(query=Query, subscription=Subscription)
route = GraphQLRoute("/graphql", schema, on_ws_connect=authenticate, max_subscriptions_per_connection=10)
app = create_app(Container(), controllers=[NoteController], routes=[route])

with TestClient(app) as client:
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init", "payload": {"token": "s3cret"}})
        assert ws.receive_json() == {"type": "connection_ack", "payload": {"user": "ada"}}

        ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": "subscription { notes }"}})
        assert ws.receive_json()["payload"] == {"data": {"notes": "(listening)"}}

        assert client.post("/notes", json={"text": "hello"}).status_code == 201
        assert ws.receive_json() == {"id": "1", "type": "next", "payload": {"data": {"notes": "hello"}}}
        ws.send_json({"id": "1", "type": "complete"})

    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init", "payload": {"token": "wrong"}})
        closed_with = None
        try:
            ws.receive_json()
        except WebSocketDisconnect as refused:
            closed_with = refused.code
        assert closed_with == 4403
