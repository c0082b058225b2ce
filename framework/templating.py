"""Render Jinja2 templates into HTML responses.

Templates get a ``url_for`` global that reverses routes through the ``request`` in their context,
and context processors add per-request values to every template. When the server (or TestClient)
announces the ``http.response.debug`` extension, the response reports its template and context
before it is sent, which is how tests can assert on ``response.template`` and ``response.context``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from os import PathLike
from typing import Any, overload

import jinja2

from framework.background import BackgroundTask
from framework.datastructures import URL
from framework.requests import Request
from framework.responses import HTMLResponse
from framework.types import Receive, Scope, Send

__all__ = ["Jinja2Templates"]

_ContextProcessor = Callable[[Request], dict[str, Any]]


class _TemplateResponse(HTMLResponse):
    """An HTML response that remembers the template and context it was rendered from."""

    def __init__(
        self,
        template: jinja2.Template,
        context: dict[str, Any],
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
    ) -> None:
        self.template = template
        self.context = context
        content = template.render(context)
        super().__init__(content, status_code, headers, media_type, background)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = self.context.get("request")
        extensions = request.get("extensions", {}) if isinstance(request, Mapping) else {}
        if "http.response.debug" in extensions:
            await send({"type": "http.response.debug", "info": {"template": self.template, "context": self.context}})
        await super().__call__(scope, receive, send)


@jinja2.pass_context
def _url_for(context: Mapping[str, Any], name: str, /, **path_params: Any) -> URL:
    request: Request = context["request"]
    return request.url_for(name, **path_params)


class Jinja2Templates:
    """A Jinja2 environment plus ``TemplateResponse``, built from template directories or a given env.

    Pass exactly one of ``directory`` (a path or a sequence of paths) and ``env``.
    """

    @overload
    def __init__(
        self,
        directory: str | PathLike[str] | Sequence[str | PathLike[str]],
        *,
        context_processors: list[_ContextProcessor] | None = None,
    ) -> None: ...

    @overload
    def __init__(
        self,
        *,
        env: jinja2.Environment,
        context_processors: list[_ContextProcessor] | None = None,
    ) -> None: ...

    def __init__(
        self,
        directory: str | PathLike[str] | Sequence[str | PathLike[str]] | None = None,
        *,
        context_processors: list[_ContextProcessor] | None = None,
        env: jinja2.Environment | None = None,
    ) -> None:
        assert bool(directory) ^ bool(env), "either 'directory' or 'env' arguments must be passed"
        self.context_processors = context_processors or []
        if env is None:
            assert directory is not None
            env = self._create_env(directory)
        self.env = env
        self._setup_env_defaults(self.env)

    def _create_env(self, directory: str | PathLike[str] | Sequence[str | PathLike[str]]) -> jinja2.Environment:
        loader = jinja2.FileSystemLoader(directory)
        # Context values are untrusted: escape in every template, as Starlette does (``{{ x|safe }}`` opts out).
        return jinja2.Environment(loader=loader, autoescape=True)

    def _setup_env_defaults(self, env: jinja2.Environment) -> None:
        # setdefault: an env passed in may already define its own url_for.
        env.globals.setdefault("url_for", _url_for)

    def get_template(self, name: str) -> jinja2.Template:
        return self.env.get_template(name)

    def TemplateResponse(
        self,
        request: Request,
        name: str,
        context: dict[str, Any] | None = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
    ) -> _TemplateResponse:
        """Render ``name`` with ``context`` (plus ``request`` and context processor values)."""
        context = context or {}
        context.setdefault("request", request)
        for context_processor in self.context_processors:
            context.update(context_processor(request))
        template = self.get_template(name)
        return _TemplateResponse(
            template,
            context,
            status_code=status_code,
            headers=headers,
            media_type=media_type,
            background=background,
        )
