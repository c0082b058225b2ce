"""Building the OpenAPI 3.1 document from compiled controller routes.

Everything comes from what the binder already knows: `CompiledHandler.parameters` for parameters and the
request body, the return annotation and status code for the success response, and the decorators' metadata
(tags, summary, `responses=`) for the rest. Bound values that fail validation are documented as the 422 problem.
"""

from __future__ import annotations

import http
from collections.abc import Mapping, Sequence
from typing import Any

import pydantic_core
from pydantic import TypeAdapter

from framework.binding.parameters import ParameterInfo
from framework.binding.rendering import RawJSONResponse, returns_content
from framework.openapi.operations import Operation, iter_operations
from framework.openapi.schemas import PROBLEM_SCHEMAS, SchemaCollector, problem_ref
from framework.problems import PROBLEM_MEDIA_TYPE, DomainError
from framework.responses import JSONResponse, Response
from framework.routing import BaseRoute

__all__ = ["build_openapi"]

_PARAMETER_SOURCES = ("path", "query", "header", "cookie")
_FILE_SCHEMA = {"type": "string", "format": "binary", "contentMediaType": "application/octet-stream"}


def _phrase(status: int | str) -> str:
    try:
        return http.HTTPStatus(int(status)).phrase
    except ValueError:
        return "Response"


def _declared_type(value: Any) -> bool:
    return not isinstance(value, str | Mapping) and value is not None


def _register(collector: SchemaCollector, index: int, operation: Operation) -> None:
    compiled = operation.compiled
    for info in compiled.parameters:
        if info.adapter is not None:
            collector.add((index, "param", info.name), "validation", info.adapter)
    annotation = compiled.response_annotation
    if returns_content(annotation):
        collector.add((index, "response", ""), "serialization", TypeAdapter(annotation))
    for status, value in operation.responses.items():
        if _declared_type(value) and not (isinstance(value, type) and issubclass(value, DomainError)):
            collector.add((index, "declared", str(status)), "serialization", TypeAdapter(value))


def _parameter(info: ParameterInfo, schema: Any) -> dict[str, Any]:
    parameter: dict[str, Any] = {"name": info.alias, "in": info.source, "required": info.source == "path"}
    if info.source != "path":
        parameter["required"] = info.required
    if not info.required and info.source != "path" and info.default is not None:
        try:
            schema = {**schema, "default": pydantic_core.to_jsonable_python(info.default)}
        except pydantic_core.PydanticSerializationError:
            pass
    parameter["schema"] = schema
    if info.description:
        parameter["description"] = info.description
    return parameter


def _form_schema(index: int, params: Sequence[ParameterInfo], collector: SchemaCollector) -> tuple[Any, bool]:
    models = [info for info in params if info.source == "form" and info.is_model]
    if models:
        return collector.schema((index, "param", models[0].name), "validation"), models[0].required
    properties: dict[str, Any] = {}
    required: list[str] = []
    for info in params:
        if info.source == "file":
            properties[info.alias] = {"type": "array", "items": _FILE_SCHEMA} if info.is_sequence else _FILE_SCHEMA
        elif info.source == "form":
            properties[info.alias] = collector.schema((index, "param", info.name), "validation")
        else:
            continue
        if info.required:
            required.append(info.alias)
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema, bool(required)


def _request_body(index: int, operation: Operation, collector: SchemaCollector) -> dict[str, Any] | None:
    compiled = operation.compiled
    media_type = compiled.body_media_type
    if media_type is None:
        return None
    if media_type == "application/json":
        info = next(p for p in compiled.parameters if p.source == "body")
        schema, required = collector.schema((index, "param", info.name), "validation"), info.required
    else:
        schema, required = _form_schema(index, compiled.parameters, collector)
    body: dict[str, Any] = {"required": required, "content": {media_type: {"schema": schema}}}
    if media_type == "application/x-www-form-urlencoded":
        body["content"]["multipart/form-data"] = {"schema": schema}
    return body


def _problem_response(description: str, schema: str = "ProblemDetails") -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_MEDIA_TYPE: {"schema": problem_ref(schema)}}}


def _success_response(index: int, operation: Operation, collector: SchemaCollector) -> dict[str, Any]:
    compiled = operation.compiled
    status = compiled.status_code
    response: dict[str, Any] = {"description": _phrase(status)}
    annotation = compiled.response_annotation
    if status == 204 or annotation is None or annotation is type(None):
        return response
    response_class = compiled.response_class
    if response_class is not None and not issubclass(response_class, JSONResponse | RawJSONResponse):
        media_type = response_class.media_type or "application/octet-stream"
        response["content"] = {media_type: {"schema": {"type": "string"}}}
        return response
    if isinstance(annotation, type) and issubclass(annotation, Response):
        return response
    response["content"] = {"application/json": {"schema": collector.schema((index, "response", ""), "serialization")}}
    return response


def _declared_response(index: int, status: str, value: Any, collector: SchemaCollector) -> dict[str, Any]:
    if isinstance(value, str):
        return {"description": value}
    if isinstance(value, Mapping):
        return {"description": _phrase(status), **value}
    if isinstance(value, type) and issubclass(value, DomainError):
        return _problem_response(value.title or _phrase(status))
    schema = collector.schema((index, "declared", status), "serialization")
    return {"description": _phrase(status), "content": {"application/json": {"schema": schema}}}


def _responses(index: int, operation: Operation, collector: SchemaCollector) -> dict[str, Any]:
    compiled = operation.compiled
    responses: dict[str, Any] = {str(compiled.status_code): _success_response(index, operation, collector)}
    sources = {info.source for info in compiled.parameters}
    if sources & {"path", "query", "header", "cookie", "body", "form", "file"}:
        responses["422"] = _problem_response("The request did not validate", "ValidationProblem")
    if compiled.body_media_type == "application/json":
        responses["400"] = _problem_response("The request body is not valid JSON")
    if compiled.body_media_type is not None:
        responses["415"] = _problem_response("The request body has an unsupported Content-Type")
    for status, value in operation.responses.items():
        responses[str(status)] = _declared_response(index, str(status), value, collector)
    return dict(sorted(responses.items()))


def _operation_object(index: int, operation: Operation, collector: SchemaCollector) -> dict[str, Any]:
    result: dict[str, Any] = {"operationId": operation.operation_id}
    if operation.tags:
        result["tags"] = list(operation.tags)
    if operation.summary:
        result["summary"] = operation.summary
    if operation.description:
        result["description"] = operation.description
    parameters = [
        _parameter(info, collector.schema((index, "param", info.name), "validation"))
        for info in operation.compiled.parameters
        if info.source in _PARAMETER_SOURCES
    ]
    if parameters:
        result["parameters"] = parameters
    body = _request_body(index, operation, collector)
    if body is not None:
        result["requestBody"] = body
    result["responses"] = _responses(index, operation, collector)
    if operation.deprecated:
        result["deprecated"] = True
    return result


def build_openapi(
    routes: Sequence[BaseRoute],
    *,
    title: str,
    version: str,
    description: str | None = None,
    servers: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The OpenAPI 3.1 document (a JSON-compatible dict) for the controller routes under `routes`."""
    operations = list(iter_operations(routes))
    collector = SchemaCollector()
    for index, operation in enumerate(operations):
        _register(collector, index, operation)
    collector.resolve()
    paths: dict[str, dict[str, Any]] = {}
    tags: dict[str, None] = {}
    for index, operation in enumerate(operations):
        paths.setdefault(operation.path, {})[operation.method] = _operation_object(index, operation, collector)
        tags.update(dict.fromkeys(operation.tags))
    info: dict[str, Any] = {"title": title, "version": version}
    if description:
        info["description"] = description
    document: dict[str, Any] = {"openapi": "3.1.0", "info": info}
    if servers:
        document["servers"] = [dict(server) for server in servers]
    document["paths"] = paths
    document["components"] = {"schemas": {**collector.definitions, **PROBLEM_SCHEMAS}}
    if tags:
        document["tags"] = [{"name": tag} for tag in tags]
    return document
