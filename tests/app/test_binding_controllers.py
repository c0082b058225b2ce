"""Binding through real controllers built by `create_app`: injected services, domain errors, hostile input."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from dependency_injector import containers, providers
from pydantic import BaseModel

from framework.background import BackgroundTasks
from framework.binding import BindingError, Query
from framework.bootstrap import create_app
from framework.controllers import controller, get, post
from framework.problems import Conflict, NotFound
from framework.testclient import TestClient

ClientFactory = Callable[..., TestClient]


class UserIn(BaseModel):
    name: str


class UserOut(BaseModel):
    id: int
    name: str


class UserService:
    def __init__(self) -> None:
        self.users: dict[int, str] = {1: "ann"}
        self.log: list[str] = []

    def get(self, user_id: int) -> UserOut:
        if user_id not in self.users:
            raise NotFound(f"User {user_id} does not exist.")
        return UserOut(id=user_id, name=self.users[user_id])

    def create(self, name: str) -> UserOut:
        if name in self.users.values():
            raise Conflict(f"User {name!r} already exists.", code="duplicate_name")
        user_id = max(self.users) + 1
        self.users[user_id] = name
        return UserOut(id=user_id, name=name)


@controller("/users", tags=["users"])
class UserController:
    def __init__(self, users: UserService) -> None:
        self._users = users

    @get("/{user_id:int}")
    async def get_user(self, user_id: int, fields: Query[list[str]] = []) -> UserOut:  # noqa: B006
        return self._users.get(user_id)

    @post("/", status_code=201)
    async def create_user(self, user: UserIn, tasks: BackgroundTasks) -> UserOut:
        created = self._users.create(user.name)
        tasks.add_task(self._users.log.append, f"created {created.id}")
        return created


class Container(containers.DeclarativeContainer):
    user_service = providers.Singleton(UserService)
    user_controller = providers.Factory(UserController, users=user_service)


def test_controller_binding_and_rendering(test_client_factory: ClientFactory) -> None:
    container = Container()
    app = create_app(container, controllers=[UserController])
    with test_client_factory(app) as client:
        found = client.get("/users/1")
        created = client.post("/users", json={"name": "bob"})
        invalid = client.post("/users", json={"name": 5})
    assert found.status_code == 200
    assert found.json() == {"id": 1, "name": "ann"}
    assert created.status_code == 201
    assert created.json() == {"id": 2, "name": "bob"}
    assert container.user_service().log == ["created 2"]
    assert invalid.status_code == 422
    assert invalid.json()["errors"][0]["loc"] == ["body", "name"]


def test_domain_errors_from_services(test_client_factory: ClientFactory) -> None:
    app = create_app(Container(), controllers=[UserController])
    with test_client_factory(app) as client:
        missing = client.get("/users/42")
        duplicate = client.post("/users", json={"name": "ann"})
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["detail"] == "User 42 does not exist."
    assert missing.json()["instance"] == "/users/42"
    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == "duplicate_name"


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        (b"{", 400),
        (b"[" * 100_000 + b"]" * 100_000, 400),
        (b'{"name": ' + b"9" * 1_000_000 + b"}", 400),
        (b'{"name": NaN}', 400),
        (b'{"name": "x", "extra": Infinity}', 400),
    ],
    ids=["truncated", "deep", "digits", "nan", "infinity"],
)
def test_hostile_bodies_on_controller_routes(test_client_factory: ClientFactory, payload: bytes, status: int) -> None:
    container = Container()
    app = create_app(container, controllers=[UserController])
    with test_client_factory(app) as client:
        response = client.post("/users", content=payload, headers={"content-type": "application/json"})
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert container.user_service().users == {1: "ann"}


def test_binding_errors_surface_from_create_app() -> None:
    @controller("/broken")
    class BrokenController:
        @get("/{item_id:int}")
        async def get_item(self) -> None: ...

    class EmptyContainer(containers.DeclarativeContainer):
        pass

    with pytest.raises(BindingError) as info:
        create_app(EmptyContainer(), controllers=[BrokenController])
    assert str(info.value) == (
        "BrokenController.get_item: path parameter 'item_id' has no argument; add 'item_id: int'."
    )


def test_convertor_mismatch_is_the_routers_404(test_client_factory: ClientFactory) -> None:
    app = create_app(Container(), controllers=[UserController])
    with test_client_factory(app) as client:
        response = client.get("/users/abc")
    # The int convertor never matched, so no controller ran: the toolkit's own 404 answers.
    assert response.status_code == 404
    assert response.text == "Not Found"
