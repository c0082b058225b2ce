"""What clients send (`*In`, `*Patch`) and receive (`*Out`): validated at the edge, so services trust them.

Input models forbid unknown fields (a typo such as `titel` is a 422, not a silently ignored value) and strip
surrounding whitespace, so "   " is not a title.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from example_app.domain.models import TaskStatus

__all__ = [
    "ActivityOut",
    "LoginIn",
    "MemberIn",
    "Page",
    "ProjectIn",
    "ProjectOrder",
    "ProjectOut",
    "ProjectPatch",
    "TaskEvent",
    "TaskIn",
    "TaskOrder",
    "TaskOut",
    "TaskPatch",
    "UserIn",
    "UserOut",
]

ItemT = TypeVar("ItemT")

# Control characters have no place in names or descriptions, and PostgreSQL refuses NUL in text outright.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _no_control_characters(value: str) -> str:
    if _CONTROL_CHARACTERS.search(value):
        raise ValueError("must not contain control characters")
    return value


_Printable = AfterValidator(_no_control_characters)

Username = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=40, pattern=r"^[\w.-]+$")]
Password = Annotated[str, StringConstraints(min_length=8, max_length=128)]
ProjectName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), _Printable]
TaskTitle = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), _Printable]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), _Printable]

# Sort keys clients may ask for; anything else is a 422 listing these.
ProjectOrder = Literal["name", "-name", "created_at", "-created_at"]
TaskOrder = Literal["title", "-title", "created_at", "-created_at", "status", "-status"]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class UserIn(_Input):
    """Sign-up: a new username and its password."""

    username: Username
    password: Password


class LoginIn(_Input):
    """Sign-in; lengths are only capped, so an old password that predates a rule still works."""

    username: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=128)]


class UserOut(_Output):
    """A user as others see them: never the password hash."""

    id: int
    username: str


class MemberIn(_Input):
    """Add a member to a project by username."""

    username: Username


class ProjectIn(_Input):
    """A new project."""

    name: ProjectName
    description: Description = ""


class ProjectPatch(_Input):
    """A partial update: only the fields sent change."""

    name: ProjectName | None = None
    description: Description | None = None


class ProjectOut(_Output):
    """A project as the API returns it."""

    id: int
    name: str
    description: str
    owner_id: int
    created_at: datetime


class TaskIn(_Input):
    """A new task."""

    title: TaskTitle
    description: Description = ""
    status: TaskStatus = TaskStatus.TODO


class TaskPatch(_Input):
    """A partial update of a task; moving a card between columns is `{"status": "doing"}`."""

    title: TaskTitle | None = None
    description: Description | None = None
    status: TaskStatus | None = None


class TaskOut(_Output):
    """A task as the API and the live feed return it."""

    id: int
    project_id: int
    title: str
    description: str
    status: TaskStatus
    created_at: datetime
    updated_at: datetime


class ActivityOut(_Output):
    """One line of a project's activity log."""

    id: int
    project_id: int
    user_id: int | None
    action: str
    summary: str
    created_at: datetime


class Page(BaseModel, Generic[ItemT]):
    """One page of a list: the items, the total across all pages, and where this page starts."""

    items: list[ItemT]
    total: int = Field(ge=0)
    limit: int = Field(ge=1)
    offset: int = Field(ge=0)


class TaskEvent(BaseModel):
    """A change on a board, pushed to the project's WebSocket subscribers after it committed."""

    type: Literal["task.created", "task.updated", "task.deleted"]
    project_id: int
    task_id: int
    task: TaskOut | None = None
