from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
import pytest

from framework.applications import Application
from framework.background import BackgroundTask
from framework.requests import Request
from framework.routing import Mount, Route
from framework.templating import Jinja2Templates
from framework.testclient import TestClient
from framework.types import Message

ClientFactory = Callable[..., TestClient]


@pytest.fixture
def template_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "templates"
    directory.mkdir()
    (directory / "index.html").write_text("<p>Hello, {{ name }}</p>")
    (directory / "plain.txt").write_text("Hello, {{ name }}")
    (directory / "links.html").write_text(
        "<a href=\"{{ url_for('user', user_id=7) }}\">u</a> <link href=\"{{ url_for('static', path='/a.css') }}\">"
    )
    (directory / "who.html").write_text("{{ request.url.path }} {{ site }} {{ user }}")
    return directory


def _app(templates: Jinja2Templates, name: str, context: dict[str, Any] | None = None, **kwargs: Any) -> Application:
    async def page(request: Request) -> Any:
        return templates.TemplateResponse(request, name, context, **kwargs)

    async def user(request: Request) -> Any:
        raise AssertionError("only reversed, never called")

    async def static(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("only reversed, never called")

    return Application(
        routes=[
            Route("/", page),
            Route("/users/{user_id:int}", user, name="user"),
            Mount("/static", app=static, name="static"),
        ]
    )


def test_template_response_renders_html(template_dir: Path, test_client_factory: ClientFactory) -> None:
    templates = Jinja2Templates(directory=template_dir)
    client = test_client_factory(_app(templates, "index.html", {"name": "World"}))
    response = client.get("/")
    assert response.status_code == 200
    assert response.text == "<p>Hello, World</p>"
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-length"] == str(len("<p>Hello, World</p>"))


def test_response_exposes_template_and_context(template_dir: Path, test_client_factory: ClientFactory) -> None:
    templates = Jinja2Templates(directory=template_dir)
    client = test_client_factory(_app(templates, "index.html", {"name": "World"}))
    response = client.get("/")
    assert response.template.name == "index.html"  # type: ignore[attr-defined]
    context = response.context  # type: ignore[attr-defined]
    assert context["name"] == "World"
    assert isinstance(context["request"], Request)
    assert context["request"].url.path == "/"


def test_templates_autoescape_unless_marked_safe(template_dir: Path) -> None:
    templates = Jinja2Templates(directory=template_dir)
    assert templates.get_template("index.html").render(name="<b>x</b>") == "<p>Hello, &lt;b&gt;x&lt;/b&gt;</p>"
    assert templates.get_template("plain.txt").render(name="<b>x</b>") == "Hello, &lt;b&gt;x&lt;/b&gt;"
    (template_dir / "safe.html").write_text("{{ name|safe }}")
    assert templates.get_template("safe.html").render(name="<b>x</b>") == "<b>x</b>"


def test_url_for_in_templates_uses_the_request(template_dir: Path, test_client_factory: ClientFactory) -> None:
    templates = Jinja2Templates(directory=template_dir)
    client = test_client_factory(_app(templates, "links.html"), base_url="https://example.org")
    response = client.get("/")
    assert response.text == (
        '<a href="https://example.org/users/7">u</a> <link href="https://example.org/static/a.css">'
    )


def test_context_processors_get_the_request(template_dir: Path, test_client_factory: ClientFactory) -> None:
    seen: list[Request] = []

    def site(request: Request) -> dict[str, Any]:
        seen.append(request)
        return {"site": "Demo"}

    def user(request: Request) -> dict[str, Any]:
        return {"user": request.headers.get("x-user", "anonymous")}

    templates = Jinja2Templates(directory=template_dir, context_processors=[site, user])
    client = test_client_factory(_app(templates, "who.html"))
    response = client.get("/", headers={"x-user": "ada"})
    assert response.text == "/ Demo ada"
    assert response.context["site"] == "Demo"  # type: ignore[attr-defined]
    assert len(seen) == 1
    assert seen[0].url.path == "/"


def test_status_headers_media_type_and_background(template_dir: Path, test_client_factory: ClientFactory) -> None:
    ran: list[str] = []
    templates = Jinja2Templates(directory=template_dir)
    app = _app(
        templates,
        "index.html",
        {"name": "x"},
        status_code=201,
        headers={"x-extra": "1"},
        media_type="application/xhtml+xml",
        background=BackgroundTask(ran.append, "done"),
    )
    response = test_client_factory(app).get("/")
    assert response.status_code == 201
    assert response.headers["x-extra"] == "1"
    assert response.headers["content-type"] == "application/xhtml+xml"
    assert ran == ["done"]


def test_multiple_directories_first_match_wins(tmp_path: Path, template_dir: Path) -> None:
    override = tmp_path / "override"
    override.mkdir()
    (override / "index.html").write_text("override {{ name }}")
    templates = Jinja2Templates(directory=[override, template_dir])
    assert templates.get_template("index.html").render(name="a") == "override a"
    assert templates.get_template("plain.txt").render(name="a") == "Hello, a"


def test_environment_can_be_passed(template_dir: Path, test_client_factory: ClientFactory) -> None:
    env = jinja2.Environment(loader=jinja2.DictLoader({"t.html": "{{ greeting }} {{ url_for('user', user_id=1) }}"}))
    templates = Jinja2Templates(env=env)
    assert templates.env is env
    response = test_client_factory(_app(templates, "t.html", {"greeting": "hi"})).get("/")
    assert response.text == "hi http://testserver/users/1"


def test_existing_url_for_global_is_kept() -> None:
    env = jinja2.Environment(loader=jinja2.DictLoader({"t": "{{ url_for('x') }}"}))
    env.globals["url_for"] = lambda name: f"custom:{name}"
    templates = Jinja2Templates(env=env)
    assert templates.get_template("t").render() == "custom:x"


def test_directory_or_env_is_required() -> None:
    with pytest.raises(AssertionError, match="either 'directory' or 'env' arguments must be passed"):
        Jinja2Templates()  # type: ignore[call-overload]
    with pytest.raises(AssertionError, match="either 'directory' or 'env' arguments must be passed"):
        Jinja2Templates(directory="templates", env=jinja2.Environment())  # type: ignore[call-overload]


def test_missing_template_raises(template_dir: Path) -> None:
    templates = Jinja2Templates(directory=template_dir)
    with pytest.raises(jinja2.TemplateNotFound):
        templates.get_template("nope.html")


def _http_scope(extensions: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "http",
        "method": "GET",
        "path": "/",
        "root_path": "",
        "query_string": b"",
        "headers": [],
        "extensions": extensions,
    }


@pytest.mark.anyio
async def test_debug_message_only_when_the_extension_is_announced(template_dir: Path) -> None:
    templates = Jinja2Templates(directory=template_dir)
    cases: list[tuple[dict[str, Any], list[str]]] = [({}, []), ({"http.response.debug": {}}, ["http.response.debug"])]
    for extensions, expected in cases:
        scope = _http_scope(extensions)
        sent: list[Message] = []

        async def receive() -> Message:
            return {"type": "http.request", "body": b""}

        async def send(message: Message, sent: list[Message] = sent) -> None:
            sent.append(message)

        response = templates.TemplateResponse(Request(scope, receive), "index.html", {"name": "x"})
        await response(scope, receive, send)
        types = [message["type"] for message in sent]
        assert types == [*expected, "http.response.start", "http.response.body"]
        if expected:
            assert sent[0]["info"]["template"].name == "index.html"
            assert sent[0]["info"]["context"]["name"] == "x"
