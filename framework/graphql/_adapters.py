"""Strawberry's request and WebSocket adapters over the toolkit's `Request` and `WebSocket`."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Mapping
from contextlib import suppress
from typing import TYPE_CHECKING, Any, cast

from cross_web import AsyncHTTPRequestAdapter, FormData
from cross_web.request._base import HTTPMethod, QueryParams
from strawberry.http.async_base_view import AsyncWebSocketAdapter
from strawberry.http.exceptions import NonJsonMessageReceived, NonTextMessageReceived, WebSocketDisconnected

from framework.datastructures import UploadFile
from framework.requests import Request
from framework.websockets import WebSocket, WebSocketDisconnect, WebSocketState

if TYPE_CHECKING:
    from strawberry.http.async_base_view import AsyncBaseHTTPView

__all__ = ["RequestAdapter", "WebSocketAdapter", "loads_json"]


def loads_json(data: str | bytes) -> object:
    """`json.loads` that fails with ValueError only: deep nesting (RecursionError) included."""
    try:
        return json.loads(data)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


class RequestAdapter(AsyncHTTPRequestAdapter):
    """What Strawberry's base view reads from an HTTP request."""

    def __init__(self, request: Request) -> None:
        self.request = request

    @property
    def method(self) -> HTTPMethod:
        return cast(HTTPMethod, self.request.method)

    @property
    def query_params(self) -> QueryParams:
        return self.request.query_params

    @property
    def path_params(self) -> Mapping[str, Any]:
        return self.request.path_params

    @property
    def headers(self) -> Mapping[str, str]:
        return self.request.headers

    @property
    def content_type(self) -> str | None:
        return self.request.headers.get("content-type")

    async def get_body(self) -> bytes:
        return await self.request.body()

    async def get_form_data(self) -> FormData:
        form = await self.request.form()
        files: dict[str, UploadFile] = {}
        fields: dict[str, str] = {}
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                files[key] = value
            else:
                fields[key] = value
        return FormData(files=files, form=fields)

    @property
    def url(self) -> str:
        return str(self.request.url)

    @property
    def cookies(self) -> Mapping[str, str]:
        return self.request.cookies

    @property
    def client_host(self) -> str | None:
        client = self.request.client
        return client.host if client is not None else None


class WebSocketAdapter(AsyncWebSocketAdapter):
    """Text frames in and out; a vanished client ends the protocol handler quietly."""

    def __init__(
        self, view: AsyncBaseHTTPView[Any, Any, Any, Any, Any, Any, Any], request: WebSocket, response: WebSocket
    ):
        super().__init__(view)
        self.websocket = response

    async def iter_json(self, *, ignore_parsing_errors: bool = False) -> AsyncGenerator[object, None]:
        websocket = self.websocket
        while websocket.client_state != WebSocketState.DISCONNECTED:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if text is None:
                raise NonTextMessageReceived
            try:
                data = loads_json(text)
            except ValueError:
                if ignore_parsing_errors:
                    continue
                raise NonJsonMessageReceived from None
            yield data

    async def send_json(self, message: Mapping[str, object]) -> None:
        websocket = self.websocket
        if WebSocketState.DISCONNECTED in (websocket.application_state, websocket.client_state):
            raise WebSocketDisconnected
        try:
            await websocket.send_text(json.dumps(message, separators=(",", ":")))
        except WebSocketDisconnect:
            raise WebSocketDisconnected from None

    async def close(self, code: int, reason: str) -> None:
        if self.websocket.application_state != WebSocketState.DISCONNECTED:
            with suppress(WebSocketDisconnect):
                await self.websocket.close(code=code, reason=reason)
