"""In-memory stand-ins for the repositories and the notifier, put in through container overrides."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from example_app.domain.models import ActivityLogEntry, Project, Task, User, utcnow
from example_app.domain.schemas import TaskEvent

_ORDER_KEYS = {"name", "title", "created_at", "status", "username"}


def _sorted(items: list[Any], order_by: str) -> list[Any]:
    name = order_by.lstrip("-")
    assert name in _ORDER_KEYS
    return sorted(items, key=lambda item: (getattr(item, name), item.id), reverse=order_by.startswith("-"))


class _Store:
    def __init__(self) -> None:
        self.rows: dict[int, Any] = {}
        self._ids = itertools.count(1)

    async def add(self, row: Any) -> Any:
        row.id = next(self._ids)
        if hasattr(row, "created_at") and row.created_at is None:
            row.created_at = utcnow()
        self.rows[row.id] = row
        return row

    async def remove(self, row: Any) -> None:
        del self.rows[row.id]

    async def get_or_none(self, ident: int) -> Any:
        return self.rows.get(ident)


class FakeUserRepository(_Store):
    async def by_username(self, username: str) -> User | None:
        return next((user for user in self.rows.values() if user.username == username), None)


class FakeProjectRepository(_Store):
    def __init__(self) -> None:
        super().__init__()
        self.memberships: set[tuple[int, int]] = set()
        self.users: FakeUserRepository | None = None
        self.session = _NoSession()

    def _visible(self, user_id: int) -> list[Project]:
        return [p for p in self.rows.values() if p.owner_id == user_id or (p.id, user_id) in self.memberships]

    async def visible(self, user_id: int, project_id: int) -> Project | None:
        return next((p for p in self._visible(user_id) if p.id == project_id), None)

    async def page_for(self, user_id: int, *, limit: int, offset: int, order_by: str) -> tuple[Sequence[Project], int]:
        items = _sorted(self._visible(user_id), order_by)
        return items[offset : offset + limit], len(items)

    async def add_member(self, project_id: int, user_id: int) -> None:
        self.memberships.add((project_id, user_id))

    async def members(self, project_id: int) -> Sequence[User]:
        assert self.users is not None
        return [self.users.rows[user_id] for pid, user_id in sorted(self.memberships) if pid == project_id]


class FakeTaskRepository(_Store):
    async def in_project(self, project_id: int, task_id: int) -> Task | None:
        task = self.rows.get(task_id)
        return task if task is not None and task.project_id == project_id else None

    async def page_for(
        self, project_id: int, *, status: str | None, limit: int, offset: int, order_by: str
    ) -> tuple[Sequence[Task], int]:
        items = [t for t in self.rows.values() if t.project_id == project_id and status in (None, t.status)]
        items = _sorted(items, order_by)
        return items[offset : offset + limit], len(items)

    async def all_in_project(self, project_id: int) -> Sequence[Task]:
        return [t for t in self.rows.values() if t.project_id == project_id]

    async def title_taken(self, project_id: int, title: str, *, excluding: int | None = None) -> bool:
        return any(t.project_id == project_id and t.title == title and t.id != excluding for t in self.rows.values())

    async def save(self, task: Task) -> Task:
        if task.id is None:
            task.created_at = task.updated_at = utcnow()
            await self.add(task)
        return task


class FakeActivityRepository(_Store):
    async def recent(self, project_id: int, *, limit: int = 20) -> Sequence[ActivityLogEntry]:
        entries = [e for e in self.rows.values() if e.project_id == project_id]
        return sorted(entries, key=lambda e: e.id, reverse=True)[:limit]


class RecordingNotifier:
    """Records what the service announces instead of waiting for a commit."""

    def __init__(self) -> None:
        self.events: list[TaskEvent] = []

    def task_changed(self, event: TaskEvent) -> None:
        self.events.append(event)


class _NoSession:
    async def flush(self) -> None:
        """The fakes hold objects directly: nothing to flush."""
