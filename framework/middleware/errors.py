"""`ServerErrorMiddleware`: the outermost safety net that turns an unhandled exception into a 500.

The exception is always re-raised after the response went out, so the server (or the TestClient)
still sees and logs it. Tracebacks are only ever shown to the client with `debug=True`.
"""

from __future__ import annotations

import html
import linecache
import traceback

from framework._exception_handler import SendTracker
from framework._utils import is_async_callable
from framework.concurrency import run_in_threadpool
from framework.requests import Request
from framework.responses import HTMLResponse, PlainTextResponse, Response
from framework.types import ASGIApp, ExceptionHandler, Receive, Scope, Send

__all__ = ["ServerErrorMiddleware"]

_CONTEXT_LINES = 3

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
h1 { color: #b00020; font-size: 1.4rem; }
h2 { font-size: 1.1rem; word-break: break-word; }
.frame { border: 1px solid #ddd; border-radius: 4px; margin: 1rem 0; }
.frame-title { background: #f5f5f5; padding: .4rem .6rem; font-family: monospace; }
.frame pre { margin: 0; padding: .4rem .6rem; overflow-x: auto; }
.current { background: #ffe3e3; display: block; }
"""


class ServerErrorMiddleware:
    """Answer an unhandled exception with a 500 (or `handler`'s response), then re-raise it.

    With `debug=True` the response is the traceback: an HTML page when the client accepts HTML,
    plain text otherwise. Nothing is sent when the response had already started.
    """

    def __init__(self, app: ASGIApp, handler: ExceptionHandler | None = None, debug: bool = False) -> None:
        self.app = app
        self.handler = handler
        self.debug = debug

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tracker = send if type(send) is SendTracker else SendTracker(send)
        try:
            await self.app(scope, receive, tracker)
        except Exception as exc:
            await self._answer(exc, scope, receive, send, tracker)
            # Re-raise so the server logs it (and the TestClient can surface it in tests).
            raise

    async def _answer(self, exc: Exception, scope: Scope, receive: Receive, send: Send, tracker: SendTracker) -> None:
        """Send the error response for `exc`, unless the application's own response already started."""
        response = await self._error_response(Request(scope), exc)
        if response is not None and not tracker.started:
            await response(scope, receive, send)

    async def _error_response(self, request: Request, exc: Exception) -> Response | None:
        if self.debug:
            # Formatting reads source files: keep that blocking I/O off the event loop.
            return await run_in_threadpool(self.debug_response, request, exc)
        if self.handler is None:
            return self.error_response(request, exc)
        if is_async_callable(self.handler):
            response: Response | None = await self.handler(request, exc)
        else:
            response = await run_in_threadpool(self.handler, request, exc)  # type: ignore[arg-type]
        return response

    def error_response(self, request: Request, exc: Exception) -> Response:
        return PlainTextResponse("Internal Server Error", status_code=500)

    def debug_response(self, request: Request, exc: Exception) -> Response:
        if "text/html" in request.headers.get("accept", ""):
            return HTMLResponse(self.generate_html(exc), status_code=500)
        return PlainTextResponse(self.generate_plain_text(exc), status_code=500)

    def generate_plain_text(self, exc: BaseException) -> str:
        return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))

    def generate_html(self, exc: BaseException, limit: int = 7) -> str:
        """An HTML page: the error, the innermost `limit` frames with source context, the full traceback.

        Every piece of text can come from user input (messages, paths), so all of it is escaped.
        """
        frames = traceback.extract_tb(exc.__traceback__)[-limit:]
        error = f"{type(exc).__name__}: {exc}"
        body = "".join(self.generate_frame_html(frame) for frame in reversed(frames))
        full = html.escape(self.generate_plain_text(exc))
        return (
            f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>500 Server Error</title>"
            f"<style>{_STYLE}</style></head><body>"
            f"<h1>500 Server Error</h1><h2>{html.escape(error)}</h2>"
            f"<h3>Traceback (most recent call first)</h3>{body}"
            f"<details><summary>Full traceback</summary><pre>{full}</pre></details>"
            f"</body></html>"
        )

    def generate_frame_html(self, frame: traceback.FrameSummary) -> str:
        title = html.escape(f'File "{frame.filename}", line {frame.lineno}, in {frame.name}')
        lineno = frame.lineno or 0
        lines = []
        for number in range(max(lineno - _CONTEXT_LINES, 1), lineno + _CONTEXT_LINES + 1):
            source = linecache.getline(frame.filename, number)
            if not source:
                continue
            text = html.escape(f"{number:>5} {source.rstrip()}")
            lines.append(f"<span class='current'>{text}</span>" if number == lineno else text + "\n")
        return f"<div class='frame'><div class='frame-title'>{title}</div><pre>{''.join(lines)}</pre></div>"
