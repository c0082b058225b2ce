"""Swap a repository for a fake for one block, through HTTP, with the async client."""

from __future__ import annotations

import anyio
from dependency_injector import containers, providers

from framework.bootstrap import create_app
from framework.controllers import controller, get
from framework.testing import AsyncTestClient, overrides


class UserRepository:
    def name(self, user_id: int) -> str:
        return "Ada"


class FakeUserRepository(UserRepository):
    def name(self, user_id: int) -> str:
        return f"fake user {user_id}"


class Container(containers.DeclarativeContainer):
    user_repository = providers.Factory(UserRepository)


@controller("/users")
class UserController:
    def __init__(self, users: UserRepository) -> None:
        self.users = users

    @get("/{user_id:int}")
    async def get_user(self, user_id: int) -> dict[str, str]:
        return {"name": self.users.name(user_id)}


container = Container()
app = create_app(container, controllers=[UserController])


async def main() -> None:
    async with AsyncTestClient(app) as client:  # runs the lifespan: container resources are initialised
        assert (await client.get("/users/1")).json() == {"name": "Ada"}
        with overrides(container, user_repository=FakeUserRepository()):
            assert (await client.get("/users/2")).json() == {"name": "fake user 2"}
        assert (await client.get("/users/3")).json() == {"name": "Ada"}  # the override is gone


anyio.run(main)
