"""Build an OpenAPI document from the routes of an app and the YAML in their endpoints' docstrings.

An endpoint documents itself with YAML after a ``---`` line in its docstring; everything before
that line stays ordinary prose. :class:`SchemaGenerator` merges those snippets under ``paths``.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any, NamedTuple

import yaml

from framework.requests import Request
from framework.responses import Response
from framework.routing import BaseRoute, Host, Mount, Route

__all__ = ["BaseSchemaGenerator", "EndpointInfo", "OpenAPIResponse", "SchemaGenerator"]

_CONVERTOR = re.compile(r":\w+}")
_HTTP_METHODS = ("get", "post", "put", "patch", "delete", "options", "query")
_OPENAPI_VERSION = re.compile(r"(\d+)\.(\d+)")


class OpenAPIResponse(Response):
    """A schema dictionary rendered as YAML."""

    media_type = "application/vnd.oai.openapi"

    def render(self, content: Any) -> bytes:
        assert isinstance(content, dict), "The schema passed to OpenAPIResponse should be a dictionary."
        return yaml.dump(content, default_flow_style=False).encode("utf-8")


class EndpointInfo(NamedTuple):
    path: str
    http_method: str
    func: Callable[..., Any]


class BaseSchemaGenerator:
    """Walks routes and parses docstrings; subclasses decide how the schema is assembled."""

    def get_schema(self, routes: list[BaseRoute]) -> dict[str, Any]:
        raise NotImplementedError()

    def get_endpoints(self, routes: list[BaseRoute]) -> list[EndpointInfo]:
        """One entry per (path, lower-case method) of every route included in the schema.

        Mounts and hosts are walked recursively; ``HEAD`` is left out (it mirrors ``GET``), and an
        ``HTTPEndpoint`` class contributes one entry per HTTP method it defines.
        """
        endpoints: list[EndpointInfo] = []
        for route in routes:
            if isinstance(route, Mount | Host):
                prefix = self._remove_converter(route.path) if isinstance(route, Mount) else ""
                endpoints.extend(
                    EndpointInfo(prefix + sub.path, sub.http_method, sub.func)
                    for sub in self.get_endpoints(route.routes or [])
                )
            elif isinstance(route, Route) and route.include_in_schema:
                endpoints.extend(self._route_endpoints(route))
        return endpoints

    def _route_endpoints(self, route: Route) -> list[EndpointInfo]:
        path = self._remove_converter(route.path)
        endpoint = route.endpoint
        if inspect.isfunction(endpoint) or inspect.ismethod(endpoint):
            methods = route.methods or ["GET"]
            return [EndpointInfo(path, method.lower(), endpoint) for method in methods if method != "HEAD"]
        return [
            EndpointInfo(path, method, getattr(endpoint, method))
            for method in _HTTP_METHODS
            if hasattr(endpoint, method)
        ]

    def _remove_converter(self, path: str) -> str:
        """``/users/{id:int}`` is ``/users/{id}`` in a schema."""
        return _CONVERTOR.sub("}", path)

    def parse_docstring(self, func_or_method: Callable[..., Any]) -> dict[str, Any]:
        """The YAML mapping after the last ``---`` of the docstring; ``{}`` when there is none."""
        docstring = func_or_method.__doc__
        if not docstring:
            return {}
        parsed = yaml.safe_load(docstring.split("---")[-1])
        # Plain prose parses as a YAML string, which is not a schema fragment.
        return parsed if isinstance(parsed, dict) else {}

    def OpenAPIResponse(self, request: Request) -> Response:
        """An endpoint answering with the schema of the app that received ``request``."""
        routes = request.app.routes
        schema = self.get_schema(routes=routes)
        return OpenAPIResponse(schema)


class SchemaGenerator(BaseSchemaGenerator):
    """Start from ``base_schema`` (``openapi``, ``info``, ...) and add a ``paths`` entry per endpoint."""

    def __init__(self, base_schema: dict[str, Any]) -> None:
        self.base_schema = base_schema

    def get_schema(self, routes: list[BaseRoute]) -> dict[str, Any]:
        schema = dict(self.base_schema)
        # Copy the path items so that generating a schema never mutates ``base_schema``.
        paths: dict[str, Any] = {path: dict(item) for path, item in schema.get("paths", {}).items()}
        schema["paths"] = paths
        supports_query = _supports_query(schema.get("openapi", ""))
        for endpoint in self.get_endpoints(routes):
            if endpoint.http_method == "query" and not supports_query:
                continue
            parsed = self.parse_docstring(endpoint.func)
            if parsed:
                paths.setdefault(endpoint.path, {})[endpoint.http_method] = parsed
        return schema


def _supports_query(openapi: object) -> bool:
    """The QUERY method only exists as a path item operation from OpenAPI 3.2 on."""
    match = _OPENAPI_VERSION.match(str(openapi))
    return match is not None and (int(match.group(1)), int(match.group(2))) >= (3, 2)
