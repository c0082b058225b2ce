"""The composition root: the only place that decides which class implements what, and how long it lives.

Singletons live for the process; `RequestSession` and everything built on it live for one request (or
WebSocket connection, or background task); factories are cheap and built where needed. Tests replace any
provider with `framework.testing.overrides(container, name=fake)`.
"""

from __future__ import annotations

from dependency_injector import containers, providers

from example_app.controllers.api_auth import AuthController
from example_app.controllers.api_projects import ProjectController
from example_app.controllers.api_tasks import TaskController
from example_app.controllers.live import LiveUpdatesController
from example_app.controllers.pages_account import AccountPageController
from example_app.controllers.pages_board import BoardPageController
from example_app.repositories.activity import ActivityRepository
from example_app.repositories.projects import ProjectRepository
from example_app.repositories.tasks import TaskRepository
from example_app.repositories.users import UserRepository
from example_app.services.activity import ActivityRecorder, ActivityService
from example_app.services.live import TaskFeed, TaskNotifier
from example_app.services.passwords import PasswordHasher
from example_app.services.projects import ProjectService
from example_app.services.relay import redis_task_relay
from example_app.services.tasks import TaskService
from example_app.services.users import UserService
from example_app.settings import AppSettings
from example_app.web.auth import signed_in_user
from example_app.web.templates import create_templates
from framework.db import Database, RequestSession
from framework.di import CurrentScope

__all__ = ["Container"]


class Container(containers.DeclarativeContainer):
    """Everything the task board is made of."""

    # Process-wide.
    settings = providers.Singleton(AppSettings)
    database = providers.Singleton(Database, url=settings.provided.database_url)
    password_hasher = providers.Singleton(PasswordHasher, cost=settings.provided.password_hash_cost)
    templates = providers.Singleton(create_templates)
    # This process's live watchers; with REDIS_URL, a relay carries every worker's events to every worker's feed.
    task_feed = providers.Singleton(TaskFeed)
    task_relay = providers.Singleton(
        redis_task_relay,
        url=settings.provided.redis_url,
        channel_prefix=settings.provided.redis_channel_prefix,
        feed=task_feed,
    )

    # Per request: one session and transaction, committed before the response starts.
    session = RequestSession(database)
    current_user = providers.Factory(signed_in_user, scope=CurrentScope())

    user_repository = providers.Factory(UserRepository, session=session)
    project_repository = providers.Factory(ProjectRepository, session=session)
    task_repository = providers.Factory(TaskRepository, session=session)
    activity_repository = providers.Factory(ActivityRepository, session=session)

    user_service = providers.Factory(UserService, users=user_repository, hasher=password_hasher)
    project_service = providers.Factory(ProjectService, projects=project_repository, users=user_repository)
    task_notifier = providers.Factory(TaskNotifier, feed=task_feed, session=session, relay=task_relay)
    task_service = providers.Factory(
        TaskService, tasks=task_repository, projects=project_service, notifier=task_notifier
    )
    activity_service = providers.Factory(ActivityService, entries=activity_repository)
    # Hands background tasks a way to build the service in their own scope, not the request's service.
    activity_recorder = providers.Factory(ActivityRecorder, make_service=activity_service.provider)

    auth_controller = providers.Factory(AuthController, users=user_service)
    project_controller = providers.Factory(
        ProjectController, projects=project_service, user=current_user, activity=activity_recorder
    )
    task_controller = providers.Factory(
        TaskController, tasks=task_service, user=current_user, activity=activity_recorder
    )
    live_updates_controller = providers.Factory(
        LiveUpdatesController, feed=task_feed, project_service=project_service.provider
    )
    account_page_controller = providers.Factory(
        AccountPageController, users=user_service, projects=project_service, templates=templates
    )
    board_page_controller = providers.Factory(
        BoardPageController,
        projects=project_service,
        tasks=task_service,
        activity_log=activity_service,
        activity=activity_recorder,
        templates=templates,
        user=current_user,
    )
