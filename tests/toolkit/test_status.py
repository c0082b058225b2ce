from __future__ import annotations

import http

import pytest

from framework import status
from framework.exceptions import StarletteDeprecationWarning


def test_http_constants_match_their_codes() -> None:
    names = [name for name in status.__all__ if name.startswith("HTTP_")]
    assert len(names) == 63
    for name in names:
        assert getattr(status, name) == int(name.split("_")[1])


def test_websocket_constants_match_their_codes() -> None:
    names = [name for name in status.__all__ if name.startswith("WS_")]
    assert len(names) == 15
    for name in names:
        assert getattr(status, name) == int(name.split("_")[1])


def test_http_codes_known_to_the_stdlib_are_present() -> None:
    codes = {getattr(status, name) for name in status.__all__ if name.startswith("HTTP_")}
    # 418 is not in every Python's HTTPStatus; the stdlib must not know more than we do.
    assert {code.value for code in http.HTTPStatus} - codes == set()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HTTP_413_CONTENT_TOO_LARGE", 413),
        ("HTTP_414_URI_TOO_LONG", 414),
        ("HTTP_416_RANGE_NOT_SATISFIABLE", 416),
        ("HTTP_422_UNPROCESSABLE_CONTENT", 422),
        ("HTTP_418_IM_A_TEAPOT", 418),
        ("HTTP_425_TOO_EARLY", 425),
        ("WS_1008_POLICY_VIOLATION", 1008),
        ("WS_1013_TRY_AGAIN_LATER", 1013),
    ],
)
def test_rfc_9110_names(name: str, value: int) -> None:
    assert getattr(status, name) == value


@pytest.mark.parametrize(
    ("old", "new", "value"),
    [
        ("HTTP_413_REQUEST_ENTITY_TOO_LARGE", "HTTP_413_CONTENT_TOO_LARGE", 413),
        ("HTTP_414_REQUEST_URI_TOO_LONG", "HTTP_414_URI_TOO_LONG", 414),
        ("HTTP_416_REQUESTED_RANGE_NOT_SATISFIABLE", "HTTP_416_RANGE_NOT_SATISFIABLE", 416),
        ("HTTP_422_UNPROCESSABLE_ENTITY", "HTTP_422_UNPROCESSABLE_CONTENT", 422),
    ],
)
def test_deprecated_names_warn_and_resolve(old: str, new: str, value: int) -> None:
    with pytest.warns(DeprecationWarning, match=f"'{old}' is deprecated") as record:
        assert getattr(status, old) == value
    assert len(record) == 1
    assert str(record[0].message) == f"'{old}' is deprecated. Use '{new}' instead."
    assert record[0].filename == __file__


def test_deprecated_names_are_not_exported() -> None:
    assert "HTTP_422_UNPROCESSABLE_ENTITY" not in status.__all__
    assert "HTTP_422_UNPROCESSABLE_ENTITY" in dir(status)


def test_unknown_name_raises_attribute_error() -> None:
    with pytest.raises(AttributeError, match=r"module 'framework\.status' has no attribute 'HTTP_999_NOPE'"):
        status.HTTP_999_NOPE  # noqa: B018


def test_star_import_only_exports_current_names() -> None:
    namespace: dict[str, object] = {}
    exec("from framework.status import *", namespace)
    exported = {name for name in namespace if not name.startswith("__")}
    assert exported == set(status.__all__)


def test_renamed_constants_warn_with_the_toolkit_category() -> None:
    with pytest.warns(StarletteDeprecationWarning, match="Use 'HTTP_422_UNPROCESSABLE_CONTENT' instead"):
        assert status.HTTP_422_UNPROCESSABLE_ENTITY == 422
