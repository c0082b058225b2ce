"""Background tasks that each run in a request scope of their own.

A task attached to a response runs after that response (so after the request's unit of work committed); a
fresh scope gives a task that resolves a session its own session and transaction instead of the request's,
which is about to be closed.
"""

from __future__ import annotations

import logging

from framework.background import BackgroundTask, BackgroundTasks
from framework.di.scope import RequestScope

__all__ = ["in_fresh_scopes"]

logger = logging.getLogger("framework.di")


class _ScopedTask(BackgroundTask):
    """Runs `task` inside a new scope; a failure is logged and does not stop the tasks after it."""

    def __init__(self, task: BackgroundTask) -> None:
        super().__init__(_run_in_scope, task)


async def _run_in_scope(task: BackgroundTask) -> None:
    try:
        async with RequestScope():
            await task()
    except Exception:
        logger.exception("Background task %r failed", getattr(task, "func", task))


def in_fresh_scopes(background: BackgroundTask) -> BackgroundTask:
    """The same work, with each task (each entry of a `BackgroundTasks`) in a fresh scope of its own."""
    if isinstance(background, _ScopedTask):
        return background
    if isinstance(background, BackgroundTasks):
        return BackgroundTasks([_ScopedTask(task) for task in background.tasks])
    return _ScopedTask(background)
