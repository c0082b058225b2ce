"""The activity log: appended after changes commit, read newest first."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from example_app.domain.models import ActivityLogEntry
from framework.db import Repository

__all__ = ["ActivityRepository"]


class ActivityRepository(Repository[ActivityLogEntry]):
    """Data access for `ActivityLogEntry`."""

    ordering = ("created_at",)

    async def recent(self, project_id: int, *, limit: int = 20) -> Sequence[ActivityLogEntry]:
        """The latest entries of a project, newest first."""
        statement = (
            select(ActivityLogEntry)
            .where(ActivityLogEntry.project_id == project_id)
            .order_by(ActivityLogEntry.created_at.desc(), ActivityLogEntry.id.desc())
            .limit(limit)
        )
        return (await self.session.scalars(statement)).all()
