"""Projects: who may see them, who may change them."""

from __future__ import annotations

from collections.abc import Sequence

from example_app.domain.errors import NotProjectOwner, ProjectNotFound, UserNotFound
from example_app.domain.identity import SignedInUser
from example_app.domain.models import Project, User
from example_app.domain.schemas import MemberIn, ProjectIn, ProjectOrder, ProjectPatch
from example_app.repositories.projects import ProjectRepository
from example_app.repositories.users import UserRepository

__all__ = ["ProjectService"]


class ProjectService:
    """The rules: members see and edit a project; only its owner deletes it or adds members.

    A project a user cannot see is reported as not found, so ids of other teams' projects reveal nothing.
    """

    def __init__(self, projects: ProjectRepository, users: UserRepository) -> None:
        self._projects = projects
        self._users = users

    async def list_projects(
        self, user: SignedInUser, *, limit: int, offset: int, order: ProjectOrder
    ) -> tuple[Sequence[Project], int]:
        """A page of the user's projects and their total count."""
        return await self._projects.page_for(user.id, limit=limit, offset=offset, order_by=order)

    async def get_project(self, user: SignedInUser, project_id: int) -> Project:
        """The project, if the user may see it; `ProjectNotFound` otherwise."""
        project = await self._projects.visible(user.id, project_id)
        if project is None:
            raise ProjectNotFound(project_id)
        return project

    async def create_project(self, user: SignedInUser, data: ProjectIn) -> Project:
        """A new project owned by the user."""
        project = Project(name=data.name, description=data.description, owner_id=user.id)
        return await self._projects.add(project)

    async def update_project(self, user: SignedInUser, project_id: int, data: ProjectPatch) -> Project:
        """Change the fields that were sent; any member may."""
        project = await self.get_project(user, project_id)
        if data.name is not None:
            project.name = data.name
        if data.description is not None:
            project.description = data.description
        await self._projects.session.flush()
        return project

    async def delete_project(self, user: SignedInUser, project_id: int) -> Project:
        """Delete the project and (by cascade) its tasks; only the owner may."""
        project = await self.get_project(user, project_id)
        if project.owner_id != user.id:
            raise NotProjectOwner(project_id, "delete it")
        await self._projects.remove(project)
        return project

    async def add_member(self, user: SignedInUser, project_id: int, data: MemberIn) -> User:
        """Give another user access to the project; only the owner may."""
        project = await self.get_project(user, project_id)
        if project.owner_id != user.id:
            raise NotProjectOwner(project_id, "add members")
        member = await self._users.by_username(data.username)
        if member is None:
            raise UserNotFound(data.username)
        if member.id != project.owner_id:
            await self._projects.add_member(project_id, member.id)
        return member

    async def list_members(self, user: SignedInUser, project_id: int) -> Sequence[User]:
        """The members of a project the user can see."""
        await self.get_project(user, project_id)
        return await self._projects.members(project_id)

    async def can_watch(self, user: SignedInUser, project_id: int) -> bool:
        """Whether the user may receive the project's live task changes."""
        return await self._projects.visible(user.id, project_id) is not None
