"""JSON API for projects: list, create, read, update, delete, and members."""

from __future__ import annotations

from example_app.controllers.parameters import Limit, Offset, RowId
from example_app.domain.identity import SignedInUser
from example_app.domain.schemas import MemberIn, Page, ProjectIn, ProjectOrder, ProjectOut, ProjectPatch, UserOut
from example_app.services.activity import ActivityRecorder
from example_app.services.projects import ProjectService
from example_app.web.auth import LoginRequired
from framework.background import BackgroundTasks
from framework.binding import Query
from framework.controllers import controller, delete, get, patch, post
from framework.middleware import Middleware

__all__ = ["ProjectController"]


@controller("/api/projects", tags=["projects"], middleware=[Middleware(LoginRequired)])
class ProjectController:
    """Projects of the signed-in user."""

    def __init__(self, projects: ProjectService, user: SignedInUser, activity: ActivityRecorder) -> None:
        self._projects = projects
        self._user = user
        self._activity = activity

    @get("", summary="List your projects")
    async def list_projects(
        self, limit: Limit = 20, offset: Offset = 0, order: Query[ProjectOrder] = "-created_at"
    ) -> Page[ProjectOut]:
        items, total = await self._projects.list_projects(self._user, limit=limit, offset=offset, order=order)
        return Page[ProjectOut](
            items=[ProjectOut.model_validate(item) for item in items], total=total, limit=limit, offset=offset
        )

    @post("", status_code=201, summary="Create a project")
    async def create_project(self, data: ProjectIn, background: BackgroundTasks) -> ProjectOut:
        project = await self._projects.create_project(self._user, data)
        self._log(background, project.id, "project.created", f"{self._user.username} created the project")
        return ProjectOut.model_validate(project)

    @get("/{project_id:int}", summary="Read a project")
    async def get_project(self, project_id: RowId) -> ProjectOut:
        return ProjectOut.model_validate(await self._projects.get_project(self._user, project_id))

    @patch("/{project_id:int}", summary="Change a project's name or description")
    async def update_project(self, project_id: RowId, data: ProjectPatch, background: BackgroundTasks) -> ProjectOut:
        project = await self._projects.update_project(self._user, project_id, data)
        self._log(background, project.id, "project.updated", f"{self._user.username} edited the project")
        return ProjectOut.model_validate(project)

    @delete("/{project_id:int}", summary="Delete a project and its tasks (owner only)")
    async def delete_project(self, project_id: RowId, background: BackgroundTasks) -> None:
        project = await self._projects.delete_project(self._user, project_id)
        self._log(background, project_id, "project.deleted", f"{self._user.username} deleted {project.name!r}")

    @get("/{project_id:int}/members", summary="List a project's members")
    async def list_members(self, project_id: RowId) -> list[UserOut]:
        return [UserOut.model_validate(user) for user in await self._projects.list_members(self._user, project_id)]

    @post("/{project_id:int}/members", status_code=201, summary="Add a member (owner only)")
    async def add_member(self, project_id: RowId, data: MemberIn, background: BackgroundTasks) -> UserOut:
        member = await self._projects.add_member(self._user, project_id, data)
        self._log(background, project_id, "member.added", f"{self._user.username} added {member.username}")
        return UserOut.model_validate(member)

    def _log(self, background: BackgroundTasks, project_id: int, action: str, summary: str) -> None:
        self._activity.schedule(
            background, project_id=project_id, user_id=self._user.id, action=action, summary=summary
        )
