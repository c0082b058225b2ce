"""The Jinja2 templates of the HTML pages, with what every page needs in its context."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from example_app.domain.models import TaskStatus
from example_app.web.csrf import csrf_token
from framework.requests import Request
from framework.templating import Jinja2Templates

__all__ = ["STATIC_DIR", "TASK_COLUMNS", "TEMPLATES_DIR", "create_templates"]

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

# The board's columns, in order, with their headings.
TASK_COLUMNS: tuple[tuple[str, str], ...] = (
    (TaskStatus.TODO.value, "To do"),
    (TaskStatus.DOING.value, "Doing"),
    (TaskStatus.DONE.value, "Done"),
)


def _page_context(request: Request) -> dict[str, Any]:
    # Every page may render a form (the log-out button at least), so every page gets the token.
    return {"csrf_token": csrf_token(request), "columns": TASK_COLUMNS}


def create_templates(directory: Path = TEMPLATES_DIR) -> Jinja2Templates:
    """Templates with autoescaping on (the toolkit's default) and the page context above."""
    return Jinja2Templates(directory=directory, context_processors=[_page_context])
