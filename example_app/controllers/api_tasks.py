"""JSON API for the tasks of a project: list (filter, sort, paginate), create, read, update, delete."""

from __future__ import annotations

from example_app.controllers.parameters import Limit, Offset, RowId
from example_app.domain.identity import SignedInUser
from example_app.domain.models import TaskStatus
from example_app.domain.schemas import Page, TaskIn, TaskOrder, TaskOut, TaskPatch
from example_app.services.activity import ActivityRecorder
from example_app.services.tasks import TaskService
from example_app.web.auth import LoginRequired
from framework.background import BackgroundTasks
from framework.binding import Query
from framework.controllers import controller, delete, get, patch, post
from framework.middleware import Middleware

__all__ = ["TaskController"]


@controller("/api/projects/{project_id:int}/tasks", tags=["tasks"], middleware=[Middleware(LoginRequired)])
class TaskController:
    """Tasks of a project the signed-in user can see."""

    def __init__(self, tasks: TaskService, user: SignedInUser, activity: ActivityRecorder) -> None:
        self._tasks = tasks
        self._user = user
        self._activity = activity

    @get("", summary="List a project's tasks")
    async def list_tasks(
        self,
        project_id: RowId,
        status: Query[TaskStatus | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
        order: Query[TaskOrder] = "created_at",
    ) -> Page[TaskOut]:
        items, total = await self._tasks.list_tasks(
            self._user, project_id, status=status, limit=limit, offset=offset, order=order
        )
        return Page[TaskOut](items=[TaskOut.model_validate(t) for t in items], total=total, limit=limit, offset=offset)

    @post("", status_code=201, summary="Create a task")
    async def create_task(self, project_id: RowId, data: TaskIn, background: BackgroundTasks) -> TaskOut:
        task = await self._tasks.create_task(self._user, project_id, data)
        self._log(background, project_id, "task.created", f"{self._user.username} added {task.title!r}")
        return TaskOut.model_validate(task)

    @get("/{task_id:int}", summary="Read a task")
    async def get_task(self, project_id: RowId, task_id: RowId) -> TaskOut:
        return TaskOut.model_validate(await self._tasks.get_task(self._user, project_id, task_id))

    @patch("/{task_id:int}", summary="Change a task (title, description, status)")
    async def update_task(
        self, project_id: RowId, task_id: RowId, data: TaskPatch, background: BackgroundTasks
    ) -> TaskOut:
        task = await self._tasks.update_task(self._user, project_id, task_id, data)
        self._log(background, project_id, "task.updated", f"{self._user.username} updated {task.title!r}")
        return TaskOut.model_validate(task)

    @delete("/{task_id:int}", summary="Delete a task")
    async def delete_task(self, project_id: RowId, task_id: RowId, background: BackgroundTasks) -> None:
        task = await self._tasks.delete_task(self._user, project_id, task_id)
        self._log(background, project_id, "task.deleted", f"{self._user.username} deleted {task.title!r}")

    def _log(self, background: BackgroundTasks, project_id: int, action: str, summary: str) -> None:
        self._activity.schedule(
            background, project_id=project_id, user_id=self._user.id, action=action, summary=summary
        )
