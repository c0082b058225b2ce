from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import datetime

import pytest

from framework import convertors
from framework.convertors import (
    CONVERTOR_TYPES,
    Convertor,
    FloatConvertor,
    IntegerConvertor,
    StringConvertor,
    register_url_convertor,
)
from framework.requests import Request
from framework.responses import JSONResponse
from framework.routing import Route, Router
from framework.testclient import TestClient

TestClientFactory = Callable[..., TestClient]


class DateTimeConvertor(Convertor[datetime]):
    regex = "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"

    def convert(self, value: str) -> datetime:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S")

    def to_string(self, value: datetime) -> str:
        return value.strftime("%Y-%m-%dT%H:%M:%S")


@pytest.fixture
def registered_datetime() -> Iterator[None]:
    register_url_convertor("datetime", DateTimeConvertor())
    yield
    convertors.CONVERTOR_TYPES.pop("datetime")


async def echo_params(request: Request) -> JSONResponse:
    return JSONResponse({key: repr(value) for key, value in request.path_params.items()})


def test_custom_convertor_round_trip(registered_datetime: None, test_client_factory: TestClientFactory) -> None:
    app = Router([Route("/at/{moment:datetime}", echo_params, name="at")])
    client = test_client_factory(app)

    response = client.get("/at/2024-02-29T10:20:30")

    assert response.status_code == 200
    assert response.json() == {"moment": repr(datetime(2024, 2, 29, 10, 20, 30))}
    assert app.url_path_for("at", moment=datetime(2024, 1, 2, 3, 4, 5)) == "/at/2024-01-02T03:04:05"
    assert client.get("/at/2024-02-29").status_code == 404


@pytest.mark.parametrize(
    ("path", "status", "expected"),
    [
        ("/float/1.5", 200, {"value": "1.5"}),
        ("/float/7", 200, {"value": "7.0"}),
        ("/float/1-0", 404, None),
        ("/float/-1.0", 404, None),
        ("/int/42", 200, {"value": "42"}),
        ("/int/4.2", 404, None),
        ("/int/-3", 404, None),
        (
            "/uuid/ec38df32-ceda-4cfa-9b4a-1aeb94ad551a",
            200,
            {"value": repr(uuid.UUID("ec38df32-ceda-4cfa-9b4a-1aeb94ad551a"))},
        ),
        ("/uuid/not-a-uuid", 404, None),
        (
            "/uuid/ec38df32ceda4cfa9b4a1aeb94ad551a",
            200,
            {"value": repr(uuid.UUID("ec38df32-ceda-4cfa-9b4a-1aeb94ad551a"))},
        ),
        (
            "/uuid/EC38DF32-CEDA-4CFA-9B4A-1AEB94AD551A",
            200,
            {"value": repr(uuid.UUID("ec38df32-ceda-4cfa-9b4a-1aeb94ad551a"))},
        ),
        (
            "/uuid/ec38df32ceda-4cfa9b4a-1aeb94ad551a",
            200,
            {"value": repr(uuid.UUID("ec38df32-ceda-4cfa-9b4a-1aeb94ad551a"))},
        ),
        ("/uuid/ec38df32ceda4cfa9b4a1aeb94ad551", 404, None),
        ("/uuid/ec38df32ceda4cfa9b4a1aeb94ad551aa", 404, None),
        ("/uuid/ec38df32--ceda-4cfa-9b4a-1aeb94ad551a", 404, None),
        ("/uuid/gc38df32ceda4cfa9b4a1aeb94ad551a", 404, None),
        ("/path/a/b/c", 200, {"value": "'a/b/c'"}),
        ("/str/abc", 200, {"value": "'abc'"}),
        ("/str/a/b", 404, None),
    ],
)
def test_default_convertors_match_and_convert(
    test_client_factory: TestClientFactory, path: str, status: int, expected: dict[str, str] | None
) -> None:
    app = Router(
        [
            Route("/float/{value:float}", echo_params),
            Route("/int/{value:int}", echo_params),
            Route("/uuid/{value:uuid}", echo_params),
            Route("/path/{value:path}", echo_params),
            Route("/str/{value:str}", echo_params),
        ]
    )
    response = test_client_factory(app).get(path)
    assert response.status_code == status
    if expected is not None:
        assert response.json() == expected


def test_integer_too_long_for_int_is_not_found_not_a_crash(test_client_factory: TestClientFactory) -> None:
    app = Router([Route("/int/{value:int}", echo_params)])
    response = test_client_factory(app).get("/int/" + "9" * 5000)
    assert response.status_code == 404
    assert response.text == "Not Found"


def test_float_to_string_never_uses_exponent_notation() -> None:
    convertor = FloatConvertor()
    assert convertor.to_string(25.5) == "25.5"
    assert convertor.to_string(1e-7) == "0.0000001"
    assert convertor.to_string(3.0) == "3"


@pytest.mark.parametrize("value", [-1.0, float("nan"), float("inf")])
def test_float_to_string_rejects_values_the_regex_cannot_match(value: float) -> None:
    with pytest.raises(ValueError, match="not supported"):
        FloatConvertor().to_string(value)


def test_to_string_errors_are_also_assertion_errors_like_starlette() -> None:
    with pytest.raises(AssertionError, match="Negative integers are not supported"):
        IntegerConvertor().to_string(-1)
    with pytest.raises(AssertionError, match="May not contain path separators"):
        StringConvertor().to_string("a/b")
    with pytest.raises(ValueError, match="Must not be empty"):
        StringConvertor().to_string("")


def test_default_types_are_registered() -> None:
    assert set(CONVERTOR_TYPES) >= {"str", "path", "int", "float", "uuid"}
