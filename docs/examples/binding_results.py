"""Return values: the return annotation drives serialization; None is 204; forms, uploads and background tasks."""

from __future__ import annotations

from dependency_injector import containers, providers
from pydantic import BaseModel, ConfigDict

from framework.background import BackgroundTasks
from framework.binding import Form
from framework.bootstrap import create_app
from framework.controllers import controller, delete, get, post
from framework.datastructures import UploadFile
from framework.testclient import TestClient


class UserRow:
    """What an ORM returns: it has a password hash that must never reach a client."""

    def __init__(self, id: int, name: str) -> None:
        self.id = id
        self.name = name
        self.password_hash = "x1y2z3"


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)  # lets `-> UserOut` accept ORM objects

    id: int
    name: str


class Mailer:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, to: str) -> None:
        self.sent.append(to)


@controller("/users")
class UserController:
    def __init__(self, mailer: Mailer) -> None:
        self._mailer = mailer

    @get("/{user_id:int}")
    async def get_user(self, user_id: int) -> UserOut:
        return UserRow(user_id, "ann")  # type: ignore[return-value]  # validated into UserOut on the way out

    @post("/signup", status_code=201)
    async def sign_up(self, email: Form[str], tasks: BackgroundTasks) -> dict[str, str]:
        tasks.add_task(self._mailer.send, email)  # runs after the response was sent
        return {"email": email}

    @post("/{user_id:int}/avatar")
    async def upload_avatar(self, user_id: int, avatar: UploadFile) -> dict[str, object]:
        data = await avatar.read()
        return {"filename": avatar.filename, "bytes": len(data)}

    @delete("/{user_id:int}")
    async def remove_user(self, user_id: int) -> None:
        return None


class Container(containers.DeclarativeContainer):
    mailer = providers.Singleton(Mailer)
    user_controller = providers.Factory(UserController, mailer=mailer)


container = Container()
app = create_app(container, controllers=[UserController])

with TestClient(app) as client:
    assert client.get("/users/1").json() == {"id": 1, "name": "ann"}  # no password_hash

    signed_up = client.post("/users/signup", data={"email": "ann@example.com"})
    assert signed_up.status_code == 201
    assert container.mailer().sent == ["ann@example.com"]

    uploaded = client.post("/users/1/avatar", files={"avatar": ("me.png", b"\x89PNG...")})
    assert uploaded.json() == {"filename": "me.png", "bytes": 7}

    removed = client.delete("/users/1")
    assert removed.status_code == 204
    assert removed.content == b""
