"""Pages of a signed-in user: create and edit projects, the project board, and task forms."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from example_app.controllers.html import html_errors, read_form
from example_app.controllers.parameters import RowId
from example_app.domain.errors import DuplicateTaskTitle
from example_app.domain.identity import SignedInUser
from example_app.domain.models import Project, Task
from example_app.domain.schemas import ProjectIn, ProjectPatch, TaskIn, TaskPatch
from example_app.services.activity import ActivityRecorder, ActivityService
from example_app.services.projects import ProjectService
from example_app.services.tasks import TaskService
from example_app.web.auth import LoginRequired
from example_app.web.csrf import CSRF_FIELD, verify_csrf_token
from framework.background import BackgroundTasks
from framework.controllers import controller, get, post
from framework.middleware import Middleware
from framework.requests import Request
from framework.responses import RedirectResponse, Response
from framework.templating import Jinja2Templates

__all__ = ["BoardPageController"]


@controller(tags=["pages"], middleware=[Middleware(LoginRequired, login_page="/login")])
class BoardPageController:
    """Project and task pages; every change redirects (303) back to a page, so a reload never re-posts."""

    def __init__(
        self,
        projects: ProjectService,
        tasks: TaskService,
        activity_log: ActivityService,
        activity: ActivityRecorder,
        templates: Jinja2Templates,
        user: SignedInUser,
    ) -> None:
        self._projects = projects
        self._tasks = tasks
        self._activity_log = activity_log
        self._activity = activity
        self.templates = templates
        self._user = user

    @get("/projects/new", include_in_schema=False)
    async def show_new_project(self, request: Request) -> Response:
        return self.templates.TemplateResponse(request, "project_form.html", {"values": {}, "errors": {}})

    @post("/projects/new", include_in_schema=False)
    @html_errors
    async def submit_new_project(self, request: Request, background: BackgroundTasks) -> Response:
        values, data, errors = await read_form(request, ProjectIn)
        if data is None:
            context = {"values": values, "errors": errors}
            return self.templates.TemplateResponse(request, "project_form.html", context, status_code=422)
        project = await self._projects.create_project(self._user, data)
        self._log(background, project.id, "project.created", "created the project")
        return self._to_project(request, project.id)

    @get("/projects/{project_id:int}", include_in_schema=False)
    @html_errors
    async def show_project(self, request: Request, project_id: RowId) -> Response:
        project = await self._projects.get_project(self._user, project_id)
        return await self._project_page(request, project, values={}, errors={})

    @get("/projects/{project_id:int}/edit", include_in_schema=False)
    @html_errors
    async def show_project_edit(self, request: Request, project_id: RowId) -> Response:
        project = await self._projects.get_project(self._user, project_id)
        values = {"name": project.name, "description": project.description}
        context = {"project": project, "values": values, "errors": {}}
        return self.templates.TemplateResponse(request, "project_form.html", context)

    @post("/projects/{project_id:int}/edit", include_in_schema=False)
    @html_errors
    async def submit_project_edit(self, request: Request, project_id: RowId, background: BackgroundTasks) -> Response:
        project = await self._projects.get_project(self._user, project_id)
        values, data, errors = await read_form(request, ProjectIn)
        if data is None:
            context = {"project": project, "values": values, "errors": errors}
            return self.templates.TemplateResponse(request, "project_form.html", context, status_code=422)
        patch = ProjectPatch(name=data.name, description=data.description)
        await self._projects.update_project(self._user, project_id, patch)
        self._log(background, project_id, "project.updated", "edited the project")
        return self._to_project(request, project_id)

    @post("/projects/{project_id:int}/delete", include_in_schema=False)
    @html_errors
    async def submit_project_delete(self, request: Request, project_id: RowId, background: BackgroundTasks) -> Response:
        verify_csrf_token(request, (await request.form()).get(CSRF_FIELD))
        project = await self._projects.delete_project(self._user, project_id)
        self._log(background, project_id, "project.deleted", f"deleted {project.name!r}")
        return RedirectResponse(request.url_for("show_board"), status_code=303)

    @post("/projects/{project_id:int}/tasks", include_in_schema=False)
    @html_errors
    async def submit_new_task(self, request: Request, project_id: RowId, background: BackgroundTasks) -> Response:
        project = await self._projects.get_project(self._user, project_id)
        values, data, errors = await read_form(request, TaskIn)
        if data is not None:
            try:
                task = await self._tasks.create_task(self._user, project_id, data)
            except DuplicateTaskTitle as error:
                errors = {"title": error.detail or "Duplicate title."}
            else:
                self._log(background, project_id, "task.created", f"added {task.title!r}")
                return self._to_project(request, project_id)
        return await self._project_page(request, project, values=values, errors=errors, status_code=422)

    @get("/projects/{project_id:int}/tasks/{task_id:int}/edit", include_in_schema=False)
    @html_errors
    async def show_task_edit(self, request: Request, project_id: RowId, task_id: RowId) -> Response:
        task = await self._tasks.get_task(self._user, project_id, task_id)
        project = await self._projects.get_project(self._user, project_id)
        values = {"title": task.title, "description": task.description, "status": task.status}
        return self._task_form(request, project, task, values, {})

    @post("/projects/{project_id:int}/tasks/{task_id:int}/edit", include_in_schema=False)
    @html_errors
    async def submit_task_edit(
        self, request: Request, project_id: RowId, task_id: RowId, background: BackgroundTasks
    ) -> Response:
        task = await self._tasks.get_task(self._user, project_id, task_id)
        project = await self._projects.get_project(self._user, project_id)
        values, data, errors = await read_form(request, TaskIn)
        if data is not None:
            patch = TaskPatch(title=data.title, description=data.description, status=data.status)
            try:
                await self._tasks.update_task(self._user, project_id, task_id, patch)
            except DuplicateTaskTitle as error:
                errors = {"title": error.detail or "Duplicate title."}
            else:
                self._log(background, project_id, "task.updated", f"updated {data.title!r}")
                return self._to_project(request, project_id)
        return self._task_form(request, project, task, values, errors, status_code=422)

    @post("/projects/{project_id:int}/tasks/{task_id:int}/delete", include_in_schema=False)
    @html_errors
    async def submit_task_delete(
        self, request: Request, project_id: RowId, task_id: RowId, background: BackgroundTasks
    ) -> Response:
        verify_csrf_token(request, (await request.form()).get(CSRF_FIELD))
        task = await self._tasks.delete_task(self._user, project_id, task_id)
        self._log(background, project_id, "task.deleted", f"deleted {task.title!r}")
        return self._to_project(request, project_id)

    async def _project_page(
        self,
        request: Request,
        project: Project,
        *,
        values: Mapping[str, str],
        errors: Mapping[str, str],
        status_code: int = 200,
    ) -> Response:
        context: dict[str, Any] = {
            "project": project,
            "is_owner": project.owner_id == self._user.id,
            "tasks": await self._tasks.board(self._user, project.id),
            "activity": await self._activity_log.recent(project.id),
            "values": values,
            "errors": errors,
        }
        return self.templates.TemplateResponse(request, "project.html", context, status_code=status_code)

    def _task_form(
        self,
        request: Request,
        project: Project,
        task: Task,
        values: Mapping[str, str],
        errors: Mapping[str, str],
        status_code: int = 200,
    ) -> Response:
        context = {"project": project, "task": task, "values": values, "errors": errors}
        return self.templates.TemplateResponse(request, "task_form.html", context, status_code=status_code)

    def _to_project(self, request: Request, project_id: int) -> Response:
        return RedirectResponse(request.url_for("show_project", project_id=project_id), status_code=303)

    def _log(self, background: BackgroundTasks, project_id: int, action: str, summary: str) -> None:
        summary = f"{self._user.username} {summary}"
        self._activity.schedule(
            background, project_id=project_id, user_id=self._user.id, action=action, summary=summary
        )
