"""Tasks: a task lives in a project the user can see, and its title is unique in that project."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError

from example_app.domain.errors import DuplicateTaskTitle, TaskNotFound
from example_app.domain.identity import SignedInUser
from example_app.domain.models import Task, TaskStatus, utcnow
from example_app.domain.schemas import TaskEvent, TaskIn, TaskOrder, TaskOut, TaskPatch
from example_app.repositories.tasks import TaskRepository
from example_app.services.live import TaskNotifier
from example_app.services.projects import ProjectService

__all__ = ["TaskService"]


class TaskService:
    """Creates, changes and deletes tasks, and announces each change once it has committed."""

    def __init__(self, tasks: TaskRepository, projects: ProjectService, notifier: TaskNotifier) -> None:
        self._tasks = tasks
        self._projects = projects
        self._notifier = notifier

    async def list_tasks(
        self,
        user: SignedInUser,
        project_id: int,
        *,
        status: TaskStatus | None,
        limit: int,
        offset: int,
        order: TaskOrder,
    ) -> tuple[Sequence[Task], int]:
        """A page of a project's tasks, optionally of one status, and their total count."""
        await self._projects.get_project(user, project_id)
        return await self._tasks.page_for(
            project_id, status=status.value if status else None, limit=limit, offset=offset, order_by=order
        )

    async def board(self, user: SignedInUser, project_id: int) -> Sequence[Task]:
        """Every task of the project, for its board page."""
        await self._projects.get_project(user, project_id)
        return await self._tasks.all_in_project(project_id)

    async def get_task(self, user: SignedInUser, project_id: int, task_id: int) -> Task:
        """The task, if it is in a project the user can see; `ProjectNotFound`/`TaskNotFound` otherwise."""
        await self._projects.get_project(user, project_id)
        task = await self._tasks.in_project(project_id, task_id)
        if task is None:
            raise TaskNotFound(project_id, task_id)
        return task

    async def create_task(self, user: SignedInUser, project_id: int, data: TaskIn) -> Task:
        """A new task in the project; `DuplicateTaskTitle` if the project has one with that title."""
        await self._projects.get_project(user, project_id)
        if await self._tasks.title_taken(project_id, data.title):
            raise DuplicateTaskTitle(data.title)
        task = Task(project_id=project_id, title=data.title, description=data.description, status=data.status.value)
        await self._save(task)
        self._announce("task.created", task)
        return task

    async def update_task(self, user: SignedInUser, project_id: int, task_id: int, data: TaskPatch) -> Task:
        """Change the fields that were sent; the title stays unique in the project."""
        task = await self.get_task(user, project_id, task_id)
        if data.title is not None and data.title != task.title:
            if await self._tasks.title_taken(project_id, data.title, excluding=task.id):
                raise DuplicateTaskTitle(data.title)
            task.title = data.title
        if data.description is not None:
            task.description = data.description
        if data.status is not None:
            task.status = data.status.value
        task.updated_at = utcnow()
        await self._save(task)
        self._announce("task.updated", task)
        return task

    async def delete_task(self, user: SignedInUser, project_id: int, task_id: int) -> Task:
        """Delete the task."""
        task = await self.get_task(user, project_id, task_id)
        await self._tasks.remove(task)
        self._notifier.task_changed(TaskEvent(type="task.deleted", project_id=project_id, task_id=task_id))
        return task

    async def _save(self, task: Task) -> None:
        try:
            await self._tasks.save(task)
        except IntegrityError as error:
            # Another request took the title between our check and our write.
            raise DuplicateTaskTitle(task.title) from error

    def _announce(self, kind: str, task: Task) -> None:
        event = TaskEvent.model_validate(
            {"type": kind, "project_id": task.project_id, "task_id": task.id, "task": TaskOut.model_validate(task)}
        )
        self._notifier.task_changed(event)
