"""The task board over GraphQL: the same services, rules and transaction as the JSON API, in another shape.

Resolvers only translate: they take the signed-in user and the services from `info.context` (the request
scope, so one session and one transaction per request) and call exactly what the REST controllers call.
Domain errors reach the client with their message and code; input is validated by the same pydantic models.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncGenerator, Callable
from datetime import datetime
from typing import Any, TypeAlias, TypeVar

import strawberry
from graphql import GraphQLError
from pydantic import ValidationError
from strawberry.types import Info

from example_app.domain.errors import ProjectNotFound
from example_app.domain.identity import SignedInUser
from example_app.domain.models import Project, Task, TaskStatus
from example_app.domain.schemas import TaskEvent, TaskIn, TaskOut
from example_app.services.activity import ActivityRecorder
from example_app.services.live import TaskFeed
from example_app.services.projects import ProjectService
from example_app.services.tasks import TaskService
from framework.db import on_commit
from framework.di import open_scope
from framework.graphql import GraphQLContext

__all__ = ["Mutation", "ProjectNode", "Query", "Subscription", "TaskChange", "TaskChangeKind", "TaskNode", "schema"]

GraphQLInfo: TypeAlias = Info[GraphQLContext, None]
_Resolver = TypeVar("_Resolver", bound=Callable[..., object])


def _described(decorator: Callable[..., Any], description: str) -> Callable[[_Resolver], _Resolver]:
    """`decorator(description=...)` with a type: Strawberry types its decorator factories as Any."""
    decorate: Callable[[_Resolver], _Resolver] = decorator(description=description)
    return decorate


# The domain's enum, registered as a GraphQL enum: TODO, DOING, DONE.
strawberry.enum(TaskStatus, description="The columns of the board.")


@strawberry.type(name="Task", description="A card on a board.")
class TaskNode:
    id: int
    project_id: int
    title: str
    description: str
    status: TaskStatus
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, task: Task | TaskOut) -> TaskNode:
        """The GraphQL view of a stored task, or of the task carried by a live event."""
        return cls(
            id=task.id,
            project_id=task.project_id,
            title=task.title,
            description=task.description,
            status=TaskStatus(task.status),
            created_at=task.created_at,
            updated_at=task.updated_at,
        )


@strawberry.type(name="Project", description="A board; its members see and edit its tasks.")
class ProjectNode:
    id: int
    name: str
    description: str
    owner_id: int
    created_at: datetime

    @classmethod
    def of(cls, project: Project) -> ProjectNode:
        return cls(
            id=project.id,
            name=project.name,
            description=project.description,
            owner_id=project.owner_id,
            created_at=project.created_at,
        )

    @_described(strawberry.field, "Every task of the project, oldest first.")
    async def tasks(self, info: GraphQLInfo) -> list[TaskNode]:
        tasks = await info.context.get(TaskService).board(info.context.get(SignedInUser), self.id)
        return [TaskNode.of(task) for task in tasks]


@strawberry.enum(description="What happened to a task.")
class TaskChangeKind(enum.Enum):
    CREATED = "task.created"
    UPDATED = "task.updated"
    DELETED = "task.deleted"


@strawberry.type(description="A committed change on a board, as the live feed announces it.")
class TaskChange:
    kind: TaskChangeKind
    project_id: int
    task_id: int
    task: TaskNode | None = strawberry.field(description="The task after the change; null once deleted.")

    @classmethod
    def of(cls, event: TaskEvent) -> TaskChange:
        task = TaskNode.of(event.task) if event.task is not None else None
        return cls(kind=TaskChangeKind(event.type), project_id=event.project_id, task_id=event.task_id, task=task)


@strawberry.input(description="A new task: the same fields and rules as POST /api/projects/{id}/tasks.")
class TaskInput:
    title: str
    description: str = ""
    status: TaskStatus = TaskStatus.TODO


@strawberry.type
class Query:
    @_described(strawberry.field, "A page of your projects, newest first.")
    async def projects(self, info: GraphQLInfo, limit: int = 20, offset: int = 0) -> list[ProjectNode]:
        if not (1 <= limit <= 100 and 0 <= offset <= 1_000_000):
            raise _bad_input("limit must be between 1 and 100 and offset between 0 and 1000000.", [])
        service = info.context.get(ProjectService)
        items, _ = await service.list_projects(
            info.context.get(SignedInUser), limit=limit, offset=offset, order="-created_at"
        )
        return [ProjectNode.of(project) for project in items]

    @_described(strawberry.field, "One of your projects; an error (project_not_found) for anyone else's.")
    async def project(self, info: GraphQLInfo, id: int) -> ProjectNode | None:
        project = await info.context.get(ProjectService).get_project(info.context.get(SignedInUser), id)
        return ProjectNode.of(project)


@strawberry.type
class Mutation:
    @_described(strawberry.mutation, "Create a task; a duplicate title in the project is refused, as over REST.")
    async def create_task(self, info: GraphQLInfo, project_id: int, task: TaskInput) -> TaskNode:
        data = _task_in(task)
        user = info.context.get(SignedInUser)
        created = await info.context.get(TaskService).create_task(user, project_id, data)
        _log_after_commit(info, project_id, user, f"{user.username} added {created.title!r}")
        return TaskNode.of(created)


@strawberry.type
class Subscription:
    @_described(strawberry.subscription, "The committed task changes of a project you are a member of.")
    async def task_changes(self, info: GraphQLInfo, project_id: int) -> AsyncGenerator[TaskChange, None]:
        user = info.context.get(SignedInUser)
        if not await _may_watch(info, user, project_id):
            raise ProjectNotFound(project_id)
        with info.context.get(TaskFeed).subscribe(project_id) as events:
            async for event in events:
                yield TaskChange.of(event)


async def _may_watch(info: GraphQLInfo, user: SignedInUser, project_id: int) -> bool:
    # A scope of its own: its session closes right after the check instead of living as long as the subscription.
    async with open_scope(info.context.request.scope):
        return await info.context.get(ProjectService).can_watch(user, project_id)


def _task_in(task: TaskInput) -> TaskIn:
    """The REST model, so GraphQL input obeys the same rules (lengths, whitespace, control characters)."""
    try:
        return TaskIn.model_validate({"title": task.title, "description": task.description, "status": task.status})
    except ValidationError as error:
        items = error.errors()
        text = "; ".join(f"{'.'.join(map(str, item['loc']))}: {item['msg']}" for item in items)
        problems: list[dict[str, object]] = [
            {"loc": ["task", *map(str, item["loc"])], "msg": item["msg"], "type": item["type"]} for item in items
        ]
        raise _bad_input(f"The task is invalid: {text}.", problems) from None


def _bad_input(message: str, problems: list[dict[str, object]]) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "BAD_USER_INPUT", "errors": problems})


def _log_after_commit(info: GraphQLInfo, project_id: int, user: SignedInUser, summary: str) -> None:
    """Write the activity entry after the request commits, in its own transaction, as REST does.

    Not a background task of the response: a GraphQL request can still roll back after this field succeeded
    (another field of the document fails), and an `on_commit` callback never runs for a rolled-back change.
    """
    recorder = info.context.get(ActivityRecorder)

    async def write() -> None:
        async with open_scope():
            await recorder.write(project_id=project_id, user_id=user.id, action="task.created", summary=summary)

    on_commit(write)


schema = strawberry.Schema(query=Query, mutation=Mutation, subscription=Subscription)
