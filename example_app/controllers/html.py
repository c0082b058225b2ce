"""What the page controllers share: form reading and validation, error pages, safe redirects.

Pages show validation errors next to their fields instead of answering with problem JSON, so the page
handlers validate form data themselves with the same schemas the JSON API uses; domain errors become an
error page with the same status the API would use.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

from pydantic import BaseModel, ValidationError

from example_app.web.csrf import CSRF_FIELD, verify_csrf_token
from framework.problems import DomainError
from framework.requests import Request
from framework.responses import Response
from framework.templating import Jinja2Templates

__all__ = ["html_errors", "local_path", "read_form"]

ModelT = TypeVar("ModelT", bound=BaseModel)
HandlerT = TypeVar("HandlerT", bound=Callable[..., Awaitable[Response]])


def _messages(error: ValidationError) -> dict[str, str]:
    messages: dict[str, str] = {}
    for item in error.errors(include_url=False, include_context=False, include_input=False):
        field = str(item["loc"][0]) if item["loc"] else "__all__"
        # pydantic's "String should have at most 100 characters" reads well as is; keep the first per field.
        messages.setdefault(field, item["msg"])
    return messages


async def read_form(request: Request, schema: type[ModelT]) -> tuple[dict[str, str], ModelT | None, dict[str, str]]:
    """The submitted text fields, the validated model (None if invalid), and the errors by field name.

    Only the schema's own fields are read, so extra inputs (the CSRF token, a `next` URL) are not "unknown
    fields". A missing or wrong CSRF token raises `CSRFRejected` (403) before anything is validated.
    """
    form = await request.form()
    verify_csrf_token(request, form.get(CSRF_FIELD))
    values = {key: value for key in schema.model_fields if isinstance(value := form.get(key), str)}
    try:
        return values, schema.model_validate(values), {}
    except ValidationError as error:
        return values, None, _messages(error)


def html_errors(handler: HandlerT) -> HandlerT:
    """Render a `DomainError` raised by a page handler as an HTML error page with the error's status.

    The handler must take `request: Request` and belong to a controller with a `templates` attribute.
    """

    @functools.wraps(handler)
    async def render_errors(self: Any, *args: Any, **kwargs: Any) -> Response:
        try:
            return await handler(self, *args, **kwargs)
        except DomainError as error:
            request = kwargs["request"]
            assert isinstance(request, Request)
            problem = error.to_problem().to_dict()
            context = {"title": problem["title"], "detail": problem.get("detail", "")}
            templates: Jinja2Templates = self.templates
            return templates.TemplateResponse(request, "error.html", context, status_code=error.status)

    return cast(HandlerT, render_errors)


def local_path(target: str | None, default: str = "/") -> str:
    """`target` if it is a path on this site, else `default`: a `next` parameter must not redirect elsewhere."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target
