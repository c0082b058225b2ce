"""The generated per-route endpoints serve exactly what the compiled binder and renderer would."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dependency_injector import containers, providers

from framework.background import BackgroundTask
from framework.binding import Query
from framework.bootstrap import create_app
from framework.controllers import controller, get, post
from framework.controllers.dispatch import ControllerHTTPRoute
from framework.di import CurrentRequest, CurrentScope, RequestScope, RequestScoped
from framework.exceptions import HTTPException
from framework.problems import NotFound
from framework.requests import Request
from framework.responses import HTMLResponse, PlainTextResponse, Response, StreamingResponse
from framework.testclient import TestClient

ClientFactory = Callable[..., TestClient]

LOG: list[str] = []


@controller("/r")
class ResultsController:
    @get("/dict")
    async def as_dict(self) -> dict[str, Any]:
        return {"a": 1}

    @get("/list")
    async def as_list(self) -> list[int]:
        return [1, 2]

    @get("/none")
    async def as_none(self) -> None:
        return None

    @get("/response")
    async def as_response(self) -> Response:
        return Response(b"raw", status_code=202, media_type="text/x-raw")

    @get("/text", response_class=PlainTextResponse)
    async def as_text(self) -> str:
        return "plain"

    @get("/text-bytes", response_class=PlainTextResponse)
    async def as_text_bytes(self) -> bytes:
        return b"bytes"

    @get("/text-created", response_class=PlainTextResponse, status_code=201)
    async def as_text_created(self) -> str:
        return "created"

    @get("/html", response_class=HTMLResponse)
    async def as_html(self) -> str:
        return "<p>hi</p>"

    @get("/stream")
    async def as_stream(self) -> StreamingResponse:
        return StreamingResponse(iter([b"a", b"b"]), media_type="text/plain")

    @get("/background")
    async def with_background(self) -> Response:
        return Response(b"ok", background=BackgroundTask(LOG.append, "background ran"))


def test_every_kind_of_result_renders_as_before(test_client_factory: ClientFactory) -> None:
    LOG.clear()
    app = create_app(containers.DynamicContainer(), controllers=[ResultsController], openapi=False)
    with test_client_factory(app) as client:
        found = {path: client.get(f"/r/{path}") for path in ("dict", "list", "none", "response", "text")}
        more = {path: client.get(f"/r/{path}") for path in ("text-bytes", "text-created", "html", "stream")}
        background = client.get("/r/background")
    assert (found["dict"].json(), found["dict"].headers["content-type"]) == ({"a": 1}, "application/json")
    assert found["list"].json() == [1, 2]
    assert (found["none"].status_code, found["none"].content) == (204, b"")
    assert (found["response"].status_code, found["response"].content) == (202, b"raw")
    assert found["response"].headers["content-type"] == "text/x-raw; charset=utf-8"
    assert (found["text"].text, found["text"].headers["content-type"]) == ("plain", "text/plain; charset=utf-8")
    assert more["text-bytes"].text == "bytes"
    assert (more["text-created"].status_code, more["text-created"].text) == (201, "created")
    assert more["html"].headers["content-type"] == "text/html; charset=utf-8"
    assert more["stream"].text == "ab"
    assert background.text == "ok"
    assert LOG == ["background ran"]


@controller("/counted")
class CountedController:
    created = 0

    def __init__(self) -> None:
        CountedController.created += 1

    @get("/")
    async def read(self, limit: Query[int]) -> dict[str, int]:
        return {"limit": limit}


def test_arguments_are_bound_before_the_controller_is_created(test_client_factory: ClientFactory) -> None:
    app = create_app(containers.DynamicContainer(), controllers=[CountedController], openapi=False)
    before = CountedController.created
    with test_client_factory(app) as client:
        invalid = client.get("/counted", params={"limit": "many"})
        valid = client.get("/counted", params={"limit": "3"})
    assert invalid.status_code == 422
    assert valid.json() == {"limit": 3}
    assert CountedController.created == before + 1  # the invalid request created nothing


def test_controller_routes_keep_route_handle_and_still_answer_405_as_problem_details(
    test_client_factory: ClientFactory,
) -> None:
    app = create_app(containers.DynamicContainer(), controllers=[ResultsController], openapi=False)
    routes = [route for route in app.routes if isinstance(route, ControllerHTTPRoute)]
    # `handle` is declared forwarding, so the router dispatches a full match straight to `route.app`.
    assert routes
    assert all(getattr(type(route).handle, "_forwards_full_match", False) is True for route in routes)
    with test_client_factory(app) as client:
        response = client.delete("/r/dict")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"
    assert response.headers["content-type"] == "application/problem+json"


class Unit:
    """Registers a before-response callback, like a unit of work does for its commit."""

    def __init__(self, scope: RequestScope) -> None:
        self.scope = scope

    def on_start(self, outcome: str) -> None:
        async def callback(status: int) -> None:
            LOG.append(f"{outcome} {status}")
            if outcome == "conflict":
                raise HTTPException(409, "Version conflict.")
            if outcome == "crash":
                raise OSError("commit failed")

        self.scope.before_response(callback)


class UnitContainer(containers.DeclarativeContainer):
    unit = RequestScoped(Unit, CurrentScope())


@controller()
class UnitController:
    def __init__(self, unit: Unit) -> None:
        self.unit = unit

    @post("/commit/{outcome}", response_class=PlainTextResponse)
    async def commit(self, outcome: str) -> str:
        self.unit.on_start(outcome)
        return "stored"

    @get("/plain", response_class=PlainTextResponse)
    async def plain(self) -> str:
        return "plain"


def test_response_gate_runs_callbacks_and_reports_their_failures_in_a_full_app(
    test_client_factory: ClientFactory,
) -> None:
    LOG.clear()
    app = create_app(UnitContainer(), controllers=[UnitController], openapi=False)
    with test_client_factory(app, raise_server_exceptions=False) as client:
        committed = client.post("/commit/ok")
        plain = client.get("/plain")
        conflict = client.post("/commit/conflict")
        crash = client.post("/commit/crash")
        after = client.get("/plain")
    assert (committed.status_code, committed.text, plain.text) == (200, "stored", "plain")
    assert conflict.status_code == 409
    assert conflict.headers["content-type"] == "application/problem+json"
    assert conflict.json()["detail"] == "Version conflict."
    assert (crash.status_code, crash.text) == (500, "Internal Server Error")
    assert (after.status_code, after.text) == (200, "plain")
    assert LOG == ["ok 200", "conflict 200", "crash 200"]


@controller("/made", provider="made")
class MadeController:
    @get("/")
    async def read(self, limit: Query[int]) -> dict[str, int]:
        return {"limit": limit}


def test_controller_built_by_a_non_factory_provider_is_still_created_per_request(
    test_client_factory: ClientFactory,
) -> None:
    made: list[MadeController] = []

    def make() -> MadeController:
        made.append(MadeController())
        return made[-1]

    container = containers.DynamicContainer()
    container.made = providers.Callable(make)
    app = create_app(container, controllers=[MadeController], openapi=False)
    with test_client_factory(app) as client:
        for limit in ("1", "2"):
            assert client.get("/made", params={"limit": limit}).json() == {"limit": int(limit)}
    assert len(made) == 2
    assert made[0] is not made[1]


@controller("/paths")
class PathController:
    @get("/{number}/{name}")
    async def read(self, number: int, name: str) -> dict[str, Any]:
        return {"number": number, "name": name}

    @get("/converted/{number:int}/{ratio:float}")
    async def converted(self, number: int, ratio: float) -> dict[str, Any]:
        return {"number": number, "ratio": ratio}


def test_path_parameters_are_validated_when_the_router_left_them_as_text(test_client_factory: ClientFactory) -> None:
    app = create_app(containers.DynamicContainer(), controllers=[PathController], openapi=False)
    with test_client_factory(app) as client:
        validated = client.get("/paths/5/ann")
        invalid = client.get("/paths/five/ann")
        converted = client.get("/paths/converted/7/0.5")
    assert validated.json() == {"number": 5, "name": "ann"}
    assert invalid.status_code == 422
    assert invalid.json()["errors"][0]["loc"] == ["path", "number"]
    assert converted.json() == {"number": 7, "ratio": 0.5}


class Seen:
    """A request-scoped object built from the current request, like the benchmark's request-info object."""

    def __init__(self, request: Request) -> None:
        self.request = request


@controller("/lazy")
class LazyRequestController:
    def __init__(self, seen: Seen, again: Request) -> None:
        self.seen = seen
        self.again = again

    @get("/same")
    async def same(self) -> dict[str, Any]:
        # A handler that binds nothing: the Request is built on demand, once, and shared.
        return {"path": self.seen.request.url.path, "same": self.seen.request is self.again}

    @get("/fails")
    async def fails(self) -> dict[str, Any]:
        raise NotFound("nothing here")


@controller("/bare")
class BareController:
    @get("/fails")
    async def teapot(self) -> str:
        raise HTTPException(418, "short and stout")


def test_a_handler_without_arguments_gets_one_request_built_on_demand(test_client_factory: ClientFactory) -> None:
    class Container(containers.DeclarativeContainer):
        seen = RequestScoped(Seen, CurrentRequest())
        lazy = providers.Factory(LazyRequestController, seen=seen, again=CurrentRequest())

    app = create_app(Container(), controllers=[LazyRequestController, BareController], openapi=False)
    with test_client_factory(app) as client:
        same = client.get("/lazy/same")
        domain_error = client.get("/lazy/fails")
        http_error = client.get("/bare/fails")
    assert same.json() == {"path": "/lazy/same", "same": True}
    assert domain_error.status_code == 404
    assert domain_error.json()["detail"] == "nothing here"
    assert domain_error.json()["instance"] == "/lazy/fails"
    assert http_error.status_code == 418
    assert http_error.json()["detail"] == "short and stout"
