"""The app's entry points: the JSON API under /api, the HTML pages, and the live-updates WebSocket.

Controllers translate between HTTP and the services; the rules live in the services.
"""

from __future__ import annotations

from example_app.controllers.api_auth import AuthController
from example_app.controllers.api_projects import ProjectController
from example_app.controllers.api_tasks import TaskController
from example_app.controllers.live import LiveUpdatesController
from example_app.controllers.pages_account import AccountPageController
from example_app.controllers.pages_board import BoardPageController

__all__ = [
    "CONTROLLERS",
    "AccountPageController",
    "AuthController",
    "BoardPageController",
    "LiveUpdatesController",
    "ProjectController",
    "TaskController",
]

# Every controller of the app, in routing order.
CONTROLLERS: tuple[type, ...] = (
    AuthController,
    ProjectController,
    TaskController,
    LiveUpdatesController,
    AccountPageController,
    BoardPageController,
)
