"""OpenAPI 3.1 for controller routes: the document, the `/openapi.json` route and the `/docs` page.

`create_app` calls `openapi_routes(app_routes, title=..., version=...)`; nothing here runs per request after the
first document request. See docs/openapi.md.
"""

from __future__ import annotations

from framework.openapi.document import build_openapi
from framework.openapi.operations import ROUTE_ATTRIBUTE, Operation, RouteMetadata, iter_operations, openapi_path
from framework.openapi.routes import DocsAssets, docs_html, openapi_routes
from framework.openapi.schemas import PROBLEM_SCHEMAS, REF_TEMPLATE

__all__ = [
    "PROBLEM_SCHEMAS",
    "REF_TEMPLATE",
    "ROUTE_ATTRIBUTE",
    "DocsAssets",
    "Operation",
    "RouteMetadata",
    "build_openapi",
    "docs_html",
    "iter_operations",
    "openapi_path",
    "openapi_routes",
]
