from __future__ import annotations

import pickle

import pytest

from framework.exceptions import (
    ApplicationDeprecationWarning,
    HTTPException,
    StarletteDeprecationWarning,
    WebSocketException,
)


def test_http_exception_defaults_detail_to_reason_phrase() -> None:
    exc = HTTPException(404)
    assert exc.status_code == 404
    assert exc.detail == "Not Found"
    assert exc.headers is None
    assert str(exc) == "404: Not Found"
    assert repr(exc) == "HTTPException(status_code=404, detail='Not Found')"


def test_http_exception_custom_detail_and_headers() -> None:
    exc = HTTPException(401, detail="Token expired", headers={"WWW-Authenticate": "Bearer"})
    assert exc.detail == "Token expired"
    assert exc.headers == {"WWW-Authenticate": "Bearer"}
    assert str(exc) == "401: Token expired"
    assert repr(exc) == "HTTPException(status_code=401, detail='Token expired')"


def test_http_exception_empty_detail_is_kept() -> None:
    assert HTTPException(400, detail="").detail == ""


def test_http_exception_subclass_repr_uses_subclass_name() -> None:
    class CustomHTTPException(HTTPException):
        pass

    assert repr(CustomHTTPException(500, detail="x")) == "CustomHTTPException(status_code=500, detail='x')"


def test_http_exception_is_an_exception() -> None:
    with pytest.raises(HTTPException) as info:
        raise HTTPException(418)
    assert info.value.detail == "I'm a Teapot"


def test_websocket_exception() -> None:
    exc = WebSocketException(1008, reason="Policy Violation")
    assert exc.code == 1008
    assert exc.reason == "Policy Violation"
    assert str(exc) == "1008: Policy Violation"
    assert repr(exc) == "WebSocketException(code=1008, reason='Policy Violation')"


def test_websocket_exception_default_reason_is_empty() -> None:
    exc = WebSocketException(1011)
    assert exc.reason == ""
    assert str(exc) == "1011: "
    assert repr(exc) == "WebSocketException(code=1011, reason='')"


def test_exceptions_survive_pickling_attributes() -> None:
    exc = pickle.loads(pickle.dumps(WebSocketException(1000)))
    assert isinstance(exc, WebSocketException)


def test_non_standard_status_has_empty_detail() -> None:
    exc = HTTPException(499)
    assert exc.detail == ""
    assert str(exc) == "499: "


def test_deprecation_warning_category() -> None:
    assert ApplicationDeprecationWarning is StarletteDeprecationWarning
    # Visible as a UserWarning, and still caught by code that filters DeprecationWarning.
    assert issubclass(StarletteDeprecationWarning, UserWarning)
    assert issubclass(StarletteDeprecationWarning, DeprecationWarning)
