"""The live board: `/ws/projects/{id}` pushes the project's task changes to signed-in members as JSON."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream

from example_app.controllers.parameters import RowId
from example_app.domain.identity import SignedInUser
from example_app.domain.schemas import TaskEvent
from example_app.services.live import TaskFeed
from example_app.services.projects import ProjectService
from example_app.web.auth import LoginRequired
from framework.controllers import controller, websocket
from framework.di import open_scope
from framework.middleware import Middleware
from framework.websockets import WebSocket, WebSocketDisconnect

__all__ = ["LiveUpdatesController"]

# RFC 6455 "policy violation": the close code for a connection that is not allowed.
_POLICY_VIOLATION = 1008


@controller(tags=["live"], middleware=[Middleware(LoginRequired)])
class LiveUpdatesController:
    """Streams task changes; messages from the client are ignored (the page only listens)."""

    def __init__(self, feed: TaskFeed, project_service: Callable[[], ProjectService]) -> None:
        self._feed = feed
        self._project_service = project_service

    @websocket("/ws/projects/{project_id:int}")
    async def watch_project(self, socket: WebSocket, project_id: RowId) -> None:
        user = cast(SignedInUser, socket.scope["user"])  # LoginRequired refused everyone else at the handshake
        if not await self._may_watch(socket, user, project_id):
            await socket.close(code=_POLICY_VIOLATION, reason=f"Project {project_id} is not yours to watch")
            return
        # Subscribe before accepting, so a change made right after the handshake is not missed.
        with self._feed.subscribe(project_id) as events:
            await socket.accept()
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(self._forward, socket, events)
                await self._wait_for_disconnect(socket)
                tasks.cancel_scope.cancel()

    async def _may_watch(self, socket: WebSocket, user: SignedInUser, project_id: int) -> bool:
        # A scope of its own: its session closes right after the check instead of staying open as long as the
        # connection does.
        async with open_scope(socket.scope):
            return await self._project_service().can_watch(user, project_id)

    @staticmethod
    async def _forward(socket: WebSocket, events: MemoryObjectReceiveStream[TaskEvent]) -> None:
        try:
            async for event in events:
                await socket.send_text(event.model_dump_json())
        except WebSocketDisconnect:
            pass

    @staticmethod
    async def _wait_for_disconnect(socket: WebSocket) -> None:
        while True:
            message = await socket.receive()
            if message["type"] == "websocket.disconnect":
                return
