"""Start-up analysis of a handler signature: where each argument comes from and how it is validated.

Runs once per route. Every decision the per-request binder needs (source, wire name, default, TypeAdapter) is
made here, and every signature the binder cannot serve fails with a `BindingError` that names the fix.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import types
import typing
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, TypeAdapter
from pydantic.errors import PydanticSchemaGenerationError, PydanticUserError
from pydantic_core import SchemaValidator
from typing_extensions import is_typeddict

from framework.background import BackgroundTasks
from framework.binding.errors import BindingError
from framework.binding.markers import UNSET, ParamMarker
from framework.datastructures import UploadFile
from framework.requests import HTTPConnection
from framework.websockets import WebSocket

__all__ = ["SOURCES", "ParameterInfo", "analyse_signature", "core_validator", "is_model_type"]

SOURCES = frozenset({"path", "query", "header", "cookie", "body", "form", "file", "request", "websocket", "background"})
_VALIDATED = frozenset({"path", "query", "header", "cookie", "body", "form"})
_WEBSOCKET_SOURCES = frozenset({"path", "query", "header", "cookie", "websocket", "request"})
_SINGLE_VALUE_SOURCES = frozenset({"query", "header", "cookie"})
_NAMED_SOURCES = frozenset({"query", "header", "cookie", "form", "file"})
_SEQUENCES = (list, tuple, set, frozenset, Sequence, Collection)
_CONVERTOR_TYPES = {"int": "int", "float": "float", "uuid": "uuid.UUID", "path": "str", "str": "str"}
_PATH_PARAM = re.compile(r"{([a-zA-Z_][a-zA-Z0-9_]*)(?::([a-zA-Z_][a-zA-Z0-9_]*))?}")


@dataclasses.dataclass(frozen=True, slots=True)
class ParameterInfo:
    """One handler argument: where it is read from (`source`), under which wire name (`alias`), and its type.

    `annotation` is the declared type without framework markers (pydantic `Field`/constraints kept); `adapter`
    validates it (None for sources that are not validated, like `request`). OpenAPI reads these.
    """

    name: str
    source: str
    alias: str
    annotation: Any
    required: bool
    default: Any = None
    description: str | None = None
    adapter: TypeAdapter[Any] | None = None
    is_sequence: bool = False
    is_model: bool = False


def core_validator(adapter: TypeAdapter[Any]) -> SchemaValidator | TypeAdapter[Any]:
    """What to call `validate_python`/`validate_json` on: the adapter's core validator once it is built.

    `TypeAdapter.validate_*` only forward to it (with the same defaults); calling it directly saves pydantic's
    Python-level wrapper on every request.
    """
    validator = adapter.validator
    return validator if isinstance(validator, SchemaValidator) else adapter


def is_model_type(tp: Any) -> bool:
    """True for types that read a whole structured payload: pydantic models, dataclasses, TypedDicts, mappings."""
    if isinstance(tp, type):
        if issubclass(tp, BaseModel) or dataclasses.is_dataclass(tp) or is_typeddict(tp):
            return True
        return issubclass(tp, dict)
    origin = get_origin(tp)
    if origin is Annotated:
        return is_model_type(get_args(tp)[0])
    return origin in (dict, Mapping)


def _strip_optional(tp: Any) -> Any:
    if get_origin(tp) in (Union, types.UnionType):
        args = [arg for arg in get_args(tp) if arg is not type(None)]
        if len(args) == 1:
            return args[0]
    return tp


def _sequence_item(tp: Any) -> Any | None:
    """The item type of `list[T]`-like annotations, else None."""
    base = _strip_optional(tp)
    if get_origin(base) is Annotated:
        base = get_args(base)[0]
    if get_origin(base) in _SEQUENCES:
        args = get_args(base)
        return args[0] if args else Any
    return None


def _is_class(tp: Any, cls: type) -> bool:
    return isinstance(tp, type) and issubclass(tp, cls)


def _split_markers(annotation: Any, where: str, name: str) -> tuple[Any, ParamMarker | None]:
    """Separate our marker from the rest of an `Annotated[...]` so pydantic only sees its own metadata."""
    if get_origin(annotation) is not Annotated:
        return annotation, None
    base, *metadata = get_args(annotation)
    markers: list[ParamMarker] = []
    rest: list[Any] = []
    for item in metadata:
        if isinstance(item, type) and issubclass(item, ParamMarker):
            item = item()
        (markers if isinstance(item, ParamMarker) else rest).append(item)
    if len(markers) > 1:
        found = ", ".join(type(marker).__name__ for marker in markers)
        raise BindingError(f"{where}: parameter '{name}' has several source markers ({found}); keep one.")
    stripped = Annotated[(base, *rest)] if rest else base
    return stripped, markers[0] if markers else None


def _implicit_source(annotation: Any) -> str:
    """Source of an unmarked, non-path parameter, from its type."""
    base = _strip_optional(annotation)
    if _is_class(base, WebSocket):
        return "websocket"
    if _is_class(base, HTTPConnection):
        return "request"
    if _is_class(base, BackgroundTasks):
        return "background"
    item = _sequence_item(annotation)
    if _is_class(base, UploadFile) or (item is not None and _is_class(item, UploadFile)):
        return "file"
    if is_model_type(base) or (item is not None and is_model_type(item)):
        return "body"
    return "query"


def _wire_name(name: str, source: str, marker: ParamMarker | None) -> str:
    if marker is not None and marker.alias:
        return marker.alias
    if source == "header" and getattr(marker, "convert_underscores", True):
        return name.replace("_", "-")
    return name


def _adapter(annotation: Any, where: str, name: str) -> TypeAdapter[Any]:
    try:
        return TypeAdapter(annotation)
    except (PydanticSchemaGenerationError, PydanticUserError, TypeError, NameError) as exc:
        raise BindingError(
            f"{where}: parameter '{name}' has a type pydantic cannot validate ({annotation!r}: {exc}); "
            "use a type pydantic supports or declare it as Request/WebSocket/BackgroundTasks/UploadFile."
        ) from exc


def _resolve_hints(function: Callable[..., Any], where: str) -> dict[str, Any]:
    try:
        return typing.get_type_hints(function, include_extras=True)
    except NameError as exc:
        raise BindingError(
            f"{where}: cannot resolve the type hints ({exc}); define the types the handler uses at module level "
            "and import them at run time (not only under TYPE_CHECKING)."
        ) from exc
    except Exception as exc:  # evaluating an annotation runs user code, e.g. a marker called with a bad option
        raise BindingError(f"{where}: evaluating the annotations failed ({exc}); fix that annotation.") from exc


def _check_kind(parameter: inspect.Parameter, where: str) -> None:
    if parameter.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
        raise BindingError(f"{where}: parameter '{parameter.name}' is variadic; declare each argument by name.")
    if parameter.kind is inspect.Parameter.POSITIONAL_ONLY:
        raise BindingError(f"{where}: parameter '{parameter.name}' is positional-only; remove the '/' marker.")


def _default_of(parameter: inspect.Parameter, marker: ParamMarker | None, where: str) -> Any:
    signature_default = UNSET if parameter.default is inspect.Parameter.empty else parameter.default
    marker_default = UNSET if marker is None else marker.default
    if signature_default is not UNSET and marker_default is not UNSET and signature_default != marker_default:
        raise BindingError(
            f"{where}: parameter '{parameter.name}' has different defaults in the signature "
            f"({signature_default!r}) and in its marker ({marker_default!r}); keep one."
        )
    return marker_default if signature_default is UNSET else signature_default


def _source_of(name: str, annotation: Any, marker: ParamMarker | None, path_names: Collection[str], where: str) -> str:
    if name in path_names:
        if marker is not None:
            raise BindingError(
                f"{where}: '{name}' is a path parameter but is marked {type(marker).__name__}; "
                f"remove the marker or rename the argument."
            )
        return "path"
    if marker is None:
        return _implicit_source(annotation)
    if marker.source == "form":
        base = _strip_optional(annotation)
        item = _sequence_item(annotation)
        if _is_class(base, UploadFile) or (item is not None and _is_class(item, UploadFile)):
            return "file"
    return marker.source


def _parameter_info(
    parameter: inspect.Parameter, hints: Mapping[str, Any], path_names: Collection[str], where: str
) -> ParameterInfo:
    name = parameter.name
    _check_kind(parameter, where)
    if name not in hints:
        raise BindingError(f"{where}: parameter '{name}' has no type hint; add one, e.g. '{name}: str'.")
    annotation, marker = _split_markers(hints[name], where, name)
    source = _source_of(name, annotation, marker, path_names, where)
    default = _default_of(parameter, marker, where)
    is_sequence = source in ("query", "header", "file", "form") and _sequence_item(annotation) is not None
    is_model = source in ("body", "form") and is_model_type(_strip_optional(annotation))
    adapter = _adapter(annotation, where, name) if source in _VALIDATED else None
    return ParameterInfo(
        name=name,
        source=source,
        alias=_wire_name(name, source, marker),
        annotation=annotation,
        required=default is UNSET and source in _VALIDATED | {"file"},
        default=None if default is UNSET else default,
        description=None if marker is None else marker.description,
        adapter=adapter,
        is_sequence=is_sequence and not is_model,
        is_model=is_model,
    )


def _path_fix(path: str, name: str) -> str:
    for match in _PATH_PARAM.finditer(path):
        if match.group(1) == name:
            return _CONVERTOR_TYPES.get(match.group(2) or "str", "str")
    return "str"


def _check_combination(params: Sequence[ParameterInfo], where: str, websocket: bool) -> None:
    sources = [info.source for info in params]
    bodies = [info.name for info in params if info.source == "body"]
    if len(bodies) > 1:
        raise BindingError(
            f"{where}: parameters {', '.join(repr(b) for b in bodies)} all read the JSON body; "
            "combine them into one model."
        )
    if bodies and any(source in ("form", "file") for source in sources):
        raise BindingError(f"{where}: parameter '{bodies[0]}' reads a JSON body but others read form data; pick one.")
    if sum(1 for info in params if info.source == "form" and info.is_model) > 1:
        raise BindingError(f"{where}: only one Form[Model] parameter can take the whole form; merge the models.")
    _check_wire_names(params, where)
    for info in params:
        if info.source in _SINGLE_VALUE_SOURCES and is_model_type(_strip_optional(info.annotation)):
            raise BindingError(
                f"{where}: parameter '{info.name}' reads a model from the {info.source}, which carries single "
                f"values; declare each field as its own {info.source.capitalize()}[...] parameter, or drop the marker "
                "to read the model from the JSON body."
            )
        if websocket and info.source not in _WEBSOCKET_SOURCES:
            raise BindingError(
                f"{where}: WebSocket handlers cannot read '{info.name}' from the {info.source}; "
                "receive data from the WebSocket instead."
            )
        if websocket and info.source == "request" and info.annotation is not HTTPConnection:
            raise BindingError(f"{where}: parameter '{info.name}' asks for a Request; annotate it as WebSocket.")
        if not websocket and info.source == "websocket":
            raise BindingError(f"{where}: parameter '{info.name}' asks for a WebSocket in an HTTP handler.")


def _check_wire_names(params: Sequence[ParameterInfo], where: str) -> None:
    """Two arguments reading one query key, header, cookie or form field would silently get the same value."""
    seen: dict[tuple[str, str], str] = {}
    for info in params:
        if info.source not in _NAMED_SOURCES or info.is_model:
            continue  # a Form[Model] reads the whole form, not one field
        source = "form" if info.source == "file" else info.source
        key = (source, info.alias.lower() if source == "header" else info.alias)
        other = seen.setdefault(key, info.name)
        if other != info.name:
            raise BindingError(
                f"{where}: parameters '{other}' and '{info.name}' both read the {source} value {info.alias!r}; "
                "give one of them another alias, or keep one parameter."
            )


def _check_path_types(params: Sequence[ParameterInfo], path: str, where: str) -> None:
    """A `{x:int}` convertor hands the handler an int: annotating `x: str` would reject every request with 422."""
    convertors = {match.group(1): match.group(2) or "str" for match in _PATH_PARAM.finditer(path)}
    for info in params:
        convertor = convertors.get(info.name, "str")
        if info.source == "path" and info.annotation is str and convertor not in ("str", "path"):
            raise BindingError(
                f"{where}: path parameter '{info.name}' is converted by '{{{info.name}:{convertor}}}' but annotated "
                f"str; annotate '{info.name}: {_CONVERTOR_TYPES.get(convertor, convertor)}', or drop ':{convertor}' "
                "from the path."
            )


def analyse_signature(
    function: Callable[..., Any], *, where: str, path: str, path_param_names: Collection[str], websocket: bool
) -> tuple[ParameterInfo, ...]:
    """Classify every argument after `self`; raise `BindingError` for anything the binder cannot serve."""
    hints = _resolve_hints(function, where)
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError) as exc:
        raise BindingError(f"{where}: cannot read the handler signature ({exc}); use a plain function.") from exc
    if not parameters or parameters[0].kind not in (
        inspect.Parameter.POSITIONAL_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
    ):
        raise BindingError(f"{where}: a handler method takes 'self' first; define it inside the controller class.")
    path_names = frozenset(path_param_names)
    infos = tuple(_parameter_info(parameter, hints, path_names, where) for parameter in parameters[1:])
    declared = {info.name for info in infos}
    for name in sorted(path_names - declared):
        raise BindingError(f"{where}: path parameter '{name}' has no argument; add '{name}: {_path_fix(path, name)}'.")
    _check_combination(infos, where, websocket)
    _check_path_types(infos, path, where)
    return infos
