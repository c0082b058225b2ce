"""Handler signatures that could only ever answer 422 (or break the protocol) are refused at start-up."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import pytest
from pydantic import BaseModel

from framework.binding import BindingError, Header, Query, compile_handler
from framework.responses import Response
from framework.routing import compile_path


class Filters(BaseModel):
    name: str


def _compile(function: Callable[..., Any], path: str = "/", status_code: int | None = None) -> Any:
    return compile_handler(
        function,
        where="ItemController.handler",
        path=path,
        path_param_names=tuple(compile_path(path)[2]),
        status_code=status_code,
        response_class=None,
    )


def _error(function: Callable[..., Any], path: str = "/", status_code: int | None = None) -> str:
    with pytest.raises(BindingError) as info:
        _compile(function, path, status_code)
    return str(info.value)


def test_converted_path_parameter_annotated_str() -> None:
    async def handler(self: Any, item_id: str) -> None: ...

    assert _error(handler, "/items/{item_id:int}") == (
        "ItemController.handler: path parameter 'item_id' is converted by '{item_id:int}' but annotated str; "
        "annotate 'item_id: int', or drop ':int' from the path."
    )
    assert "annotate 'item_id: uuid.UUID'" in _error(handler, "/items/{item_id:uuid}")
    assert _compile(handler, "/items/{item_id}").parameters[0].source == "path"
    assert _compile(handler, "/files/{item_id:path}").parameters[0].source == "path"


def test_model_read_from_a_single_value_source() -> None:
    async def from_query(self: Any, filters: Query[Filters]) -> None: ...

    async def from_header(self: Any, filters: Header[Filters | None] = None) -> None: ...

    assert _error(from_query) == (
        "ItemController.handler: parameter 'filters' reads a model from the query, which carries single values; "
        "declare each field as its own Query[...] parameter, or drop the marker to read the model from the JSON body."
    )
    assert "reads a model from the header" in _error(from_header)


def test_two_parameters_reading_one_wire_name() -> None:
    async def twice(self: Any, page: Query[int], number: Annotated[int, Query(alias="page")]) -> None: ...

    async def headers(self: Any, x_token: Header[str], token: Annotated[str, Header(alias="X-Token")]) -> None: ...

    assert _error(twice) == (
        "ItemController.handler: parameters 'page' and 'number' both read the query value 'page'; give one of them "
        "another alias, or keep one parameter."
    )
    assert "parameters 'x_token' and 'token' both read the header value 'X-Token'" in _error(headers)


def test_bodyless_status_with_a_returned_model() -> None:
    async def returns_model(self: Any) -> Filters:
        return Filters(name="x")

    async def returns_nothing(self: Any) -> None: ...

    async def returns_response(self: Any) -> Response:
        return Response(status_code=304)

    assert _error(returns_model, status_code=204) == (
        "ItemController.handler: status_code=204 responses have no body, but the handler returns Filters; annotate "
        "'-> None' (or return a Response), or choose a status that carries content."
    )
    assert "status_code=304" in _error(returns_model, status_code=304)
    assert _compile(returns_nothing, status_code=204).status_code == 204
    assert _compile(returns_response, status_code=304).status_code == 304
