"""Turning a handler's return value into a response, with the encoder chosen once from the return annotation.

A declared model type drives serialization: returning an ORM object from a handler annotated `-> UserOut` (with
`from_attributes=True`) validates it into `UserOut` first, so only `UserOut`'s fields reach the client. Untyped
results go through `pydantic_core.to_json`, which handles models, dataclasses, dicts, lists, datetimes and UUIDs.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Union, get_args, get_origin

import pydantic_core
from pydantic import BaseModel, TypeAdapter

from framework.background import BackgroundTask
from framework.binding.parameters import core_validator
from framework.responses import JSONResponse, Response

__all__ = [
    "NO_ANNOTATION",
    "CommonResult",
    "RawJSONResponse",
    "build_encoder",
    "build_renderer",
    "build_rendering",
    "default_status",
    "returns_content",
]

Encoder = Callable[[Any], bytes]
Renderer = Callable[[Any], Response]

# The handler declared no return annotation (distinct from `-> None`).
NO_ANNOTATION: Any = object()
_UNTYPED = frozenset({Any, object, dict, list, typing.Dict, typing.List})  # noqa: UP006 - bare aliases mean untyped
_JSON_CONTENT_TYPE = (b"content-type", b"application/json")


class RawJSONResponse(Response):
    """A JSON response whose content is already-encoded bytes: no second serialization, no copy."""

    media_type = "application/json"

    def __init__(
        self,
        content: bytes,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
    ) -> None:
        if (
            headers is None
            and media_type is None
            and content.__class__ is bytes
            and status_code >= 200
            and status_code not in (204, 304)
        ):
            # The common case, built directly: the same attributes `Response.__init__` sets, minus its checks.
            self.status_code = status_code
            self.background = background
            self.body = content
            self.raw_headers = [(b"content-length", b"%d" % len(content)), _JSON_CONTENT_TYPE]
            return
        super().__init__(content, status_code, headers, media_type, background)

    def render(self, content: Any) -> bytes:
        if isinstance(content, bytes):
            return content
        if isinstance(content, memoryview | bytearray):
            return bytes(content)
        raise TypeError(f"RawJSONResponse takes encoded JSON bytes, got {type(content).__name__}.")


def _is_untyped(annotation: Any) -> bool:
    if annotation is NO_ANNOTATION or annotation in _UNTYPED:
        return True
    origin, args = get_origin(annotation), get_args(annotation)
    return origin in (dict, list) and all(arg is Any for arg in args)


def _is_text_data(annotation: Any) -> bool:
    """`str`, or dicts with `str` keys and lists built only from those (`dict[str, str]`, `list[dict[str, str]]`).

    Validating such a result can only reject it or turn a `str` subclass into `str`, which JSON cannot tell
    apart; encoding it directly skips a validation pass (number-typed leaves are excluded: validation turns
    `1` into `1.0` for `float`, so it changes their JSON).
    """
    if annotation is str:
        return True
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is dict and len(args) == 2:
        return args[0] is str and _is_text_data(args[1])
    if origin is list and len(args) == 1:
        return _is_text_data(args[0])
    return False


def _strip_none(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        args = tuple(arg for arg in get_args(annotation) if arg is not type(None))
        return args[0] if len(args) == 1 else Union[args]  # noqa: UP007 - built from a runtime tuple
    return annotation


def _is_response_type(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, Response)


def returns_content(annotation: Any) -> bool:
    """Whether a return annotation promises data for a body: not absent, not `None`, not a `Response` class."""
    if annotation is NO_ANNOTATION or annotation is None or annotation is type(None):
        return False
    return not _is_response_type(annotation)


def build_encoder(annotation: Any) -> Encoder:
    """The function that encodes a (non-None, non-Response) result as JSON bytes for this return annotation."""
    annotation = _strip_none(annotation)
    if annotation is None or annotation is type(None) or _is_untyped(annotation) or _is_response_type(annotation):
        return pydantic_core.to_json
    if _is_text_data(annotation):
        return pydantic_core.to_json
    adapter: TypeAdapter[Any] = TypeAdapter(annotation)
    serializer, validate = adapter.serializer, core_validator(adapter).validate_python
    if isinstance(annotation, type) and (issubclass(annotation, BaseModel) or dataclasses.is_dataclass(annotation)):
        cls = annotation

        def encode_model(value: Any) -> bytes:
            if isinstance(value, cls):
                return serializer.to_json(value)
            return serializer.to_json(validate(value, from_attributes=True))

        return encode_model

    def encode_declared(value: Any) -> bytes:
        # Validating first makes the declared type authoritative (ORM objects, subclasses with extra fields).
        return serializer.to_json(validate(value, from_attributes=True))

    return encode_declared


def default_status(status_code: int | None, annotation: Any) -> int:
    """The status documented and used for successful results: explicit, else 204 for `-> None`, else 200."""
    if status_code is not None:
        return status_code
    return 204 if annotation is None or annotation is type(None) else 200


@dataclass(frozen=True, slots=True)
class CommonResult:
    """The result class a renderer handles most (`dict` for JSON, `str` for text) and what it does with one:
    `response_class(encode(result), status)` when `encode` is set, else `response_class(result, status_code=status)`.

    Generated endpoints build the response for such results themselves, without calling the renderer.
    """

    result_class: type
    response_class: type[Response]
    encode: Encoder | None
    status: int


def _custom_renderer(
    response_class: type[Response], status: int, empty_status: int, encode: Encoder
) -> tuple[Renderer, CommonResult | None]:
    """Results for a declared `response_class`: text for HTML/plain classes, JSON-compatible data for others."""

    raw_json = issubclass(response_class, RawJSONResponse)
    takes_text = not issubclass(response_class, JSONResponse)

    def render_custom(result: Any) -> Response:
        if isinstance(result, Response):
            return result
        if result is None:
            return Response(status_code=empty_status)
        if raw_json:
            return response_class(encode(result), status_code=status)
        if takes_text and isinstance(result, str | bytes):
            return response_class(result, status_code=status)
        return response_class(pydantic_core.from_json(encode(result)), status_code=status)

    if not takes_text or raw_json:
        return render_custom, None

    def render_text(result: Any) -> Response:
        if result.__class__ is str:  # the common case first: a str is never a Response or None
            return response_class(result, status_code=status)
        return render_custom(result)

    return render_text, CommonResult(str, response_class, None, status)


def build_rendering(
    annotation: Any, status_code: int | None, response_class: type[Response] | None
) -> tuple[Renderer, CommonResult | None]:
    """The function turning a handler result into a Response, with everything decided at start-up, and the
    common result it handles directly (see `CommonResult`), if any."""
    encode = build_encoder(annotation)
    status = status_code if status_code is not None else 200
    empty_status = status_code if status_code is not None else 204
    if response_class is not None and response_class is not RawJSONResponse:
        return _custom_renderer(response_class, status, empty_status, encode)

    def render(result: Any) -> Response:
        if result.__class__ is dict:  # the common case first: a dict is never a Response or None
            return RawJSONResponse(encode(result), status)
        if result is None:
            return Response(status_code=empty_status)
        if isinstance(result, Response):
            return result
        return RawJSONResponse(encode(result), status)

    return render, CommonResult(dict, RawJSONResponse, encode, status)


def build_renderer(annotation: Any, status_code: int | None, response_class: type[Response] | None) -> Renderer:
    """The function turning a handler result into a Response, with everything decided at start-up."""
    return build_rendering(annotation, status_code, response_class)[0]
