"""The activity log of a project, written by background tasks after the change it records has committed."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from example_app.domain.models import ActivityLogEntry
from example_app.repositories.activity import ActivityRepository
from framework.background import BackgroundTasks

__all__ = ["ActivityRecorder", "ActivityService"]


class ActivityService:
    """Appends to and reads the activity log."""

    def __init__(self, entries: ActivityRepository) -> None:
        self._entries = entries

    async def record(self, *, project_id: int, user_id: int | None, action: str, summary: str) -> ActivityLogEntry:
        """Append one entry."""
        entry = ActivityLogEntry(project_id=project_id, user_id=user_id, action=action, summary=summary[:300])
        return await self._entries.add(entry)

    async def recent(self, project_id: int, limit: int = 20) -> Sequence[ActivityLogEntry]:
        """The latest entries of a project, newest first."""
        return await self._entries.recent(project_id, limit=limit)


class ActivityRecorder:
    """Schedules log entries as background tasks of the response.

    They run after the response was sent, so after the request committed (a rolled-back change is never
    logged), each in a fresh request scope: `make_service` then resolves a service with its own session and
    transaction. Logging is best effort; a failure is logged and does not affect the request.
    """

    def __init__(self, make_service: Callable[[], ActivityService]) -> None:
        self._make_service = make_service

    def schedule(
        self, background: BackgroundTasks, *, project_id: int, user_id: int | None, action: str, summary: str
    ) -> None:
        """Write an entry once the response is out."""
        background.add_task(self.write, project_id=project_id, user_id=user_id, action=action, summary=summary)

    async def write(self, *, project_id: int, user_id: int | None, action: str, summary: str) -> None:
        """Write an entry now, in the current scope's session (the background task's own)."""
        await self._make_service().record(project_id=project_id, user_id=user_id, action=action, summary=summary)
