"""Render Jinja2 pages with url_for links, a context processor, and autoescaping of user input."""

from __future__ import annotations

from pathlib import Path

from framework.applications import Application
from framework.requests import Request
from framework.responses import HTMLResponse
from framework.routing import Mount, Route
from framework.staticfiles import StaticFiles
from framework.templating import Jinja2Templates
from framework.testclient import TestClient

# The templates this example renders (created in the current directory).
Path("templates").mkdir(exist_ok=True)
Path("static").mkdir(exist_ok=True)
Path("templates/base.html").write_text(
    "<link rel=\"stylesheet\" href=\"{{ url_for('static', path='/site.css') }}\">"
    "<title>{{ site_name }}</title>{% block body %}{% endblock %}"
)
Path("templates/user.html").write_text(
    '{% extends "base.html" %}{% block body %}'
    "<h1>{{ user.name }}</h1><a href=\"{{ url_for('user_page', user_id=user.id) }}\">permalink</a>"
    "{% endblock %}"
)


def site_context(request: Request) -> dict[str, str]:
    # Runs for every TemplateResponse: values every page needs.
    return {"site_name": "Example"}


templates = Jinja2Templates(directory="templates", context_processors=[site_context])


async def user_page(request: Request) -> HTMLResponse:
    user = {"id": request.path_params["user_id"], "name": request.query_params.get("name", "Ada")}
    return templates.TemplateResponse(request, "user.html", {"user": user})


app = Application(
    routes=[
        Route("/users/{user_id:int}", user_page, name="user_page"),
        Mount("/static", app=StaticFiles(directory="static"), name="static"),
    ]
)

with TestClient(app) as client:
    response = client.get("/users/7")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.text == (
        '<link rel="stylesheet" href="http://testserver/static/site.css"><title>Example</title>'
        '<h1>Ada</h1><a href="http://testserver/users/7">permalink</a>'
    )
    # The test client exposes what was rendered.
    assert response.template.name == "user.html"  # type: ignore[attr-defined]
    assert response.context["user"] == {"id": 7, "name": "Ada"}  # type: ignore[attr-defined]

    # HTML templates escape what they interpolate.
    hostile = client.get("/users/7", params={"name": "<script>alert(1)</script>"})
    assert "<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>" in hostile.text
