"""The `/openapi.json` and `/docs` routes.

The document is built on the first request, from the route list as it is then (so routes added after
`openapi_routes()` was called are included), and the encoded bytes are reused afterwards. The docs page loads
Swagger UI from `DocsAssets` URLs: a CDN by default, your own static files for an offline deployment.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pydantic_core

from framework.binding.rendering import RawJSONResponse
from framework.openapi.document import build_openapi
from framework.requests import Request
from framework.responses import HTMLResponse, Response
from framework.routing import BaseRoute, Route

__all__ = ["DocsAssets", "docs_html", "openapi_routes"]

_CDN = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5"


@dataclass(frozen=True, slots=True)
class DocsAssets:
    """Where the docs page loads Swagger UI from; point these at your own static files to work offline."""

    js_url: str = f"{_CDN}/swagger-ui-bundle.js"
    css_url: str = f"{_CDN}/swagger-ui.css"
    favicon_url: str | None = None


def _script_string(value: str) -> str:
    # JSON is a valid JS string literal; escaping "<" keeps "</script>" in a URL from closing the tag.
    return json.dumps(value).replace("<", "\\u003c")


def docs_html(*, title: str, openapi_url: str, assets: DocsAssets) -> str:
    """The docs page: Swagger UI pointed at the document URL."""
    favicon = "" if assets.favicon_url is None else f'<link rel="icon" href="{html.escape(assets.favicon_url)}">'
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<link rel="stylesheet" href="{html.escape(assets.css_url)}">{favicon}
</head>
<body>
<div id="swagger-ui"></div>
<script src="{html.escape(assets.js_url)}"></script>
<script>
window.ui = SwaggerUIBundle({{url: {_script_string(openapi_url)}, dom_id: "#swagger-ui", deepLinking: true}});
</script>
</body>
</html>
"""


class _CachedDocument:
    """Builds the document once, on first use."""

    def __init__(self, routes: Sequence[BaseRoute], options: Mapping[str, Any]) -> None:
        self._routes = routes
        self._options = options
        self._encoded: bytes | None = None

    def encoded(self) -> bytes:
        if self._encoded is None:
            self._encoded = pydantic_core.to_json(build_openapi(self._routes, **self._options))
        return self._encoded


def openapi_routes(
    routes: Sequence[BaseRoute],
    *,
    title: str,
    version: str,
    description: str | None = None,
    openapi_url: str | None = "/openapi.json",
    docs_url: str | None = "/docs",
    docs_assets: DocsAssets | None = None,
    servers: Sequence[Mapping[str, Any]] = (),
) -> list[BaseRoute]:
    """Routes serving the OpenAPI document for `routes` and the docs page; `None` URLs switch each off."""
    if openapi_url is None:
        return []
    options = {"title": title, "version": version, "description": description, "servers": servers}
    document = _CachedDocument(routes, options)
    assets = docs_assets or DocsAssets()
    document_url = openapi_url

    async def openapi_endpoint(request: Request) -> Response:
        return RawJSONResponse(document.encoded())

    async def docs_endpoint(request: Request) -> Response:
        root_path = request.scope.get("root_path", "")
        return HTMLResponse(docs_html(title=title, openapi_url=root_path + document_url, assets=assets))

    result: list[BaseRoute] = [
        Route(openapi_url, openapi_endpoint, methods=["GET"], name="openapi", include_in_schema=False)
    ]
    if docs_url is not None:
        result.append(Route(docs_url, docs_endpoint, methods=["GET"], name="docs", include_in_schema=False))
    return result
