"""Mistakes a new user makes with controllers and create_app: each fails at start-up with a message naming the fix."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from dependency_injector import containers, providers

from framework.bootstrap import ConfigurationError, create_app
from framework.controllers import controller, get, post, route, websocket
from framework.di import CurrentRequest, CurrentWebSocket, RequestScoped
from framework.openapi import DocsAssets
from framework.requests import Request
from framework.responses import HTMLResponse
from framework.testclient import TestClient
from framework.websockets import WebSocket

ClientFactory = Callable[..., TestClient]


class Audit:
    def __init__(self, request: Request) -> None:
        self.path = request.url.path


class Feed:
    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket


class Container(containers.DeclarativeContainer):
    request = CurrentRequest()
    websocket = CurrentWebSocket()
    audit = RequestScoped(Audit, request=request)
    feed = providers.Factory(Feed, websocket=websocket)


@controller("/things")
class ThingController:
    @get("/")
    async def list_things(self) -> list[str]:
        return ["one"]


def _message(container: Any, *controllers: Any, **kwargs: Any) -> str:
    with pytest.raises(ConfigurationError) as info:
        create_app(container, controllers=list(controllers), openapi=False, **kwargs)
    return str(info.value)


def test_decorators_used_without_parentheses_say_to_call_them() -> None:
    with pytest.raises(
        TypeError, match=r"^@controller must be called: write @controller\(\) or @controller\('/path'\)"
    ):

        @controller  # type: ignore[arg-type]
        class Forgotten:
            pass

    with pytest.raises(TypeError, match=r"^@get must be called: write @get\(\) or @get\('/path'\) above .*list_all"):

        class AlsoForgotten:
            @get  # type: ignore[arg-type]
            async def list_all(self) -> None: ...  # type: ignore[misc]

    with pytest.raises(ValueError, match=r"^@post: path 'items' must be empty or start with '/', e.g. '/items'\.$"):
        post("items")


def test_route_refuses_bad_methods_statuses_and_response_classes() -> None:
    with pytest.raises(TypeError, match=r"^route\(methods='GET'\) takes a list of verbs; write methods=\['GET'\]\.$"):
        route("/x", methods="GET")
    with pytest.raises(ValueError, match=r"^route\(\): unknown HTTP method FETCH; use one of DELETE, GET, HEAD"):
        route("/x", methods=["get", "fetch"])
    with pytest.raises(ValueError, match=r"^status_code=99 is not an HTTP status; use an int from 100 to 599\.$"):
        get("/x", status_code=99)
    with pytest.raises(TypeError, match=r"^response_class=<class 'dict'> is not a Response class; pass e.g\."):
        get("/x", response_class=dict)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^@websocket\(\) does not take status_code: a WebSocket handler sends no"):
        websocket("/live", status_code=200)
    assert callable(route("/x", methods=["get", "post"]))  # lower case verbs are fine


def test_container_class_instead_of_an_instance() -> None:
    assert _message(Container, ThingController) == (
        "create_app() got the container class Container; it needs an instance. Fix: create_app(Container(), ...)."
    )
    assert _message({"things": ThingController}, ThingController).startswith(
        "create_app() takes a dependency-injector container first, got dict. Fix: pass an instance of your "
        "DeclarativeContainer"
    )


def test_controller_instance_or_duplicate_in_the_list() -> None:
    assert _message(Container(), ThingController()) == (
        "controllers=[...] holds an instance of ThingController; the container creates controllers per request. "
        "Fix: pass the class, controllers=[ThingController]."
    )
    assert _message(Container(), ThingController, ThingController) == (
        "ThingController is listed twice in controllers=[...]. Fix: list it once."
    )


@controller("/audited")
class AuditedController:
    def __init__(self, audit: Audit) -> None:
        self.audit = audit

    @get("/")
    async def show_audit(self) -> dict[str, str]:
        return {"path": self.audit.path}

    @websocket("/live")
    async def watch_audit(self, ws: WebSocket) -> None:
        await ws.accept()


@controller("/feed")
class FeedController:
    def __init__(self, feed: Feed) -> None:
        self.feed = feed

    @get("/")
    async def show_feed(self) -> None:
        return None


def test_websocket_handler_whose_controller_needs_the_request() -> None:
    assert _message(Container(), AuditedController) == (
        "AuditedController.watch_audit: this WebSocket handler's controller depends on Container.request "
        "(CurrentRequest) through Container.audit, which only resolves in an HTTP request. Fix: move the handler to a "
        "controller that does not need it, or inject the provider itself (`.provider`) and call it only where it "
        "applies."
    )
    message = _message(Container(), FeedController)
    assert message.startswith(
        "FeedController.show_feed: this HTTP handler's controller depends on Container.websocket (CurrentWebSocket) "
        "through Container.feed, which only resolves in a WebSocket connection. Fix:"
    )


class Delegating:
    def __init__(self, request: Callable[[], Request]) -> None:
        self.request = request


class DelegatingContainer(containers.DeclarativeContainer):
    request = CurrentRequest()
    delegating = providers.Factory(Delegating, request=request.provider)


@controller("/delegating")
class DelegatingController:
    def __init__(self, delegating: Delegating) -> None:
        self.delegating = delegating

    @get("/")
    async def show_path(self) -> dict[str, str]:
        return {"path": self.delegating.request().url.path}

    @websocket("/live")
    async def watch_path(self, ws: WebSocket) -> None:
        await ws.accept()
        await ws.send_text("connected")
        await ws.close()


def test_a_delegated_request_provider_is_fine_for_websocket_handlers(test_client_factory: ClientFactory) -> None:
    app = create_app(DelegatingContainer(), controllers=[DelegatingController], openapi=False)
    with test_client_factory(app) as client:
        assert client.get("/delegating").json() == {"path": "/delegating"}
        with client.websocket_connect("/delegating/live") as session:
            assert session.receive_text() == "connected"


@controller("/pages")
class PageController:
    @get("/", response_class=HTMLResponse)
    async def show_page(self) -> str:
        return "<h1>Hi</h1>"


def test_docs_assets_can_be_self_hosted_through_create_app(test_client_factory: ClientFactory) -> None:
    assets = DocsAssets(js_url="/static/ui.js", css_url="/static/ui.css")
    app = create_app(Container(), controllers=[PageController], docs_assets=assets)
    with test_client_factory(app) as client:
        page = client.get("/docs")
        assert page.status_code == 200
        assert 'src="/static/ui.js"' in page.text
        assert 'href="/static/ui.css"' in page.text
        assert "cdn" not in page.text
        assert client.get("/pages").text == "<h1>Hi</h1>"
