"""Binding of path, query, header and cookie parameters, and start-up errors of `compile_handler`.

Handlers are compiled directly with `compile_handler` and served by a plain toolkit `Route`, the way
`framework.controllers` serves them, so these tests pin the binder's own behaviour.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Annotated, Any, get_args, get_origin, get_type_hints

import pytest
from pydantic import Field

from framework.applications import Application
from framework.background import BackgroundTasks
from framework.binding import (
    BindingError,
    Body,
    CompiledHandler,
    Cookie,
    Form,
    Header,
    ParameterInfo,
    ParamMarker,
    Query,
    compile_handler,
)
from framework.requests import Request
from framework.responses import Response
from framework.routing import Route, WebSocketRoute, compile_path
from framework.testclient import TestClient
from framework.websockets import WebSocket, WebSocketDisconnect

ClientFactory = Callable[..., TestClient]


def compile_for(function: Callable[..., Any], path: str = "/", **options: Any) -> CompiledHandler:
    _, _, convertors = compile_path(path)
    return compile_handler(
        function,
        where=f"Handlers.{function.__name__}",
        path=path,
        path_param_names=list(convertors),
        status_code=options.pop("status_code", None),
        response_class=options.pop("response_class", None),
        **options,
    )


def serve(function: Callable[..., Any], path: str = "/", methods: Sequence[str] = ("GET",), **options: Any) -> Route:
    compiled = compile_for(function, path, **options)
    bound = function.__get__(Handlers())

    async def endpoint(request: Request) -> Response:
        return await compiled(bound, request)

    return Route(path, endpoint, methods=list(methods))


class Handlers:
    async def get_item(self, item_id: int) -> dict[str, Any]:
        return {"item_id": item_id}

    async def get_by_uuid(self, key: uuid.UUID) -> dict[str, Any]:
        return {"key": str(key), "type": type(key).__name__}

    async def list_items(
        self,
        limit: Query[int] = 10,
        q: str | None = None,
        page_size: Annotated[int, Query(alias="page-size", default=20)] = 20,
        tags: list[str] = [],  # noqa: B006 - the default is never mutated
        min_price: Annotated[float, Field(ge=0)] = 0.0,
    ) -> dict[str, Any]:
        return {"limit": limit, "q": q, "page_size": page_size, "tags": tags, "min_price": min_price}

    async def needs_query(self, limit: Query[int], ids: list[int]) -> dict[str, Any]:
        return {"limit": limit, "ids": ids}

    async def read_headers(
        self,
        x_token: Header[str],
        user_agent: Header[str | None] = None,
        x_ids: Annotated[list[int], Header(alias="X-Id")] = [],  # noqa: B006
    ) -> dict[str, Any]:
        return {"x_token": x_token, "user_agent": user_agent, "x_ids": x_ids}

    async def read_cookie(self, session: Cookie[str], theme: Annotated[str, Cookie(default="light")]) -> dict[str, str]:
        return {"session": session, "theme": theme}

    async def read_request(self, request: Request, item_id: int) -> dict[str, Any]:
        return {"path": request.url.path, "item_id": item_id}

    def sync_handler(self, n: int) -> dict[str, int]:
        return {"double": n * 2}

    async def ws_echo(self, websocket: WebSocket, room: str, name: Query[str]) -> None:
        await websocket.accept()
        await websocket.send_json({"room": room, "name": name})
        await websocket.close()


def test_marker_subscription_is_annotated() -> None:
    annotation = Query[int]
    assert get_origin(annotation) is Annotated
    base, marker = get_args(annotation)
    assert base is int
    # Type checkers see `Query` as an alias of `Annotated`, so check markers at run time through ParamMarker.
    assert isinstance(marker, ParamMarker)
    assert (type(marker).__name__, marker.source, marker.alias) == ("Query", "query", None)
    aliased = get_args(get_type_hints(Handlers.list_items, include_extras=True)["page_size"])[1]
    assert repr(aliased) == "Query(alias='page-size', default=20)"
    for marker_type, source in ((Header, "header"), (Cookie, "cookie"), (Body, "body"), (Form, "form")):
        assert get_args(marker_type[str])[1].source == source


def test_path_param_converted_by_type_hint(test_client_factory: ClientFactory) -> None:
    app = Application(routes=[serve(Handlers.get_item, "/items/{item_id}")])
    with test_client_factory(app) as client:
        response = client.get("/items/42")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"item_id": 42}


def test_path_param_from_convertor_and_uuid(test_client_factory: ClientFactory) -> None:
    key = uuid.uuid4()
    app = Application(
        routes=[serve(Handlers.get_item, "/items/{item_id:int}"), serve(Handlers.get_by_uuid, "/keys/{key}")]
    )
    with test_client_factory(app) as client:
        assert client.get("/items/7").json() == {"item_id": 7}
        assert client.get(f"/keys/{key}").json() == {"key": str(key), "type": "UUID"}


def test_invalid_path_param_is_422_problem(test_client_factory: ClientFactory) -> None:
    app = Application(routes=[serve(Handlers.get_item, "/items/{item_id}")])
    with test_client_factory(app) as client:
        response = client.get("/items/abc")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "about:blank"
    assert body["status"] == 422
    assert body["instance"] == "/items/abc"
    assert body["errors"] == [
        {
            "loc": ["path", "item_id"],
            "msg": "Input should be a valid integer, unable to parse string as an integer",
            "type": "int_parsing",
        }
    ]
    assert "path.item_id" in body["detail"]


def test_query_params_defaults_alias_and_lists(test_client_factory: ClientFactory) -> None:
    app = Application(routes=[serve(Handlers.list_items, "/items")])
    with test_client_factory(app) as client:
        defaults = client.get("/items").json()
        given = client.get("/items?limit=5&q=x&page-size=50&tags=a&tags=b&min_price=1.5").json()
    assert defaults == {"limit": 10, "q": None, "page_size": 20, "tags": [], "min_price": 0.0}
    assert given == {"limit": 5, "q": "x", "page_size": 50, "tags": ["a", "b"], "min_price": 1.5}


def test_query_errors_are_all_listed(test_client_factory: ClientFactory) -> None:
    app = Application(routes=[serve(Handlers.list_items, "/items")])
    with test_client_factory(app) as client:
        response = client.get("/items?limit=ten&page-size=x&min_price=-1")
    assert response.status_code == 422
    locs = [error["loc"] for error in response.json()["errors"]]
    assert locs == [["query", "limit"], ["query", "page-size"], ["query", "min_price"]]
    assert response.json()["errors"][2]["type"] == "greater_than_equal"


def test_required_query_params_missing(test_client_factory: ClientFactory) -> None:
    app = Application(routes=[serve(Handlers.needs_query, "/q")])
    with test_client_factory(app) as client:
        missing = client.get("/q")
        bad_item = client.get("/q?limit=1&ids=1&ids=two")
        ok = client.get("/q?limit=1&ids=1&ids=2")
    assert missing.status_code == 422
    assert missing.json()["errors"] == [
        {"loc": ["query", "limit"], "msg": "Field required", "type": "missing"},
        {"loc": ["query", "ids"], "msg": "Field required", "type": "missing"},
    ]
    assert bad_item.status_code == 422
    assert bad_item.json()["errors"][0]["loc"] == ["query", "ids", 1]
    assert ok.json() == {"limit": 1, "ids": [1, 2]}


def test_hostile_query_values(test_client_factory: ClientFactory) -> None:
    app = Application(routes=[serve(Handlers.needs_query, "/q")])
    with test_client_factory(app) as client:
        huge = client.get("/q", params={"limit": "9" * 50_000, "ids": "1"})
        nan = client.get("/q", params={"limit": "NaN", "ids": "1"})
        empty = client.get("/q?limit=&ids=1")
    assert huge.status_code == 422
    assert huge.json()["errors"][0]["type"] == "int_parsing_size"
    assert nan.status_code == 422
    assert empty.status_code == 422


def test_headers_case_insensitive_with_underscore_conversion(test_client_factory: ClientFactory) -> None:
    app = Application(routes=[serve(Handlers.read_headers, "/h")])
    with test_client_factory(app) as client:
        response = client.get("/h", headers=[("X-TOKEN", "secret"), ("x-id", "1"), ("X-Id", "2")])
        missing = client.get("/h")
    assert response.status_code == 200
    body = response.json()
    assert body["x_token"] == "secret"
    assert body["user_agent"] == "testclient"
    assert body["x_ids"] == [1, 2]
    assert missing.status_code == 422
    assert missing.json()["errors"] == [{"loc": ["header", "x-token"], "msg": "Field required", "type": "missing"}]


def test_cookies(test_client_factory: ClientFactory) -> None:
    app = Application(routes=[serve(Handlers.read_cookie, "/c")])
    with test_client_factory(app) as client:
        client.cookies.set("session", "abc")
        response = client.get("/c")
    assert response.json() == {"session": "abc", "theme": "light"}
    with test_client_factory(app) as client:
        missing = client.get("/c")
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["loc"] == ["cookie", "session"]


def test_request_parameter_and_sync_handler(test_client_factory: ClientFactory) -> None:
    app = Application(
        routes=[serve(Handlers.read_request, "/r/{item_id:int}"), serve(Handlers.sync_handler, "/double/{n:int}")]
    )
    with test_client_factory(app) as client:
        assert client.get("/r/3").json() == {"path": "/r/3", "item_id": 3}
        assert client.get("/double/21").json() == {"double": 42}


def test_parameter_info_describes_sources() -> None:
    compiled = compile_for(Handlers.read_headers, "/h")
    infos = {info.name: info for info in compiled.parameters}
    assert all(isinstance(info, ParameterInfo) for info in infos.values())
    assert (infos["x_token"].source, infos["x_token"].alias, infos["x_token"].required) == ("header", "x-token", True)
    assert infos["x_ids"].alias == "X-Id"
    assert infos["x_ids"].is_sequence
    assert infos["user_agent"].required is False
    listing = {info.name: info for info in compile_for(Handlers.list_items, "/items").parameters}
    assert listing["page_size"].alias == "page-size"
    assert listing["page_size"].default == 20
    assert listing["limit"].annotation is int
    assert compile_for(Handlers.get_item, "/items/{item_id:int}").parameters[0].source == "path"
    assert compiled.is_async is True
    assert compile_for(Handlers.sync_handler, "/d/{n}").is_async is False


def test_websocket_binding(test_client_factory: ClientFactory) -> None:
    compiled = compile_for(Handlers.ws_echo, "/ws/{room}", websocket=True)
    bound = Handlers.ws_echo.__get__(Handlers())

    async def endpoint(websocket: WebSocket) -> None:
        await compiled.call_websocket(bound, websocket)

    app = Application(routes=[WebSocketRoute("/ws/{room}", endpoint)])
    with test_client_factory(app) as client:
        with client.websocket_connect("/ws/lobby?name=ann") as ws:
            assert ws.receive_json() == {"room": "lobby", "name": "ann"}
        with pytest.raises(WebSocketDisconnect) as info, client.websocket_connect("/ws/lobby") as ws:
            ws.receive_json()
    assert info.value.code == 1008


class Opaque:
    """A type pydantic has no schema for."""


class Broken:
    async def missing_path_arg(self) -> None: ...

    async def no_hint(self, limit) -> None: ...

    async def two_bodies(self, a: dict[str, int], b: Body[dict[str, int]]) -> None: ...

    async def body_and_form(self, a: dict[str, int], b: Form[str]) -> None: ...

    async def marked_path(self, item_id: Query[int]) -> None: ...

    async def variadic(self, **kwargs: Any) -> None: ...

    async def double_default(self, limit: Annotated[int, Query(default=1)] = 2) -> None: ...

    async def two_markers(self, limit: Annotated[int, Query(), Header()]) -> None: ...

    async def unknown_type(self, thing: Opaque) -> None: ...

    async def ws_with_body(self, websocket: WebSocket, data: dict[str, int]) -> None: ...

    def ws_sync(self, websocket: WebSocket) -> None: ...

    async def http_with_websocket(self, websocket: WebSocket) -> None: ...

    async def bad_marker_option(self, limit: Annotated[int, Query(ge=1)]) -> None: ...

    async def unresolvable(self, thing: NotDefinedAnywhere) -> None:  # type: ignore[name-defined]  # noqa: F821
        ...


@pytest.mark.parametrize(
    ("function", "path", "websocket", "message"),
    [
        (
            Broken.missing_path_arg,
            "/items/{item_id:int}",
            False,
            "Broken.missing_path_arg: path parameter 'item_id' has no argument; add 'item_id: int'.",
        ),
        (Broken.no_hint, "/", False, "Broken.no_hint: parameter 'limit' has no type hint; add one, e.g. 'limit: str'."),
        (Broken.two_bodies, "/", False, "parameters 'a', 'b' all read the JSON body; combine them into one model."),
        (Broken.body_and_form, "/", False, "parameter 'a' reads a JSON body but others read form data; pick one."),
        (Broken.marked_path, "/{item_id}", False, "'item_id' is a path parameter but is marked Query"),
        (Broken.variadic, "/", False, "parameter 'kwargs' is variadic; declare each argument by name."),
        (Broken.double_default, "/", False, "different defaults in the signature (2) and in its marker (1); keep one."),
        (Broken.two_markers, "/", False, "parameter 'limit' has several source markers (Query, Header); keep one."),
        (Broken.unknown_type, "/", False, "parameter 'thing' has a type pydantic cannot validate"),
        (Broken.ws_with_body, "/", True, "WebSocket handlers cannot read 'data' from the body"),
        (Broken.ws_sync, "/", True, "Broken.ws_sync: WebSocket handlers must be 'async def'."),
        (Broken.http_with_websocket, "/", False, "parameter 'websocket' asks for a WebSocket in an HTTP handler."),
        (Broken.unresolvable, "/", False, "cannot resolve the type hints (name 'NotDefinedAnywhere' is not defined)"),
        (Broken.bad_marker_option, "/", False, "evaluating the annotations failed"),
    ],
)
def test_startup_errors_name_the_fix(function: Callable[..., Any], path: str, websocket: bool, message: str) -> None:
    _, _, convertors = compile_path(path)
    with pytest.raises(BindingError) as info:
        compile_handler(
            function,
            where=f"Broken.{function.__name__}",
            path=path,
            path_param_names=list(convertors),
            status_code=None,
            response_class=None,
            websocket=websocket,
        )
    assert message in str(info.value)
    assert str(info.value).startswith(f"Broken.{function.__name__}: ")
    assert isinstance(info.value, TypeError)


def test_background_tasks_parameter_is_recognised() -> None:
    class WithTasks:
        async def notify(self, tasks: BackgroundTasks) -> None: ...

    compiled = compile_for(WithTasks.notify, "/")
    assert [(info.name, info.source) for info in compiled.parameters] == [("tasks", "background")]
    assert compiled.status_code == 204
