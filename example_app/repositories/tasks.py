"""Tasks of a project, with filtering by status and allow-listed ordering."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, func, select

from example_app.domain.models import Task
from framework.db import Repository, transactional

__all__ = ["TaskRepository"]


class TaskRepository(Repository[Task]):
    """Data access for `Task`."""

    ordering = ("title", "created_at", "status")
    max_limit = 100

    async def in_project(self, project_id: int, task_id: int) -> Task | None:
        """The task if it belongs to that project, else None."""
        found: Task | None = await self.session.scalar(
            select(Task).where(Task.id == task_id, Task.project_id == project_id)
        )
        return found

    async def page_for(
        self, project_id: int, *, status: str | None, limit: int, offset: int, order_by: str
    ) -> tuple[Sequence[Task], int]:
        """One page of a project's tasks (optionally one status only), and how many match in all."""
        conditions: list[ColumnElement[bool]] = [Task.project_id == project_id]
        if status is not None:
            conditions.append(Task.status == status)
        total = await self.session.scalar(select(func.count()).select_from(Task).where(*conditions))
        statement = (
            select(Task).where(*conditions).order_by(self._order_clause(order_by), Task.id).limit(limit).offset(offset)
        )
        return (await self.session.scalars(statement)).all(), total or 0

    async def all_in_project(self, project_id: int) -> Sequence[Task]:
        """Every task of a project, oldest first (a board page shows them all)."""
        statement = select(Task).where(Task.project_id == project_id).order_by(Task.created_at, Task.id)
        return (await self.session.scalars(statement)).all()

    async def title_taken(self, project_id: int, title: str, *, excluding: int | None = None) -> bool:
        """Whether another task of the project already has this title."""
        statement = select(Task.id).where(Task.project_id == project_id, Task.title == title)
        if excluding is not None:
            statement = statement.where(Task.id != excluding)
        return await self.session.scalar(statement.limit(1)) is not None

    @transactional
    async def save(self, task: Task) -> Task:
        """Add or update a task in a savepoint, so a unique-title race fails alone and can be reported as such."""
        self.session.add(task)
        await self.session.flush()
        return task
