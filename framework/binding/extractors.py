"""Per-request extractors: small closures, built once per parameter, that read one argument from a connection.

An extractor returns the validated value, raises `Missing` when a required value is absent, or lets pydantic's
`ValidationError` through; the binder turns both into `{loc, msg, type}` items. Path, query, header and cookie
extractors are synchronous (they only read the scope); body and form ones live in `framework.binding.bodies`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from framework.background import BackgroundTasks
from framework.binding.parameters import ParameterInfo, core_validator
from framework.requests import HTTPConnection

__all__ = ["Missing", "SyncExtractor", "build_sync_extractor", "path_identity_type"]

SyncExtractor = Callable[[HTTPConnection], Any]

# Types whose pydantic (lax) validation returns an input of exactly that type unchanged, so it can be skipped.
_IDENTITY_TYPES: tuple[type, ...] = (str, int, float)


class Missing(Exception):
    """A required value is absent from the request."""


def _identity_type(info: ParameterInfo) -> type | None:
    annotation = info.annotation
    return annotation if annotation in _IDENTITY_TYPES else None


def path_identity_type(info: ParameterInfo) -> type | None:
    """For a path parameter of a type whose values need no validation when they already have it, that type."""
    return _identity_type(info) if info.source == "path" else None


def _path_extractor(info: ParameterInfo) -> SyncExtractor:
    name, exact = info.name, _identity_type(info)
    assert info.adapter is not None
    validate = core_validator(info.adapter).validate_python

    def extract_path(conn: HTTPConnection) -> Any:
        value = conn.path_params[name]
        if value.__class__ is exact:
            return value
        return validate(value)

    return extract_path


def _scalar_extractor(info: ParameterInfo, lookup: Callable[[HTTPConnection, str], str | None]) -> SyncExtractor:
    alias, required, default = info.alias, info.required, info.default
    assert info.adapter is not None
    validate = core_validator(info.adapter).validate_python
    # Raw values are strings: a `str` parameter needs no validation at all.
    passthrough = info.annotation is str

    def extract_scalar(conn: HTTPConnection) -> Any:
        raw = lookup(conn, alias)
        if raw is None:
            if required:
                raise Missing
            return default
        return raw if passthrough else validate(raw)

    return extract_scalar


def _sequence_extractor(info: ParameterInfo, lookup: Callable[[HTTPConnection, str], list[str]]) -> SyncExtractor:
    alias, required, default = info.alias, info.required, info.default
    assert info.adapter is not None
    validate = core_validator(info.adapter).validate_python

    def extract_sequence(conn: HTTPConnection) -> Any:
        raw = lookup(conn, alias)
        if not raw:
            if required:
                raise Missing
            return default
        return validate(raw)

    return extract_sequence


def _query_get(conn: HTTPConnection, key: str) -> str | None:
    return conn.query_params.get(key)


def _query_getlist(conn: HTTPConnection, key: str) -> list[str]:
    return conn.query_params.getlist(key)


def _header_get(conn: HTTPConnection, key: str) -> str | None:
    return conn.headers.get(key)


def _header_getlist(conn: HTTPConnection, key: str) -> list[str]:
    return conn.headers.getlist(key)


def _cookie_get(conn: HTTPConnection, key: str) -> str | None:
    return conn.cookies.get(key)


def _connection(conn: HTTPConnection) -> Any:
    return conn


def _background(conn: HTTPConnection) -> Any:
    return BackgroundTasks()


def build_sync_extractor(info: ParameterInfo) -> SyncExtractor | None:
    """The extractor for a path/query/header/cookie/connection parameter; None for body and form sources."""
    source = info.source
    if source == "path":
        return _path_extractor(info)
    if source == "query":
        return _sequence_extractor(info, _query_getlist) if info.is_sequence else _scalar_extractor(info, _query_get)
    if source == "header":
        if info.is_sequence:
            return _sequence_extractor(info, _header_getlist)
        return _scalar_extractor(info, _header_get)
    if source == "cookie":
        return _scalar_extractor(info, _cookie_get)
    if source in ("request", "websocket"):
        return _connection
    if source == "background":
        return _background
    return None
