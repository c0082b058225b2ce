"""Domain errors: services raise these; the framework renders them as problem details.

Each error carries a stable `code` that clients can switch on, and a detail that says what to do.
"""

from __future__ import annotations

from framework.problems import Conflict, NotFound, PermissionDenied, Unauthorized

__all__ = [
    "DuplicateTaskTitle",
    "InvalidCredentials",
    "NotProjectOwner",
    "ProjectNotFound",
    "SignInRequired",
    "TaskNotFound",
    "UserNotFound",
    "UsernameTaken",
]


class ProjectNotFound(NotFound):
    """The project does not exist, or the caller is not a member (both look the same from outside)."""

    code = "project_not_found"

    def __init__(self, project_id: int) -> None:
        super().__init__(f"Project {project_id} does not exist or you are not a member of it.")
        self.project_id = project_id


class TaskNotFound(NotFound):
    """The task does not exist in that project."""

    code = "task_not_found"

    def __init__(self, project_id: int, task_id: int) -> None:
        super().__init__(f"Task {task_id} does not exist in project {project_id}.")


class UserNotFound(NotFound):
    """No user has that username."""

    code = "user_not_found"

    def __init__(self, username: str) -> None:
        super().__init__(f"No user is called {username!r}.")


class DuplicateTaskTitle(Conflict):
    """Task titles are unique within a project, so a board never shows two cards that read the same."""

    code = "duplicate_task_title"

    def __init__(self, title: str) -> None:
        super().__init__(f"This project already has a task titled {title!r}; choose another title.")


class UsernameTaken(Conflict):
    """Usernames identify people on shared boards, so each is used once."""

    code = "username_taken"

    def __init__(self, username: str) -> None:
        super().__init__(f"The username {username!r} is already taken; choose another one.")


class NotProjectOwner(PermissionDenied):
    """Only a project's owner may delete it or change its members."""

    code = "not_project_owner"

    def __init__(self, project_id: int, action: str) -> None:
        super().__init__(f"Only the owner of project {project_id} may {action}.")


class InvalidCredentials(Unauthorized):
    """Wrong username or password; the message does not say which, so usernames cannot be probed."""

    code = "invalid_credentials"

    def __init__(self) -> None:
        super().__init__("The username or password is incorrect.")


class SignInRequired(Unauthorized):
    """The request has no signed-in user."""

    code = "sign_in_required"

    def __init__(self) -> None:
        super().__init__("Sign in first: POST your username and password to /api/auth/login.")
