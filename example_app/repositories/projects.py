"""Projects and their members; every query a user makes is limited to the projects they belong to."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, exists, func, or_, select

from example_app.domain.models import Project, ProjectMember, User
from framework.db import Repository

__all__ = ["ProjectRepository"]


def _visible_to(user_id: int) -> ColumnElement[bool]:
    member = exists().where(ProjectMember.project_id == Project.id, ProjectMember.user_id == user_id)
    return or_(Project.owner_id == user_id, member)


class ProjectRepository(Repository[Project]):
    """Data access for `Project` and `ProjectMember`."""

    ordering = ("name", "created_at")
    max_limit = 100

    async def visible(self, user_id: int, project_id: int) -> Project | None:
        """The project if it exists and `user_id` owns it or is a member, else None (no difference leaks)."""
        statement = select(Project).where(Project.id == project_id, _visible_to(user_id))
        found: Project | None = await self.session.scalar(statement)
        return found

    async def page_for(self, user_id: int, *, limit: int, offset: int, order_by: str) -> tuple[Sequence[Project], int]:
        """One page of the projects `user_id` can see, and how many there are in all."""
        where = _visible_to(user_id)
        total = await self.session.scalar(select(func.count()).select_from(Project).where(where))
        statement = (
            select(Project).where(where).order_by(self._order_clause(order_by), Project.id).limit(limit).offset(offset)
        )
        items = (await self.session.scalars(statement)).all()
        return items, total or 0

    async def add_member(self, project_id: int, user_id: int) -> None:
        """Make `user_id` a member of the project; adding someone twice changes nothing."""
        if await self.session.get(ProjectMember, (project_id, user_id)) is None:
            self.session.add(ProjectMember(project_id=project_id, user_id=user_id))
            await self.session.flush()

    async def members(self, project_id: int) -> Sequence[User]:
        """The members of a project (the owner is not listed), by username."""
        statement = (
            select(User)
            .join(ProjectMember, ProjectMember.user_id == User.id)
            .where(ProjectMember.project_id == project_id)
            .order_by(User.username)
        )
        return (await self.session.scalars(statement)).all()

    async def member_ids(self, project_id: int) -> set[int]:
        """Ids of everyone who may see the project: its owner and its members."""
        owner = select(Project.owner_id).where(Project.id == project_id)
        members = select(ProjectMember.user_id).where(ProjectMember.project_id == project_id)
        rows = await self.session.scalars(owner.union(members))
        return set(rows.all())
