"""RFC 9457 problem details: rendering, domain errors and the opt-in exception handlers for toolkit routes."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from framework.applications import Application
from framework.exceptions import HTTPException
from framework.problems import (
    PROBLEM_MEDIA_TYPE,
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    ProblemDetails,
    Unauthorized,
    problem_exception_handlers,
    problem_response,
)
from framework.requests import Request
from framework.responses import PlainTextResponse, Response
from framework.routing import Route
from framework.testclient import TestClient

ClientFactory = Callable[..., TestClient]


class OutOfStock(DomainError):
    status = 409
    title = "Out of stock"
    type = "https://example.com/problems/out-of-stock"
    code = "out_of_stock"


def test_problem_response_defaults() -> None:
    response = problem_response(404)
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert response.body == b'{"type":"about:blank","title":"Not Found","status":404}'


def test_problem_response_with_all_members() -> None:
    response = problem_response(
        403,
        title="No access",
        detail="Only owners may do this.",
        type="https://example.com/problems/owner-only",
        instance="/orders/1",
        headers={"x-trace": "t1"},
        owner_id=7,
    )
    assert response.headers["x-trace"] == "t1"
    assert response.headers["content-length"] == str(len(response.body))
    assert ProblemDetails(403, "No access", "Only owners may do this.").to_dict() == {
        "type": "about:blank",
        "title": "No access",
        "status": 403,
        "detail": "Only owners may do this.",
    }
    assert b'"instance":"/orders/1"' in response.body
    assert b'"owner_id":7' in response.body


def test_extensions_cannot_overwrite_standard_members() -> None:
    problem = ProblemDetails(400, extensions={"status": 200, "title": "hijack", "hint": "x"})
    assert problem.to_dict() == {"type": "about:blank", "title": "Bad Request", "status": 400, "hint": "x"}


def test_bodyless_statuses_have_no_body() -> None:
    response = problem_response(304)
    assert response.status_code == 304
    assert response.body == b""
    assert "content-type" not in response.headers


def test_unknown_status_gets_generic_title() -> None:
    assert ProblemDetails(599).to_dict()["title"] == "Error"


@pytest.mark.parametrize(
    ("error_type", "status"),
    [(DomainError, 400), (NotFound, 404), (Conflict, 409), (PermissionDenied, 403), (Unauthorized, 401)],
)
def test_domain_error_statuses(error_type: type[DomainError], status: int) -> None:
    error = error_type("Something specific.")
    problem = error.to_problem("/x")
    assert problem.status == status
    assert problem.detail == "Something specific."
    assert problem.instance == "/x"
    assert str(error) == "Something specific."
    assert isinstance(error, Exception)


def test_domain_error_subclass_with_class_defaults() -> None:
    error = OutOfStock("Only 2 left.", available=2)
    assert error.to_problem("/cart").to_dict() == {
        "type": "https://example.com/problems/out-of-stock",
        "title": "Out of stock",
        "status": 409,
        "detail": "Only 2 left.",
        "instance": "/cart",
        "available": 2,
        "code": "out_of_stock",
    }
    assert repr(error) == "OutOfStock(detail='Only 2 left.')"


async def raise_not_found(request: Request) -> Response:
    raise NotFound("Order 9 does not exist.", code="order_missing")


async def raise_http(request: Request) -> Response:
    raise HTTPException(status_code=405, headers={"Allow": "GET"})


async def raise_304(request: Request) -> Response:
    raise HTTPException(status_code=304)


async def ok(request: Request) -> Response:
    return PlainTextResponse("ok")


def test_exception_handlers_for_toolkit_routes(test_client_factory: ClientFactory) -> None:
    app = Application(
        routes=[Route("/orders/9", raise_not_found), Route("/http", raise_http), Route("/cached", raise_304)],
        exception_handlers=problem_exception_handlers(),
    )
    with test_client_factory(app) as client:
        not_found = client.get("/orders/9")
        http_error = client.get("/http")
        unknown_route = client.get("/nowhere")
        cached = client.get("/cached")
    assert not_found.status_code == 404
    assert not_found.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert not_found.json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "Order 9 does not exist.",
        "instance": "/orders/9",
        "code": "order_missing",
    }
    assert http_error.status_code == 405
    assert http_error.headers["allow"] == "GET"
    assert http_error.json()["detail"] == "Method Not Allowed"
    # The router's own 404 is an HTTPException too, so unknown paths answer with a problem as well.
    assert unknown_route.status_code == 404
    assert unknown_route.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert cached.status_code == 304
    assert cached.content == b""


def test_without_handlers_toolkit_keeps_its_format(test_client_factory: ClientFactory) -> None:
    app = Application(routes=[Route("/", ok)])
    with test_client_factory(app) as client:
        response = client.get("/nowhere")
    assert response.status_code == 404
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
