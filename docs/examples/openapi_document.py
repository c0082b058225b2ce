"""The OpenAPI document and docs page that create_app serves for controllers."""

from __future__ import annotations

from dependency_injector import containers
from pydantic import BaseModel

from framework.applications import Application
from framework.binding import Query
from framework.bootstrap import create_app
from framework.controllers import controller, get, post
from framework.openapi import DocsAssets, openapi_routes
from framework.problems import NotFound
from framework.testclient import TestClient


class BookIn(BaseModel):
    title: str


class BookOut(BaseModel):
    id: int
    title: str


@controller("/books", tags=["books"])
class BookController:
    @get("/", summary="List books")
    async def list_books(self, limit: Query[int] = 10) -> list[BookOut]:
        return [BookOut(id=1, title="Dune")][:limit]

    @get("/{book_id:int}", responses={404: NotFound})
    async def get_book(self, book_id: int) -> BookOut:
        """Fetch one book.

        The docstring's first line is the summary, the rest the description.
        """
        return BookOut(id=book_id, title="Dune")

    @post("/", status_code=201)
    async def add_book(self, book: BookIn) -> BookOut:
        return BookOut(id=2, title=book.title)

    @get("/internal", include_in_schema=False)
    async def internal_stats(self) -> dict[str, int]:
        return {"books": 2}


class Container(containers.DeclarativeContainer):
    pass


app = create_app(Container(), controllers=[BookController], title="Library", version="1.2.0")

with TestClient(app) as client:
    document = client.get("/openapi.json").json()
    assert document["openapi"] == "3.1.0"
    assert document["info"] == {"title": "Library", "version": "1.2.0"}
    assert set(document["paths"]) == {"/books", "/books/{book_id}"}  # convertors stripped, hidden route left out

    get_book = document["paths"]["/books/{book_id}"]["get"]
    assert get_book["operationId"] == "BookController_get_book"
    assert get_book["summary"] == "Fetch one book."
    assert get_book["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/BookOut"
    }
    assert sorted(get_book["responses"]) == ["200", "404", "422"]  # declared 404, automatic 422
    assert {"BookIn", "BookOut", "ProblemDetails", "ValidationProblem"} <= set(document["components"]["schemas"])

    assert "swagger-ui" in client.get("/docs").text

# Offline deployments serve Swagger UI's files themselves and point the page at them.
offline = Application(
    routes=openapi_routes(
        app.routes,
        title="Library",
        version="1.2.0",
        docs_assets=DocsAssets(js_url="/static/swagger-ui-bundle.js", css_url="/static/swagger-ui.css"),
    )
)
with TestClient(offline) as client:
    page = client.get("/docs").text
    assert 'src="/static/swagger-ui-bundle.js"' in page
    assert "cdn" not in page
