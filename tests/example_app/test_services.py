"""Business rules, tested on the services alone: fake repositories go in through container overrides."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from example_app.container import Container
from example_app.domain.errors import (
    DuplicateTaskTitle,
    InvalidCredentials,
    NotProjectOwner,
    ProjectNotFound,
    TaskNotFound,
    UsernameTaken,
)
from example_app.domain.identity import SignedInUser
from example_app.domain.models import TaskStatus
from example_app.domain.schemas import LoginIn, MemberIn, ProjectIn, TaskIn, TaskPatch, UserIn
from example_app.services.passwords import PasswordHasher
from framework.di import open_scope
from framework.testing import overrides
from tests.example_app.fakes import (
    FakeActivityRepository,
    FakeProjectRepository,
    FakeTaskRepository,
    FakeUserRepository,
    RecordingNotifier,
)

pytestmark = pytest.mark.anyio


@dataclass
class World:
    container: Container
    users: FakeUserRepository
    projects: FakeProjectRepository
    tasks: FakeTaskRepository
    notifier: RecordingNotifier


# --8<-- [start:world]
@pytest.fixture
async def world(container: Container) -> AsyncIterator[World]:
    users, projects, tasks = FakeUserRepository(), FakeProjectRepository(), FakeTaskRepository()
    projects.users = users
    notifier = RecordingNotifier()
    with overrides(
        container,
        user_repository=users,
        project_repository=projects,
        task_repository=tasks,
        activity_repository=FakeActivityRepository(),
        task_notifier=notifier,
        password_hasher=PasswordHasher(cost=2),
    ):
        # Services are request-scoped through their repositories' session; a scope stands in for the request.
        async with open_scope():
            yield World(container, users, projects, tasks, notifier)


# --8<-- [end:world]


async def _user(world: World, name: str) -> SignedInUser:
    user = await world.container.user_service().sign_up(UserIn(username=name, password="long enough"))
    return SignedInUser(id=user.id, username=user.username)


async def test_sign_up_hashes_the_password_and_refuses_taken_names(world: World) -> None:
    service = world.container.user_service()
    user = await service.sign_up(UserIn(username="alice", password="long enough"))
    assert user.password_hash.startswith("scrypt$")
    assert "long enough" not in user.password_hash
    with pytest.raises(UsernameTaken):
        await service.sign_up(UserIn(username="alice", password="other password"))


async def test_authenticate_accepts_only_the_right_password(world: World) -> None:
    service = world.container.user_service()
    created = await service.sign_up(UserIn(username="alice", password="long enough"))
    assert await service.authenticate(LoginIn(username="alice", password="long enough")) is created
    with pytest.raises(InvalidCredentials):
        await service.authenticate(LoginIn(username="alice", password="long enougH"))
    with pytest.raises(InvalidCredentials):
        await service.authenticate(LoginIn(username="bob", password="long enough"))


async def test_a_task_needs_a_project_the_user_can_see(world: World) -> None:
    alice, mallory = await _user(world, "alice"), await _user(world, "mallory")
    project = await world.container.project_service().create_project(alice, ProjectIn(name="Launch"))
    tasks = world.container.task_service()
    with pytest.raises(ProjectNotFound):
        await tasks.create_task(alice, 404, TaskIn(title="Nowhere"))
    with pytest.raises(ProjectNotFound):
        await tasks.create_task(mallory, project.id, TaskIn(title="Not mine"))
    assert world.tasks.rows == {}
    assert world.notifier.events == []


# --8<-- [start:unique]
async def test_titles_are_unique_within_a_project(world: World) -> None:
    alice = await _user(world, "alice")
    projects = world.container.project_service()
    first = await projects.create_project(alice, ProjectIn(name="One"))
    second = await projects.create_project(alice, ProjectIn(name="Two"))
    tasks = world.container.task_service()
    await tasks.create_task(alice, first.id, TaskIn(title="Deploy"))
    with pytest.raises(DuplicateTaskTitle):
        await tasks.create_task(alice, first.id, TaskIn(title="Deploy"))
    await tasks.create_task(alice, second.id, TaskIn(title="Deploy"))
    assert len(world.tasks.rows) == 2


# --8<-- [end:unique]


async def test_only_the_owner_deletes_a_project_or_adds_members(world: World) -> None:
    alice, bob = await _user(world, "alice"), await _user(world, "bob")
    projects = world.container.project_service()
    project = await projects.create_project(alice, ProjectIn(name="Shared"))
    await projects.add_member(alice, project.id, MemberIn(username="bob"))
    assert (await projects.get_project(bob, project.id)) is project
    with pytest.raises(NotProjectOwner):
        await projects.delete_project(bob, project.id)
    with pytest.raises(NotProjectOwner):
        await projects.add_member(bob, project.id, MemberIn(username="alice"))
    await projects.delete_project(alice, project.id)
    assert world.projects.rows == {}


async def test_changes_are_announced_with_the_task(world: World) -> None:
    alice = await _user(world, "alice")
    project = await world.container.project_service().create_project(alice, ProjectIn(name="Board"))
    tasks = world.container.task_service()
    task = await tasks.create_task(alice, project.id, TaskIn(title="Card"))
    await tasks.update_task(alice, project.id, task.id, TaskPatch(status=TaskStatus.DONE))
    await tasks.delete_task(alice, project.id, task.id)
    assert [(e.type, e.task_id) for e in world.notifier.events] == [
        ("task.created", task.id),
        ("task.updated", task.id),
        ("task.deleted", task.id),
    ]
    assert world.notifier.events[1].task is not None
    assert world.notifier.events[1].task.status is TaskStatus.DONE
    with pytest.raises(TaskNotFound):
        await tasks.get_task(alice, project.id, task.id)


async def test_list_tasks_filters_by_status(world: World) -> None:
    alice = await _user(world, "alice")
    project = await world.container.project_service().create_project(alice, ProjectIn(name="Board"))
    tasks = world.container.task_service()
    for title, status in [("a", TaskStatus.TODO), ("b", TaskStatus.DONE), ("c", TaskStatus.TODO)]:
        await tasks.create_task(alice, project.id, TaskIn(title=title, status=status))
    items, total = await tasks.list_tasks(alice, project.id, status=TaskStatus.TODO, limit=10, offset=0, order="-title")
    assert [t.title for t in items] == ["c", "a"]
    assert total == 2


async def test_password_hasher_rejects_garbage_hashes() -> None:
    hasher = PasswordHasher(cost=2)
    encoded = await hasher.hash("secret password")
    assert await hasher.verify("secret password", encoded)
    for garbage in ["", "bcrypt$x", "scrypt$4$8$1$!!!$???", encoded.replace("scrypt$", "md5$")]:
        assert not await hasher.verify("secret password", garbage)
    assert not await hasher.verify("secret password", None)
