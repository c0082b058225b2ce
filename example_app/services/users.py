"""Accounts: sign-up and sign-in."""

from __future__ import annotations

from example_app.domain.errors import InvalidCredentials, UsernameTaken
from example_app.domain.models import User
from example_app.domain.schemas import LoginIn, UserIn
from example_app.repositories.users import UserRepository
from example_app.services.passwords import PasswordHasher

__all__ = ["UserService"]


class UserService:
    """Creates accounts and checks credentials; passwords are only ever stored hashed."""

    def __init__(self, users: UserRepository, hasher: PasswordHasher) -> None:
        self._users = users
        self._hasher = hasher

    async def sign_up(self, data: UserIn) -> User:
        """Create an account; `UsernameTaken` if the name is in use."""
        if await self._users.by_username(data.username) is not None:
            raise UsernameTaken(data.username)
        user = User(username=data.username, password_hash=await self._hasher.hash(data.password))
        return await self._users.add(user)

    async def authenticate(self, data: LoginIn) -> User:
        """The user these credentials belong to; `InvalidCredentials` otherwise, in the same time either way."""
        user = await self._users.by_username(data.username)
        if not await self._hasher.verify(data.password, user.password_hash if user is not None else None):
            raise InvalidCredentials()
        assert user is not None
        return user
