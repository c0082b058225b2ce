"""JSON Schemas for the document: pydantic generates them in one batch so shared models become components.

Generating every schema in a single `TypeAdapter.json_schemas` call lets pydantic name each model once (and
disambiguate two models with the same name), with references of the form `#/components/schemas/{model}`.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, Literal

from pydantic import TypeAdapter
from pydantic.errors import PydanticInvalidForJsonSchema, PydanticSchemaGenerationError, PydanticUserError

__all__ = ["PROBLEM_SCHEMAS", "REF_TEMPLATE", "SchemaCollector", "problem_ref"]

REF_TEMPLATE = "#/components/schemas/{model}"
Mode = Literal["validation", "serialization"]
_ERRORS = (PydanticInvalidForJsonSchema, PydanticSchemaGenerationError, PydanticUserError, TypeError)

PROBLEM_SCHEMAS: dict[str, Any] = {
    "ProblemDetails": {
        "title": "ProblemDetails",
        "description": "An RFC 9457 problem object (media type application/problem+json).",
        "type": "object",
        "properties": {
            "type": {"type": "string", "format": "uri-reference", "default": "about:blank"},
            "title": {"type": "string"},
            "status": {"type": "integer", "minimum": 100, "maximum": 599},
            "detail": {"type": "string"},
            "instance": {"type": "string", "format": "uri-reference"},
        },
        "required": ["type", "title", "status"],
        "additionalProperties": True,
    },
    "ValidationErrorItem": {
        "title": "ValidationErrorItem",
        "type": "object",
        "properties": {
            "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
            "msg": {"type": "string"},
            "type": {"type": "string"},
        },
        "required": ["loc", "msg", "type"],
    },
    "ValidationProblem": {
        "title": "ValidationProblem",
        "description": "A problem object listing every request value that failed validation.",
        "allOf": [
            {"$ref": REF_TEMPLATE.format(model="ProblemDetails")},
            {
                "type": "object",
                "properties": {
                    "errors": {"type": "array", "items": {"$ref": REF_TEMPLATE.format(model="ValidationErrorItem")}}
                },
                "required": ["errors"],
            },
        ],
    },
}


def problem_ref(name: str = "ProblemDetails") -> dict[str, str]:
    """A `$ref` to one of the problem schemas above."""
    return {"$ref": REF_TEMPLATE.format(model=name)}


class SchemaCollector:
    """Register adapters under keys, then `resolve()` once; `schema(key, mode)` returns each result."""

    def __init__(self) -> None:
        self._inputs: list[tuple[Hashable, Mode, TypeAdapter[Any]]] = []
        self._schemas: dict[tuple[Hashable, Mode], Any] = {}
        self.definitions: dict[str, Any] = {}

    def add(self, key: Hashable, mode: Mode, adapter: TypeAdapter[Any]) -> None:
        self._inputs.append((key, mode, adapter))

    def resolve(self) -> None:
        """Generate all schemas; a type pydantic cannot describe gets `{}` instead of failing the document."""
        try:
            schemas, definitions = TypeAdapter.json_schemas(self._inputs, ref_template=REF_TEMPLATE)
        except _ERRORS:
            inputs = [item for item in self._inputs if _describable(item[2], item[1])]
            schemas, definitions = TypeAdapter.json_schemas(inputs, ref_template=REF_TEMPLATE)
        self._schemas = dict(schemas)
        self.definitions = dict(definitions.get("$defs", {}))

    def schema(self, key: Hashable, mode: Mode) -> Any:
        return self._schemas.get((key, mode), {})


def _describable(adapter: TypeAdapter[Any], mode: Mode) -> bool:
    try:
        adapter.json_schema(mode=mode, ref_template=REF_TEMPLATE)
    except _ERRORS:
        return False
    return True
