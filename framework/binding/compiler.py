"""`compile_handler`: a handler signature becomes a `CompiledHandler` once, at start-up.

The per-request path is: run a precomputed tuple of extractor closures, call the handler, run a precomputed
renderer. No `inspect`, no type-hint resolution and no TypeAdapter construction happen per request.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Collection
from typing import Any

from pydantic import ValidationError
from pydantic.errors import PydanticSchemaGenerationError, PydanticUserError

from framework._utils import is_async_callable
from framework.background import BackgroundTask, BackgroundTasks
from framework.binding.bodies import AsyncExtractor, build_async_extractor
from framework.binding.errors import BindingError, ErrorItem, RequestValidationError, validation_items
from framework.binding.extractors import Missing, SyncExtractor, build_sync_extractor
from framework.binding.parameters import ParameterInfo, analyse_signature
from framework.binding.rendering import (
    NO_ANNOTATION,
    CommonResult,
    Renderer,
    build_rendering,
    default_status,
    returns_content,
)
from framework.concurrency import run_in_threadpool
from framework.exceptions import HTTPException
from framework.problems import DomainError, domain_error_problem, http_exception_problem
from framework.requests import HTTPConnection, Request
from framework.responses import Response
from framework.websockets import WebSocket

__all__ = ["CompiledHandler", "compile_handler", "error_response"]

# (argument name, extractor, loc prefix used for its errors)
_SyncStep = tuple[str, SyncExtractor, tuple[str, ...]]
_AsyncStep = tuple[str, AsyncExtractor, tuple[str, ...]]

# WebSocket close code for a connection whose handshake parameters do not validate (RFC 6455 "policy violation").
_WS_POLICY_VIOLATION = 1008
# Statuses whose responses must not carry content (RFC 9110): a handler declaring one cannot return data.
_BODYLESS_STATUSES = frozenset({204, 304})


def _loc(info: ParameterInfo) -> tuple[str, ...]:
    if info.source == "body" or (info.source == "form" and info.is_model):
        return (info.source,)
    return ("form" if info.source == "file" else info.source, info.alias)


def _missing_item(loc: tuple[str, ...]) -> ErrorItem:
    return {"loc": list(loc), "msg": "Field required", "type": "missing"}


def _bind_sync(steps: tuple[_SyncStep, ...], conn: HTTPConnection, errors: list[ErrorItem]) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    for name, extract, loc in steps:
        try:
            kwargs[name] = extract(conn)
        except ValidationError as exc:
            errors.extend(validation_items(exc, loc))
        except Missing:
            errors.append(_missing_item(loc))
    return kwargs


def _attach_background(response: Response, tasks: BackgroundTasks) -> None:
    if not tasks.tasks:
        return
    if response.background is not None:
        # Keep the response's own task first, then the handler's.
        tasks.tasks.insert(0, response.background)
    response.background = tasks


class _CloseForm(BackgroundTask):
    """Runs the response's own background work, then closes the request's uploaded files (even if it failed).

    Uploads stay open until the response is sent so handlers may stream them or hand them to background tasks.
    """

    def __init__(self, inner: BackgroundTask | None, request: Request) -> None:
        super().__init__(request.close)
        self.inner = inner
        self.request = request

    async def __call__(self) -> None:
        try:
            if self.inner is not None:
                await self.inner()
        finally:
            await self.request.close()


class CompiledHandler:
    """A handler's binder and renderer, built once; `await compiled(bound, request)` serves one request.

    The attributes describe the handler for OpenAPI and tooling: `parameters`, `body_annotation` (JSON/form body
    type or None), `body_media_type`, `response_annotation`, `status_code` (of a successful result), `is_async`.
    """

    __slots__ = (
        "_async_steps",
        "_background",
        "_has_params",
        "_reads_form",
        "_render",
        "_sync_steps",
        "binds_now",
        "body_annotation",
        "body_media_type",
        "common_result",
        "direct_render",
        "function",
        "is_async",
        "parameters",
        "path",
        "plain_binding",
        "render",
        "response_annotation",
        "response_class",
        "status_code",
        "websocket",
        "where",
    )

    def __init__(
        self,
        *,
        function: Callable[..., Any],
        where: str,
        path: str,
        parameters: tuple[ParameterInfo, ...],
        response_annotation: Any,
        status_code: int | None,
        response_class: type[Response] | None,
        websocket: bool,
    ) -> None:
        self.function = function
        self.where = where
        self.path = path
        self.parameters = parameters
        self.websocket = websocket
        self.is_async = is_async_callable(function)
        self.response_annotation = response_annotation
        self.response_class = response_class
        self.status_code = default_status(status_code, response_annotation)
        body = next((p for p in parameters if p.source in ("body", "form", "file")), None)
        self.body_annotation: Any = None if body is None or body.source != "body" else body.annotation
        self.body_media_type = _body_media_type(parameters)
        self._sync_steps: tuple[_SyncStep, ...] = tuple(
            (p.name, extract, _loc(p)) for p in parameters if (extract := build_sync_extractor(p)) is not None
        )
        self._async_steps: tuple[_AsyncStep, ...] = tuple(
            (p.name, reader, _loc(p)) for p in parameters if (reader := build_async_extractor(p)) is not None
        )
        self._has_params = bool(parameters)
        self._reads_form = any(p.source in ("form", "file") for p in parameters)
        self._background = next((p.name for p in parameters if p.source == "background"), None)
        self._render, self.common_result = _rendering(where, response_annotation, status_code, response_class)
        # The result -> Response function, for endpoints that call the handler themselves; `common_result`
        # tells them which results they can turn into a response directly.
        self.render: Renderer = self._render
        # A handler that reads nothing from the request can be awaited and rendered by its endpoint inline.
        simple = self.is_async and not parameters and not websocket
        self.direct_render: Renderer | None = self._render if simple else None
        # No uploads to close and no background tasks to attach after the call: endpoints may bind (`bind`) and
        # call the handler themselves. `binds_now`: from the request line and headers only, without awaiting.
        self.plain_binding = not self._reads_form and self._background is None
        self.binds_now = self.plain_binding and not self._async_steps

    def __repr__(self) -> str:
        return f"CompiledHandler({self.where!r}, path={self.path!r})"

    async def bind(self, request: Request) -> dict[str, Any]:
        """Read and validate every argument; raise `RequestValidationError` listing all failures at once."""
        errors: list[ErrorItem] = []
        kwargs = _bind_sync(self._sync_steps, request, errors) if self._sync_steps else {}
        # `_bind_async`, inlined: one coroutine less per request with a body.
        for name, extract, loc in self._async_steps:
            try:
                kwargs[name] = await extract(request)
            except ValidationError as exc:
                errors.extend(validation_items(exc, loc))
            except Missing:
                errors.append(_missing_item(loc))
        if errors:
            raise RequestValidationError(errors)
        return kwargs

    def bind_now(self, request: Request) -> dict[str, Any]:
        """`bind` for handlers whose arguments need no body (`binds_now`): nothing to await."""
        errors: list[ErrorItem] = []
        kwargs = _bind_sync(self._sync_steps, request, errors)
        if errors:
            raise RequestValidationError(errors)
        return kwargs

    async def __call__(self, bound: Callable[..., Any], request: Request) -> Response:
        try:
            if self._has_params:
                kwargs = await self.bind(request)
                result = await bound(**kwargs) if self.is_async else await run_in_threadpool(bound, **kwargs)
            else:
                kwargs = None
                result = await bound() if self.is_async else await run_in_threadpool(bound)
        except (DomainError, HTTPException) as exc:
            response = error_response(exc, request)
        else:
            response = self._render(result)
            if self._background is not None and kwargs is not None:
                _attach_background(response, kwargs[self._background])
        if self._reads_form:
            response.background = _CloseForm(response.background, request)
        return response

    async def call_websocket(self, bound: Callable[..., Any], websocket: WebSocket) -> None:
        """Bind the handshake's path/query/header/cookie values and run the handler; close 1008 if invalid."""
        errors: list[ErrorItem] = []
        kwargs = _bind_sync(self._sync_steps, websocket, errors)
        if errors:
            reason = RequestValidationError(errors).detail or "Invalid parameters"
            # A close reason is limited to 123 bytes (RFC 6455), so cut on bytes, not characters.
            await websocket.close(code=_WS_POLICY_VIOLATION, reason=reason.encode()[:120].decode(errors="ignore"))
            return
        await bound(**kwargs)


def error_response(exc: DomainError | HTTPException, request: Request) -> Response:
    """The problem-details response for an error a handler raised (or its controller's construction)."""
    if isinstance(exc, DomainError):
        return domain_error_problem(exc, request.url.path)
    return http_exception_problem(exc, request.url.path)


def _rendering(
    where: str, annotation: Any, status_code: int | None, response_class: type[Response] | None
) -> tuple[Renderer, CommonResult | None]:
    try:
        return build_rendering(annotation, status_code, response_class)
    except (PydanticSchemaGenerationError, PydanticUserError) as exc:
        raise BindingError(
            f"{where}: the return annotation {annotation!r} cannot be serialized by pydantic ({exc}); "
            "annotate a pydantic model (from_attributes=True for ORM objects), a dataclass or plain data."
        ) from exc


def _body_media_type(parameters: tuple[ParameterInfo, ...]) -> str | None:
    sources = {p.source for p in parameters}
    if "file" in sources:
        return "multipart/form-data"
    if "form" in sources:
        return "application/x-www-form-urlencoded"
    if "body" in sources:
        return "application/json"
    return None


def compile_handler(
    function: Callable[..., Any],
    *,
    where: str,
    path: str,
    path_param_names: Collection[str],
    status_code: int | None,
    response_class: type[Response] | None,
    websocket: bool = False,
) -> CompiledHandler:
    """Compile a controller method (first parameter `self`) into a `CompiledHandler`; misconfiguration raises
    `BindingError` naming `where`, the parameter and the fix."""
    parameters = analyse_signature(
        function, where=where, path=path, path_param_names=path_param_names, websocket=websocket
    )
    if websocket and not is_async_callable(function):
        raise BindingError(f"{where}: WebSocket handlers must be 'async def'.")
    hints = getattr(function, "__annotations__", {})
    response_annotation = _return_annotation(function, where) if "return" in hints else NO_ANNOTATION
    if status_code in _BODYLESS_STATUSES and returns_content(response_annotation):
        raise BindingError(
            f"{where}: status_code={status_code} responses have no body, but the handler returns "
            f"{getattr(response_annotation, '__name__', response_annotation)!s}; annotate '-> None' (or return a "
            "Response), or choose a status that carries content."
        )
    return CompiledHandler(
        function=function,
        where=where,
        path=path,
        parameters=parameters,
        response_annotation=response_annotation,
        status_code=status_code,
        response_class=response_class,
        websocket=websocket,
    )


def _return_annotation(function: Callable[..., Any], where: str) -> Any:
    try:
        return typing.get_type_hints(function, include_extras=True).get("return", NO_ANNOTATION)
    except (NameError, TypeError, AttributeError) as exc:
        raise BindingError(
            f"{where}: cannot resolve the return annotation ({exc}); define it at module level."
        ) from exc
