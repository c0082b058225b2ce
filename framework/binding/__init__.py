"""Typed handler arguments and results: markers, the start-up compiler and its errors.

Handler parameters bind by name and type: path parameters by name, `Query[T]`/`Header[T]`/`Cookie[T]` by
marker, a pydantic model (or `Body[T]`) from the JSON body, `Form[T]`/`UploadFile` from form data, and
`Request`/`WebSocket`/`BackgroundTasks` by type. See docs/binding.md.
"""

from __future__ import annotations

from framework.binding.compiler import CompiledHandler, compile_handler
from framework.binding.errors import BindingError, ErrorItem, RequestValidationError, UnsupportedMediaType
from framework.binding.markers import Body, Cookie, Form, Header, ParamMarker, Query
from framework.binding.parameters import ParameterInfo
from framework.binding.rendering import RawJSONResponse

__all__ = [
    "BindingError",
    "Body",
    "CompiledHandler",
    "Cookie",
    "ErrorItem",
    "Form",
    "Header",
    "ParamMarker",
    "ParameterInfo",
    "Query",
    "RawJSONResponse",
    "RequestValidationError",
    "UnsupportedMediaType",
    "compile_handler",
]
