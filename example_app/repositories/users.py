"""Users by id and by username."""

from __future__ import annotations

from sqlalchemy import select

from example_app.domain.models import User
from framework.db import Repository

__all__ = ["UserRepository"]


class UserRepository(Repository[User]):
    """Data access for `User`."""

    ordering = ("username",)

    async def by_username(self, username: str) -> User | None:
        """The user called `username` (exact match), or None."""
        found: User | None = await self.session.scalar(select(User).where(User.username == username))
        return found
