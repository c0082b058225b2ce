"""Body extractors: the JSON body and form data, read and validated once per request.

Hostile bodies are client errors: pydantic's JSON parser (jiter) bounds nesting depth and integer size, so
100,000-deep arrays and 10^6-digit numbers are rejected as malformed (400) instead of raising RecursionError or
ValueError inside the app; `NaN`/`Infinity` literals, which are not JSON, are rejected as well.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, get_args, get_origin

import pydantic_core
from pydantic import BaseModel, ValidationError

from framework.binding.errors import ErrorItem, RequestValidationError, UnsupportedMediaType
from framework.binding.extractors import Missing
from framework.binding.parameters import ParameterInfo, core_validator
from framework.datastructures import FormData, UploadFile
from framework.requests import Request

__all__ = ["AsyncExtractor", "build_async_extractor", "is_json_media_type"]

AsyncExtractor = Callable[[Request], Awaitable[Any]]

_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
_SEQUENCE_ORIGINS = (list, tuple, set, frozenset)


def _media_type(content_type: str | None) -> str:
    return "" if content_type is None else content_type.partition(";")[0].strip().lower()


def is_json_media_type(content_type: str | None) -> bool:
    """`application/json` or a structured `application/*+json` type (e.g. merge-patch+json)."""
    media = _media_type(content_type)
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def _malformed(message: str) -> RequestValidationError:
    item: ErrorItem = {"loc": ["body"], "msg": message, "type": "json_invalid"}
    return RequestValidationError([item], status=400, detail=f"The request body is not valid JSON: {message}")


def _reject_non_json_numbers(body: bytes) -> None:
    # Only bodies that contain the words pay for the second, strict parse (they may just be inside strings).
    if b"NaN" in body or b"Infinity" in body:
        try:
            pydantic_core.from_json(body, allow_inf_nan=False)
        except ValueError as exc:
            raise _malformed(str(exc)) from None


def _json_extractor(info: ParameterInfo) -> AsyncExtractor:
    required, default = info.required, info.default
    assert info.adapter is not None
    validate_json = core_validator(info.adapter).validate_json

    async def extract_json(request: Request) -> Any:
        body = await request.body()
        if not body:
            if required:
                raise Missing
            return default
        content_type = request.headers.get("content-type")
        if not is_json_media_type(content_type):
            shown = "no Content-Type" if content_type is None else f"Content-Type {content_type!r}"
            raise UnsupportedMediaType(f"Expected a JSON body (Content-Type: application/json), got {shown}.")
        try:
            value = validate_json(body)
        except ValidationError as exc:
            errors = exc.errors(include_url=False, include_context=False, include_input=False)
            if errors and errors[0]["type"] == "json_invalid":
                raise _malformed(errors[0]["msg"]) from None
            _reject_non_json_numbers(body)
            raise
        except (ValueError, RecursionError) as exc:  # defensive: parsers must never turn bad input into a 500
            raise _malformed(str(exc) or type(exc).__name__) from None
        _reject_non_json_numbers(body)
        return value

    return extract_json


async def _read_form(request: Request) -> FormData:
    media = _media_type(request.headers.get("content-type"))
    if media and media not in _FORM_TYPES:
        raise UnsupportedMediaType(
            f"Expected form data (application/x-www-form-urlencoded or multipart/form-data), got {media!r}."
        )
    return await request.form()


def _sequence_keys(annotation: Any) -> frozenset[str]:
    """Form keys whose model field is a list: those read every repeated value, the others the last one."""
    if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
        return frozenset()
    keys: set[str] = set()
    for name, field in annotation.model_fields.items():
        tp = field.annotation
        origin = get_origin(tp)
        if origin in _SEQUENCE_ORIGINS or any(get_origin(arg) in _SEQUENCE_ORIGINS for arg in get_args(tp)):
            alias = field.validation_alias if isinstance(field.validation_alias, str) else field.alias
            keys.add(alias or name)
    return frozenset(keys)


def _form_model_extractor(info: ParameterInfo) -> AsyncExtractor:
    assert info.adapter is not None
    validate = core_validator(info.adapter).validate_python
    sequence_keys = _sequence_keys(info.annotation)

    async def extract_form_model(request: Request) -> Any:
        form = await _read_form(request)
        data = {key: form.getlist(key) if key in sequence_keys else form[key] for key in form}
        return validate(data)

    return extract_form_model


def _form_field_extractor(info: ParameterInfo) -> AsyncExtractor:
    alias, required, default, sequence = info.alias, info.required, info.default, info.is_sequence
    assert info.adapter is not None
    validate = core_validator(info.adapter).validate_python

    async def extract_form_field(request: Request) -> Any:
        form = await _read_form(request)
        raw: Any = form.getlist(alias) if sequence else form.get(alias)
        if raw is None or raw == []:
            if required:
                raise Missing
            return default
        return validate(raw)

    return extract_form_field


def _not_a_file(alias: str) -> ValidationError:
    line: Any = {"type": "value_error", "loc": (), "input": None, "ctx": {"error": f"'{alias}' must be a file"}}
    return ValidationError.from_exception_data("UploadFile", [line])


def _file_extractor(info: ParameterInfo) -> AsyncExtractor:
    alias, required, default, sequence = info.alias, info.required, info.default, info.is_sequence

    async def extract_file(request: Request) -> Any:
        form = await _read_form(request)
        values: list[Any] = form.getlist(alias)
        if not values:
            if required:
                raise Missing
            return default
        if not all(isinstance(value, UploadFile) for value in values):
            raise _not_a_file(alias)
        return values if sequence else values[-1]

    return extract_file


def build_async_extractor(info: ParameterInfo) -> AsyncExtractor | None:
    """The extractor for a body/form/file parameter; None for the synchronous sources."""
    if info.source == "body":
        return _json_extractor(info)
    if info.source == "form":
        return _form_model_extractor(info) if info.is_model else _form_field_extractor(info)
    if info.source == "file":
        return _file_extractor(info)
    return None
