"""A controller with constructor injection, typed handlers and a 405 that lists every verb."""

from __future__ import annotations

from dependency_injector import containers, providers
from pydantic import BaseModel

from framework.bootstrap import create_app
from framework.controllers import controller, delete, get, post
from framework.problems import NotFound
from framework.testclient import TestClient


class UserIn(BaseModel):
    name: str


class UserOut(BaseModel):
    id: int
    name: str


class UserRepository:
    def __init__(self) -> None:
        self.users: dict[int, str] = {1: "Ada"}

    def get(self, user_id: int) -> UserOut:
        if user_id not in self.users:
            raise NotFound(f"User {user_id} does not exist.")
        return UserOut(id=user_id, name=self.users[user_id])

    def add(self, name: str) -> UserOut:
        user_id = max(self.users) + 1
        self.users[user_id] = name
        return UserOut(id=user_id, name=name)


class UserService:
    def __init__(self, users: UserRepository) -> None:
        self.users = users


@controller("/users", tags=["users"])
class UserController:
    def __init__(self, service: UserService) -> None:  # constructor injection, one controller per request
        self.service = service

    @get("/{user_id:int}")
    async def get_user(self, user_id: int) -> UserOut:
        return self.service.users.get(user_id)

    @post("/", status_code=201)
    async def create_user(self, data: UserIn) -> UserOut:
        return self.service.users.add(data.name)

    @delete("/{user_id:int}")
    async def delete_user(self, user_id: int) -> None:  # None -> 204
        self.service.users.get(user_id)


class Container(containers.DeclarativeContainer):
    user_repository = providers.Singleton(UserRepository)
    user_service = providers.Factory(UserService, users=user_repository)


app = create_app(Container(), controllers=[UserController])

with TestClient(app) as client:
    assert client.get("/users/1").json() == {"id": 1, "name": "Ada"}
    created = client.post("/users", json={"name": "Grace"})
    assert (created.status_code, created.json()) == (201, {"id": 2, "name": "Grace"})
    assert client.delete("/users/2").status_code == 204

    missing = client.get("/users/42")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "User 42 does not exist."

    wrong_verb = client.put("/users/1")
    assert wrong_verb.status_code == 405
    assert wrong_verb.headers["allow"] == "GET, HEAD, DELETE"

    assert app.url_path_for("get_user", user_id=1) == "/users/1"
    assert "/users/{user_id}" in client.get("/openapi.json").json()["paths"]
